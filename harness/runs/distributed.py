"""Data-parallel runs: `accelerate launch --num_processes N -m harness run …` (or torchrun)
splits one run's requests across N ranks and writes one run folder.

Every rank loads the model on its own device (GPU rank i on cuda:i; CPU ranks share the
machine's cores, gloo), plans every task the same way, and computes its share: whole units
of work, never an item split across ranks. A unit is all the items of an open-book task that
share a document (so the document's prefix is computed once, on one rank), or one item of a
closed-book task (its choices or repeats together). Units are spread by estimated token
cost, longest first onto the least loaded rank (`shards.py`). Each rank goes through the
request cache (one SQLite file in WAL mode with a busy timeout, written by every rank as
results are computed), so a killed run resumes with any number of ranks. Rank 0 gathers
every rank's results (`gather_object`) and judges all items with the same code as a
single-process run (`GatheredEngine` serves the gathered results), then writes run.json and
samples.jsonl; the other ranks write nothing but their cache entries.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from harness.cache.cached_engine import CachedEngine, CacheStats
from harness.cache.store import request_key
from harness.engine.interface import Engine, Progress
from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
)
from harness.errors import HarnessError
from harness.results.records import DistributedRecord, RankRecord, RunRecord
from harness.runs.options import RunOptions
from harness.runs.shards import Unit, assign, plan_digest, work_units

if TYPE_CHECKING:
    from harness.runs.runner import PlannedTask
    from harness.runs.runner import Progress as BarProgress


MPI_SIZES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")  # mpirun's ranks


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def launched() -> bool:
    """Whether a launcher (accelerate launch, torchrun, mpirun) started this process as one
    rank. `accelerate launch --cpu --num_processes N` without mpirun starts one process with
    nothing but a master address: refused, rather than run as one rank unknowingly."""
    if "WORLD_SIZE" in os.environ and "RANK" in os.environ:
        return True
    if any(int(os.environ.get(name, "1") or 1) > 1 for name in MPI_SIZES):
        return True
    if _flag("ACCELERATE_USE_CPU") and "MASTER_ADDR" in os.environ:
        raise HarnessError("accelerate launch --cpu started one process: accelerate starts "
                           "several CPU processes only through mpirun (--mpirun_hostfile); "
                           "use torchrun --nproc_per_node N -m harness run …, or accelerate "
                           "launch --multi_gpu --num_processes N on a machine without GPUs")
    return False


def is_main() -> bool:
    """Rank 0, or a process started without a launcher: the one that prints and writes."""
    return int(os.environ.get("RANK", "0") or 0) == 0


@dataclass
class TaskShare:
    """One rank's part of one task: which items, their requests' results, what it cost."""

    task: str
    items: list[int]
    results: list[Any]
    stats: EngineStats
    seconds: float


@dataclass
class RankReport:
    rank: int
    host: str
    device: str
    load_seconds: float
    compute_seconds: float
    counts: CacheStats
    peak_rss_mb: float
    shares: list[TaskShare] = field(default_factory=list)
    run_dir: str | None = None  # rank 0's run folder


def _add(total: EngineStats, more: EngineStats) -> None:
    for name in ("prompt_tokens", "computed_tokens", "generated_tokens", "forward_calls",
                 "logit_rows"):
        setattr(total, name, getattr(total, name) + getattr(more, name))


class Replay:
    """An `Engine` serving the results the ranks gathered, one task per call in the planned
    order (as `run_task` calls it); its stats advance by what every rank ran for that task."""

    def __init__(self, backend: Engine, served: dict[tuple[str, Any], Any],
                 per_task: list[EngineStats]) -> None:
        self.name, self.info, self.tokenizer = backend.name, backend.info, backend.tokenizer
        self.choice_refusal = backend.choice_refusal
        self.backend = backend
        self.served = served
        self.pending = list(per_task)
        self.totals = EngineStats()

    @property
    def stats(self) -> EngineStats:
        return self.totals

    def _serve(self, kind: str, requests: Sequence[Any], progress: Progress | None) -> list[Any]:
        out = [self.served[(kind, r)] for r in requests]
        _add(self.totals, self.pending.pop(0))
        if progress:
            progress(len(out))
        return out

    def loglikelihood(self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
                      sink: Any = None) -> list[LoglikResult]:
        return self._serve("loglik", requests, progress)

    def generate(self, requests: Sequence[GenRequest], progress: Progress | None = None,
                 sink: Any = None) -> list[GenResult]:
        return self._serve("gen", requests, progress)

    def describe(self) -> dict[str, Any]:
        return self.backend.describe()

    def close(self) -> None:
        return None


class GatheredEngine(CachedEngine):
    """What rank 0 judges with: every rank's results, and every rank's cache counts."""

    def __init__(self, replay: Replay, counts: CacheStats) -> None:
        super().__init__(replay, None)
        self.counts = counts

    def loglikelihood(self, requests: Sequence[LoglikRequest],
                      progress: Progress | None = None) -> list[LoglikResult]:
        return self.engine.loglikelihood(requests, progress)

    def generate(self, requests: Sequence[GenRequest],
                 progress: Progress | None = None) -> list[GenResult]:
        return self.engine.generate(requests, progress)


class _Silent:
    def start(self, description: str, total: int) -> None:
        return None

    def advance(self, amount: int) -> None:
        return None


class World:
    """This process's place among the ranks of a launched run."""

    def __init__(self, rank: int, size: int, local_size: int, backend: str) -> None:
        self.rank, self.size, self.local_size, self.backend = rank, size, local_size, backend
        self.main = rank == 0
        self.started = time.perf_counter()
        self.load_seconds = 0.0
        self.units: list[Unit] = []
        self.reports: list[RankReport] = []

    @classmethod
    def start(cls, options: RunOptions) -> World | None:
        """Join the launched ranks (None without a launcher); before the model loads, so that
        each GPU rank's model lands on its own device."""
        if not launched():
            return None
        from accelerate import PartialState

        cpu = (_flag("ACCELERATE_USE_CPU") or options.device == "cpu"
               or not torch.cuda.is_available())  # CPU ranks: gloo
        gpus = torch.cuda.device_count()
        local_size = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        if not cpu and local_size > gpus:
            raise HarnessError(f"{local_size} ranks on this machine but only {gpus} CUDA "
                               f"device(s): launch at most {gpus} processes per machine, or "
                               "run on the CPU (--device cpu)")
        state = PartialState(cpu=cpu)
        size = state.num_processes
        local_size = int(os.environ.get("LOCAL_WORLD_SIZE", size))
        if size > 1 and options.device_map is not None:
            raise HarnessError(f"--device-map {options.device_map} with {size} ranks: a model "
                               "split across devices runs in one process; launch one process "
                               "(--num_processes 1) or drop --device-map")
        if size > 1 and options.device.startswith("cuda:"):
            raise HarnessError(f"--device {options.device} with {size} ranks: each rank takes "
                               "its own GPU (rank i on cuda:i); use --device cuda or auto")
        return cls(state.process_index, size, local_size, str(state.backend))

    def agree(self, signature: str, planned: Sequence[PlannedTask], tokenizer: Any,
              device: str) -> None:
        """Check that every rank runs the same evaluation and that there is work for each;
        split the work. CPU ranks share the machine's cores."""
        from accelerate.utils import gather_object

        self.load_seconds = time.perf_counter() - self.started
        if device == "cpu":
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // self.local_size))
        mine = (signature, plan_digest(planned))
        views = gather_object([mine])
        for rank, view in enumerate(views):
            if tuple(view) != tuple(views[0]):
                raise HarnessError(f"rank {rank} disagrees with rank 0 on the run (run "
                                   "signature or prompts differ: options, model files or suite "
                                   "differ between ranks); launch every rank with the same "
                                   "command, model and suite")
        units = work_units(planned, tokenizer)
        if len(units) < self.size:
            raise HarnessError(f"{self.size} ranks, but this run has only {len(units)} units "
                               "of work (an open-book document's items, or one closed-book "
                               f"item, go to one rank): launch at most {len(units)} processes "
                               "(--num_processes), or give a larger --limit or more tasks")
        self.units = assign(units, self.size)[self.rank]

    def compute(self, engine: CachedEngine, planned: Sequence[PlannedTask],
                progress: BarProgress, run_dir: Path | None) -> list[RankReport]:
        """This rank's share of every task, through the request cache; then every rank's
        report, gathered on every rank."""
        from accelerate.utils import gather_object

        started = time.perf_counter()
        shares = []
        for t, one in enumerate(planned):
            items = sorted(i for u in self.units if u.task == t for i in u.items)
            flat: list[Any] = [r for i in items for r in one.requests.per_item[i]]
            before, task_started = replace(engine.engine.stats), time.perf_counter()
            progress.start(one.task.name, len(flat))
            try:
                results: list[Any] = ([] if not flat else
                                      engine.generate(flat, progress.advance)
                                      if one.task.regime == "qa" else
                                      engine.loglikelihood(flat, progress.advance))
            except torch.OutOfMemoryError:
                raise HarnessError(f"out of memory in task {one.task.name} on rank "
                                   f"{self.rank}; try a smaller --batch-size, e.g. "
                                   "--batch-size 1") from None
            shares.append(TaskShare(one.task.name, items, results,
                                    engine.engine.stats.since(before),
                                    time.perf_counter() - task_started))
        info = engine.engine.info
        device = info.device
        if device == "cuda":
            device = f"cuda:{torch.cuda.current_device()}"
        report = RankReport(
            self.rank, socket.gethostname(), device, round(self.load_seconds, 3),
            round(time.perf_counter() - started, 3), engine.counts,
            round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), shares,
            str(run_dir) if run_dir else None)
        self.reports = sorted(gather_object([report]), key=lambda r: r.rank)
        return self.reports

    def follow(self, engine: CachedEngine, planned: Sequence[PlannedTask]) -> Path:
        """A rank other than 0: compute its share, hand it over, and close its cache."""
        try:
            reports = self.compute(engine, planned, _Silent(), None)
        finally:
            if engine.cache is not None:
                engine.cache.close()
        return Path(reports[0].run_dir or ".")

    def lead(self, engine: CachedEngine, planned: Sequence[PlannedTask],
             progress: BarProgress, run_dir: Path) -> tuple[GatheredEngine, BarProgress]:
        """Rank 0: compute its share, gather all, and give the runner an engine serving every
        result (and a silent progress: the bars ran while computing)."""
        reports = self.compute(engine, planned, progress, run_dir)
        served: dict[tuple[str, Any], Any] = {}
        per_task = [EngineStats() for _ in planned]
        counts = CacheStats()
        for report in reports:
            counts.hits += report.counts.hits
            counts.computed += report.counts.computed
            for t, (one, share) in enumerate(zip(planned, report.shares, strict=True)):
                kind = "gen" if one.task.regime == "qa" else "loglik"
                flat = [r for i in share.items for r in one.requests.per_item[i]]
                served.update(((kind, r), out) for r, out in zip(flat, share.results,
                                                                 strict=True))
                _add(per_task[t], share.stats)
        self._store(engine, served)
        return GatheredEngine(Replay(engine.engine, served, per_task), counts), _Silent()

    @staticmethod
    def _store(engine: CachedEngine, served: dict[tuple[str, Any], Any]) -> None:
        """Put results computed elsewhere (another machine's ranks, their own cache) in rank
        0's cache too; on one machine every rank already wrote the same file."""
        cache = engine.cache
        if cache is None:
            return
        keys = {request_key(engine.model, kind, r): (kind, out)
                for (kind, r), out in served.items()}
        present: set[str] = set()
        for kind, result_type in (("loglik", LoglikResult), ("gen", GenResult)):
            ours = [key for key, (k, _) in keys.items() if k == kind]
            present.update(cache.get_many(ours, result_type))
        for key, (kind, out) in keys.items():
            if key not in present:
                cache.put(key, kind, engine.model, out)

    def record(self, record: RunRecord) -> None:
        """The ranks in run.json, and task seconds that add up to the run's wall time (the
        slowest rank's compute), shared over tasks by the time all ranks spent on each."""
        wall = max(r.compute_seconds for r in self.reports)
        spent = {name: sum(s.seconds for r in self.reports for s in r.shares if s.task == name)
                 for name in record.tasks}
        total = sum(spent.values())
        for name, result in record.tasks.items():
            seconds = round(wall * spent[name] / total, 3) if total else 0.0
            record.tasks[name] = result.model_copy(update={
                "seconds": seconds,
                "items_per_s": round(result.n / seconds, 3) if seconds else 0.0})
        record.distributed = DistributedRecord(
            world_size=self.size, backend=self.backend, ranks=[
                RankRecord(rank=r.rank, host=r.host, device=r.device,
                           items=sum(len(s.items) for s in r.shares),
                           requests=sum(len(s.results) for s in r.shares),
                           load_seconds=r.load_seconds, compute_seconds=r.compute_seconds,
                           cache_hits=r.counts.hits, cache_computed=r.counts.computed,
                           computed_tokens=sum(s.stats.computed_tokens for s in r.shares),
                           peak_rss_mb=r.peak_rss_mb)
                for r in self.reports])
