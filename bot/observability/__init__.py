"""What operators watch: the Prometheus metrics of every process (`metrics`) and their `GET /metrics` (`exposition`)."""
