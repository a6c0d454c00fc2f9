"""--log-to: a finished run logged to MLflow and TensorBoard, offline, with local file stores;
what they hold is read back with each tracker's own reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.results.store import read_run
from harness.tracking import log_run, run_payload
from tests.conftest import SEED_SUITE, harness_cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, random_model: Path) -> Path:
    results = tmp_path_factory.mktemp("results")
    harness_cli("run", "--model", str(random_model), "--suite", str(SEED_SUITE), "--results",
                str(results), "--task", "closed_qa", "--task", "mc", "--limit", "2", check=True)
    return next(results.glob("*/run.json")).parent


def test_payload_holds_settings_identity_and_every_aggregate_with_ci(run_dir: Path) -> None:
    payload = run_payload(run_dir)
    run = read_run(run_dir)
    assert payload.params["model.id"] == run.model.model_id
    assert payload.params["settings.limit"] == "2"
    assert payload.params["suite.content_hash"] == run.suite.content_hash
    for name, task in run.tasks.items():
        for metric, value in task.metrics.items():
            assert payload.metrics[f"{name}/{metric}"] == value
        assert payload.metrics[f"{name}/{task.primary.name}_ci_low"] == task.primary.ci_low
        assert payload.metrics[f"{name}/{task.primary.name}_ci_high"] == task.primary.ci_high
    assert [p.name for p in payload.artifacts] == ["run.json", "samples.jsonl"]


def test_mlflow_file_store(run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                           ) -> None:
    mlflow = pytest.importorskip("mlflow")
    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # the local file store, offline
    mlflow.set_tracking_uri(uri)
    line = log_run(run_dir, "mlflow")
    assert line.startswith("mlflow run ")
    run = read_run(run_dir)
    found = mlflow.search_runs(experiment_names=[run.suite.name], output_format="list")
    assert len(found) == 1
    data = found[0].data
    assert data.params["model.id"] == run.model.model_id
    assert data.metrics["mc/acc"] == run.tasks["mc"].metrics["acc"]
    assert data.metrics[f"closed_qa/{run.tasks['closed_qa'].primary.name}_ci_high"] == \
        run.tasks["closed_qa"].primary.ci_high
    client = mlflow.MlflowClient(uri)
    names = {a.path for a in client.list_artifacts(found[0].info.run_id)}
    assert names == {"run.json", "samples.jsonl"}


def test_tensorboard_event_file(run_dir: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setenv("HARNESS_TENSORBOARD_DIR", str(tmp_path / "tb"))
    log_run(run_dir, "tensorboard")
    run = read_run(run_dir)
    target = tmp_path / "tb" / run.run_id
    events = EventAccumulator(str(target))
    events.Reload()
    assert events.Scalars("mc/acc")[0].value == pytest.approx(run.tasks["mc"].metrics["acc"])
    assert (target / "samples.jsonl").read_bytes() == (run_dir / "samples.jsonl").read_bytes()


def test_unknown_tracker_suggests(run_dir: Path) -> None:
    with pytest.raises(HarnessError, match=r"unknown tracker; did you mean 'mlflow'\?"):
        log_run(run_dir, "mlfow")
