"""Chinese NLU: text normalisation, tokenisation and rule-based entities."""
