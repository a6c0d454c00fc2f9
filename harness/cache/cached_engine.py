"""An engine behind the request cache: only requests never computed before reach the model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.cache.store import RequestCache, model_key, request_key
from harness.engine.interface import Engine, Progress
from harness.engine.types import GenRequest, GenResult, LoglikRequest, LoglikResult

R = TypeVar("R", GenResult, LoglikResult)


@dataclass
class CacheStats:
    hits: int = 0
    computed: int = 0


class CachedEngine:
    """Same calls as the engine it wraps; `cache=None` computes everything (--no-cache)."""

    def __init__(self, engine: Engine, cache: RequestCache | None) -> None:
        self.engine = engine
        self.cache = cache
        self.model = model_key(engine.info, engine.name)
        self.counts = CacheStats()

    @property
    def tokenizer(self) -> Any:
        return self.engine.tokenizer

    def loglikelihood(self, requests: Sequence[LoglikRequest],
                      progress: Progress | None = None) -> list[LoglikResult]:
        return self._run("loglik", requests, LoglikResult, self.engine.loglikelihood, progress)

    def generate(self, requests: Sequence[GenRequest],
                 progress: Progress | None = None) -> list[GenResult]:
        return self._run("gen", requests, GenResult, self.engine.generate, progress)

    def _count(self, _index: int, _result: object) -> None:
        self.counts.computed += 1

    def _run(self, kind: str, requests: Sequence[Any], result_type: type[R],
             compute: Callable[..., list[R]], progress: Progress | None) -> list[R]:
        if self.cache is None:
            return compute(requests, progress, self._count)
        cache = self.cache
        keys = [request_key(self.model, kind, r) for r in requests]
        stored = cache.get_many(keys, result_type)  # damaged or partial entries: misses
        results: dict[int, R] = {i: stored[k] for i, k in enumerate(keys) if k in stored}
        missing = [i for i in range(len(requests)) if i not in results]
        self.counts.hits += len(results)
        if progress and results:
            progress(len(results))

        def store(index: int, result: R) -> None:
            cache.put(keys[missing[index]], kind, self.model, result)
            self._count(index, result)  # as it arrives: an interrupted run counts what it did

        fresh = compute([requests[i] for i in missing], progress, store) if missing else []
        results.update(zip(missing, fresh, strict=True))
        return [results[i] for i in range(len(requests))]
