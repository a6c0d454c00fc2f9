"""What a run logs to a tracker, read from its folder: params (settings and model identity),
metrics (every aggregate with its CI bounds) and artifacts (files)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.results.records import RunRecord
from harness.results.store import read_run

ARTIFACT_NAMES = ("run.json", "samples.jsonl")


@dataclass(frozen=True)
class Payload:
    run_id: str
    experiment: str  # the suite's name: one experiment per suite
    params: dict[str, str]
    metrics: dict[str, float]
    artifacts: list[Path]


def _params(run: RunRecord) -> dict[str, str]:
    model = run.model
    params = {
        "model.id": model.model_id, "model.source": model.source,
        "model.revision": model.revision, "model.architecture": model.architecture,
        "model.parameters": str(model.parameters), "model.dtype": model.dtype,
        "model.device": model.device, "model.device_name": model.device_name,
        "suite.name": run.suite.name, "suite.version": run.suite.version,
        "suite.content_hash": run.suite.content_hash, "suite.tasks": ",".join(run.suite.tasks),
        "harness.version": run.harness_version, "harness.git_sha": run.harness_git_sha,
        "run.id": run.run_id, "run.status": run.status,
    }
    for key, value in run.settings.model_dump().items():
        params[f"settings.{key}"] = "" if value is None else str(value)
    return params


def _metrics(run: RunRecord) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for name, task in run.tasks.items():
        for metric, value in task.metrics.items():
            metrics[f"{name}/{metric}"] = float(value)
        primary = task.primary
        metrics[f"{name}/{primary.name}"] = float(primary.value)
        if primary.ci_low is not None:
            metrics[f"{name}/{primary.name}_ci_low"] = float(primary.ci_low)
        if primary.ci_high is not None:
            metrics[f"{name}/{primary.name}_ci_high"] = float(primary.ci_high)
        metrics[f"{name}/n"] = float(task.n)
        metrics[f"{name}/items_per_s"] = float(task.items_per_s)
    metrics["run/total_seconds"] = float(run.total_seconds)
    metrics["run/peak_rss_mb"] = float(run.peak_rss_mb)
    return metrics


def run_payload(run_dir: Path, report: Path | None = None) -> Payload:
    """The payload of the run in `run_dir`; `report` (a file or folder) is attached too."""
    run = read_run(run_dir)
    artifacts = [run_dir / name for name in ARTIFACT_NAMES if (run_dir / name).is_file()]
    if report is not None and report.exists():
        artifacts.append(report)
    return Payload(run.run_id, run.suite.name, _params(run), _metrics(run), artifacts)
