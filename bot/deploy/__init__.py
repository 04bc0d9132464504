"""How the processes are laid out: Rasa's endpoints, the load balancer, the replicas."""
