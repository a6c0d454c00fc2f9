"""Throughput and memory of a run, summed over its tasks."""

from __future__ import annotations

from dataclasses import dataclass

from harness.results.records import RunRecord


@dataclass(frozen=True)
class Efficiency:
    items_per_s: float | None
    prompt_tokens_per_s: float | None
    generated_tokens_per_s: float | None
    peak_rss_mb: float | None
    peak_gpu_mb: float | None


def _rate(amount: int, seconds: float) -> float | None:
    return amount / seconds if seconds > 0 else None


def run_efficiency(run: RunRecord) -> Efficiency:
    """Items, prompt tokens and generated tokens per second of task time; peak memory. A run
    that took any request from the request cache (a rerun, a resumed run) measured no
    throughput: its rates are None (shown as –), not the speed of reading the cache."""
    tasks = run.tasks.values()
    seconds = sum(t.seconds for t in tasks) if not run.cache.hits else 0.0
    return Efficiency(
        items_per_s=_rate(sum(t.n for t in tasks), seconds),
        prompt_tokens_per_s=_rate(sum(t.prompt_tokens for t in tasks), seconds),
        generated_tokens_per_s=_rate(sum(t.generated_tokens for t in tasks), seconds),
        peak_rss_mb=run.peak_rss_mb or None,
        peak_gpu_mb=run.peak_gpu_mb,
    )
