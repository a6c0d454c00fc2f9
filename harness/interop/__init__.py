"""Interoperability with EleutherAI's lm-evaluation-harness (lm-eval 0.4): export a suite as
lm-eval task YAMLs, and run a suite through lm-eval into our results format."""

from harness.interop.lmeval_export import export_lm_eval, group_name, lm_eval_task_name

__all__ = ["export_lm_eval", "group_name", "lm_eval_task_name"]
