"""Experiment tracking: log a finished run folder to MLflow, Weights & Biases, TensorBoard or
Trackio (`harness run --log-to ...`, `harness.evaluate(..., log_to=...)`)."""

from harness.tracking.log import BACKENDS, log_run
from harness.tracking.payload import Payload, run_payload

__all__ = ["BACKENDS", "Payload", "log_run", "run_payload"]
