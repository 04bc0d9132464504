"""OKPay Assistant: a Rasa-based support assistant for OKPay wallet users."""
