"""Match the samples of two runs item by item, task by task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.results.records import RunRecord, Sample
from harness.results.store import read_run, read_samples


@dataclass(frozen=True)
class LoadedRun:
    run_dir: Path
    record: RunRecord
    samples: list[Sample]


@dataclass(frozen=True)
class PairedTask:
    task: str
    pairs: list[tuple[Sample, Sample]]


def load_run(run_dir: Path) -> LoadedRun:
    return LoadedRun(run_dir, read_run(run_dir), read_samples(run_dir))


def check_same_suite(a: RunRecord, b: RunRecord) -> None:
    """Refuse runs on different suite contents: their items are not the same items."""
    if a.suite.content_hash != b.suite.content_hash:
        raise HarnessError(
            f"runs are on different suite contents ({a.run_id}: {a.suite.name} "
            f"v{a.suite.version} {a.suite.content_hash}; {b.run_id}: {b.suite.name} "
            f"v{b.suite.version} {b.suite.content_hash}); compare runs of the same suite")


def _by_task(samples: list[Sample]) -> dict[str, dict[str, Sample]]:
    out: dict[str, dict[str, Sample]] = {}
    for sample in samples:
        out.setdefault(sample.task, {})[sample.item_id] = sample
    return out


def pair_tasks(a: LoadedRun, b: LoadedRun) -> list[PairedTask]:
    """For each task in both runs (A's order), the items both runs answered."""
    left, right = _by_task(a.samples), _by_task(b.samples)
    paired = []
    for task, items in left.items():
        other = right.get(task)
        if other is None:
            continue
        pairs = [(items[i], other[i]) for i in items if i in other]
        if pairs:
            paired.append(PairedTask(task, pairs))
    return paired
