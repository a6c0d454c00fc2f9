"""Paired comparison of two runs on the items they share."""
