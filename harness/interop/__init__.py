"""Interoperability with EleutherAI's lm-evaluation-harness (lm-eval 0.4): export a suite as
lm-eval task YAMLs (`harness export`). Running through lm-eval's model code is a backend:
`engine/lmeval.py` (`--engine lm-eval`)."""

from harness.interop.lmeval_export import export_lm_eval, group_name, lm_eval_task_name

__all__ = ["export_lm_eval", "group_name", "lm_eval_task_name"]
