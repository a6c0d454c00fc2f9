"""A static, self-contained HTML report of a results folder."""
