"""Measuring the NLU honestly: the test set, leakage, cross-validation, the floor."""
