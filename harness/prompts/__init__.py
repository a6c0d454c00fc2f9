"""How items are put to a model: chat formatting and few-shot examples (the items and their
rendered templates are the suite's: `harness.suite.items`)."""
