"""Send a run's payload to one tracker. Each backend is an optional extra, imported only when
asked for; a missing one is one error line saying which extra to install."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.suite.messages import did_you_mean
from harness.tracking.payload import Payload, run_payload

PROJECT_ENV = "HARNESS_TRACKING_PROJECT"  # wandb/trackio project (default: the suite's name)


def _require(module: str, backend: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise HarnessError(f"--log-to {backend}: {module} is not installed; pip install "
                           f"'fact-harness[{backend}]'") from None


def _mlflow(payload: Payload, run_dir: Path) -> str:
    mlflow = _require("mlflow", "mlflow")
    mlflow.set_experiment(payload.experiment)
    with mlflow.start_run(run_name=payload.run_id) as active:
        mlflow.log_params(payload.params)
        mlflow.log_metrics(payload.metrics)
        for path in payload.artifacts:
            if path.is_dir():
                mlflow.log_artifacts(str(path), artifact_path=path.name)
            else:
                mlflow.log_artifact(str(path))
        return f"mlflow run {active.info.run_id} in {mlflow.get_tracking_uri()}"


def _tensorboard(payload: Payload, run_dir: Path) -> str:
    _require("tensorboard", "tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    logdir = Path(os.environ.get("HARNESS_TENSORBOARD_DIR", run_dir.parent / "tensorboard"))
    target = logdir / payload.run_id
    writer = SummaryWriter(log_dir=str(target))
    try:
        for name, value in payload.metrics.items():
            writer.add_scalar(name, value, 0)
        table = "\n".join(f"| {k} | {v} |" for k, v in payload.params.items())
        writer.add_text("params", f"| param | value |\n|---|---|\n{table}", 0)
    finally:
        writer.close()
    for path in payload.artifacts:  # TensorBoard has no artifacts: copied beside the events
        copy: Callable[[Path, Path], object] = shutil.copytree if path.is_dir() else shutil.copy2
        copy(path, target / path.name)
    return f"tensorboard events in {target}"


def _wandb(payload: Payload, run_dir: Path) -> str:
    wandb = _require("wandb", "wandb")
    project = os.environ.get(PROJECT_ENV, payload.experiment)
    run = wandb.init(project=project, name=payload.run_id, config=payload.params)
    try:
        run.log(payload.metrics)
        for path in payload.artifacts:
            artifact = wandb.Artifact(f"{payload.run_id}-{path.name}".replace("+", "-"),
                                      type="evaluation")
            artifact.add_dir(str(path)) if path.is_dir() else artifact.add_file(str(path))
            run.log_artifact(artifact)
    finally:
        run.finish()
    return f"wandb run {run.id} in project {project}"


def _trackio(payload: Payload, run_dir: Path) -> str:
    trackio = _require("trackio", "trackio")
    project = os.environ.get(PROJECT_ENV, payload.experiment)
    trackio.init(project=project, name=payload.run_id, config=payload.params)
    try:
        trackio.log(payload.metrics)
    finally:
        trackio.finish()
    return f"trackio run {payload.run_id} in project {project} (artifacts stay in {run_dir})"


BACKENDS: dict[str, Callable[[Payload, Path], str]] = {
    "mlflow": _mlflow, "wandb": _wandb, "tensorboard": _tensorboard, "trackio": _trackio,
}


def check_trackers(backends: list[str]) -> None:
    """Refuse an unknown tracker, or one whose package is missing, before the run starts."""
    for backend in backends:
        if backend not in BACKENDS:
            raise HarnessError(f"--log-to {backend}: unknown tracker"
                               f"{did_you_mean(backend, BACKENDS)} (trackers: "
                               f"{', '.join(BACKENDS)})")
        if importlib.util.find_spec(backend) is None:
            raise HarnessError(f"--log-to {backend}: {backend} is not installed; pip install "
                               f"'fact-harness[{backend}]'")


def log_run(run_dir: Path, backend: str, report: Path | None = None) -> str:
    """Log the run in `run_dir` to `backend`; returns one line saying where it went."""
    check_trackers([backend])
    payload = run_payload(run_dir, report)
    try:
        return BACKENDS[backend](payload, run_dir)
    except HarnessError:
        raise
    except Exception as err:  # the tracker's own failure: the run itself is saved
        first = (str(err).splitlines() or [""])[0][:300]
        raise HarnessError(f"--log-to {backend}: {type(err).__name__}: {first} (the run is "
                           f"saved in {run_dir}; log it again with harness.tracking.log_run)"
                           ) from err
