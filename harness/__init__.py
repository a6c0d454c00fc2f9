"""fact-harness: evaluate local causal LMs on task suites built from the facts of documents."""

__version__ = "0.1.0"
