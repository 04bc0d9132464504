"""Content the actions read: the guides and the labels of topics."""
