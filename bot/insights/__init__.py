"""Supervisor insights: figures from the stores, exports, and the review loop that improves the NLU."""
