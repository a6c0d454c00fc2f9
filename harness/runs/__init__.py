"""Run a suite's tasks through an engine and judge the answers."""
