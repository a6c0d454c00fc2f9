"""Tables that compare runs."""
