"""Two CPU ranks (gloo) give the single-process run's results over every regime of the seed
suite, item by item; rank 0 alone writes the run folder, with the ranks in run.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SEED_SUITE
from tests.scale.launch import accelerate, assert_same_results, only_run, run, single

LIMIT = "2"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, memorizer_model: Path) -> Path:
    results = tmp_path_factory.mktemp("single")
    run(single("--model", str(memorizer_model), "--suite", str(SEED_SUITE), "--limit", LIMIT,
               "--results", str(results), "--no-cache"))
    return results


def test_two_ranks_equal_one(tmp_path: Path, memorizer_model: Path, reference: Path) -> None:
    results, cache = tmp_path / "results", tmp_path / "cache"
    out = run(accelerate(2, "--model", str(memorizer_model), "--suite", str(SEED_SUITE),
                         "--limit", LIMIT, "--results", str(results), "--cache-dir",
                         str(cache)))
    assert out.stdout.count("results: ") == 1  # rank 0 reports; rank 1 prints nothing
    _, one, one_samples = only_run(reference)
    _, two, two_samples = only_run(results)
    worst = assert_same_results((one, one_samples), (two, two_samples))
    for name, task in one.tasks.items():  # every request counted once, by the rank that ran it
        assert two.tasks[name].prompt_tokens == task.prompt_tokens
    regimes = sorted({t.regime for t in two.tasks.values()})
    assert regimes == ["mc", "qa", "tf"] and len(two.tasks) == 8
    assert two.status == "complete" and two.distributed is not None
    ranks = two.distributed.ranks
    assert two.distributed.world_size == 2 and two.distributed.backend == "gloo"
    assert [r.rank for r in ranks] == [0, 1] and all(r.items > 0 for r in ranks)
    assert sum(r.items for r in ranks) == sum(t.n for t in two.tasks.values())
    assert sum(r.cache_computed for r in ranks) == two.cache.computed
    # throughput counts the whole run: task seconds add up to the slowest rank's compute
    wall = max(r.compute_seconds for r in ranks)
    assert abs(sum(t.seconds for t in two.tasks.values()) - wall) < 0.01 * len(two.tasks)
    print(f"2 ranks vs 1: {len(two_samples)} samples equal, largest log-likelihood "
          f"difference {worst:.1e}; items per rank {[r.items for r in ranks]}")
