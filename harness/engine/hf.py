"""The transformers engine: batched log-likelihoods and greedy generation with prefix reuse."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import torch

from harness.engine.batching import rows_per_batch
from harness.engine.decode import RowDecoder
from harness.engine.prefix import group_by_prefix
from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
    ModelInfo,
)

Progress = Callable[[int], None]
LoglikSink = Callable[[int, LoglikResult], None]
GenSink = Callable[[int, GenResult], None]


class HFEngine:
    """Runs requests on a loaded transformers causal LM.

    Log-likelihoods follow lm-eval's tokenization rules (trailing context spaces move to the
    continuation; the continuation's tokens are those of context+continuation after the
    context's own tokens), so scores can be cross-checked with `HFLM.loglikelihood`.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        info: ModelInfo,
        *,
        batch_size: int | None = None,  # None: automatic, from a memory budget
        prefix_reuse: bool = True,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self.batch_size = batch_size
        self.prefix_reuse = prefix_reuse
        self.stats = EngineStats()
        self.device = torch.device(info.device)
        if info.device == "cpu":
            torch.set_num_threads(os.cpu_count() or 1)
        self.pad_id = self._pad_id()
        self.eos_ids = self._eos_ids()
        self.max_length = int(getattr(model.config, "max_position_embeddings", 4096) or 4096)

    # -- tokens -------------------------------------------------------------------------
    def _pad_id(self) -> int:
        for candidate in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id, 0):
            if candidate is not None:
                return int(candidate)
        return 0

    def _eos_ids(self) -> set[int]:
        ids: set[int] = set()
        gen_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        for value in (self.tokenizer.eos_token_id, gen_eos):
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, list):
                ids.update(int(v) for v in value)
        return ids

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        spaces = len(context) - len(context.rstrip())
        if spaces:
            continuation = context[-spaces:] + continuation
            context = context[:-spaces]
        whole = self.encode(context + continuation)
        context_ids = self.encode(context) if context else [self._prefix_token()]
        if not context:
            whole = context_ids + whole
        return context_ids, whole[len(context_ids) :]

    def _prefix_token(self) -> int:
        bos = self.tokenizer.bos_token_id
        return int(bos) if bos is not None else next(iter(self.eos_ids), self.pad_id)

    # -- forward ------------------------------------------------------------------------
    def _prefix_cache(self, prefix: list[int]) -> tuple[Any, Any]:
        ids = torch.tensor([prefix], device=self.device)
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        self.stats.computed_tokens += len(prefix)
        self.stats.forward_calls += 1
        return out.cache, out.logits[:, -1]

    def _expand(self, cache: Any, rows: int) -> Any:
        from transformers import DynamicCache

        fresh = DynamicCache(config=self.model.config)
        for index, layer in enumerate(cache.layers):
            fresh.update(layer.keys.expand(rows, -1, -1, -1), layer.values.expand(rows, -1, -1, -1),
                         index)
        return fresh

    def _forward_rows(
        self, rows: Sequence[list[int]], prefix: tuple[Any, int] | None, keep: int
    ) -> tuple[torch.Tensor, Any, torch.Tensor, torch.Tensor]:
        """Left-pad `rows`, run them after the cached prefix; returns logits of the last
        `keep` positions, the cache, the attention mask and the last position ids."""
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, width - len(row) :] = torch.tensor(row)
            mask[i, width - len(row) :] = 1
        offset = prefix[1] if prefix else 0
        positions = (mask.cumsum(-1) - 1).clamp(min=0) + offset
        cache = self._expand(prefix[0], len(rows)) if prefix else None
        if prefix:
            mask = torch.cat([torch.ones((len(rows), offset), dtype=torch.long), mask], dim=1)
        mask, ids, positions = (t.to(self.device) for t in (mask, ids, positions))
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache,
                         use_cache=True, logits_to_keep=keep)
        self.stats.computed_tokens += sum(len(r) for r in rows)
        self.stats.forward_calls += 1
        return out.logits, out.cache, mask, positions[:, -1:]

    # -- log-likelihood -----------------------------------------------------------------
    @torch.inference_mode()
    def loglikelihood(
        self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
        sink: LoglikSink | None = None,
    ) -> list[LoglikResult]:
        pairs = [self.encode_pair(r.context, r.continuation) for r in requests]
        pairs = [self._truncate(c, k) for c, k in pairs]
        self.stats.prompt_tokens += sum(len(c) + len(k) - 1 for c, k in pairs)
        results: dict[int, LoglikResult] = {}
        for prefix_len, members in self._plan([c for c, _ in pairs]):
            prefix = None
            if prefix_len:
                cache, _ = self._prefix_cache(pairs[members[0]][0][:prefix_len])
                prefix = (cache, prefix_len)
            rows = {i: (pairs[i][0] + pairs[i][1])[prefix_len:-1] for i in members}
            for chunk in self._chunks(members, rows, prefix_len):
                keep = max(len(pairs[i][1]) for i in chunk)
                logits, _, _, _ = self._forward_rows([rows[i] for i in chunk], prefix, keep)
                logprobs = torch.log_softmax(logits.float(), dim=-1)
                for row, i in enumerate(chunk):
                    cont = pairs[i][1]
                    lp = logprobs[row, keep - len(cont) :]
                    target = torch.tensor(cont, device=lp.device)
                    picked = lp.gather(-1, target[:, None]).squeeze(-1)
                    greedy = bool((lp.argmax(-1) == target).all())
                    results[i] = LoglikResult(float(picked.sum()), greedy, len(cont))
                    if sink:
                        sink(i, results[i])
                if progress:
                    progress(len(chunk))
        return [results[i] for i in range(len(requests))]

    def _truncate(self, context: list[int], cont: list[int]) -> tuple[list[int], list[int]]:
        overflow = len(context) + len(cont) - 1 - self.max_length
        return (context[overflow:], cont) if overflow > 0 else (context, cont)

    def _plan(self, sequences: Sequence[list[int]]) -> list[tuple[int, tuple[int, ...]]]:
        """Prefix groups; sequences without a shared prefix are pooled into one plain group."""
        groups = group_by_prefix(sequences, enabled=self.prefix_reuse)
        plain = tuple(i for g in groups if g.prefix_len == 0 for i in g.members)
        shared = [(g.prefix_len, g.members) for g in groups if g.prefix_len > 0]
        return shared + ([(0, plain)] if plain else [])

    def _chunks(self, members: Sequence[int], rows: dict[int, list[int]], prefix_len: int,
                extra: int = 0) -> list[list[int]]:
        order = sorted(members, key=lambda i: -len(rows[i]))
        chunks: list[list[int]] = []
        current: list[int] = []
        for i in order:
            width = len(rows[order[0]] if not current else rows[current[0]]) + extra
            limit = rows_per_batch(self.model.config, prefix_len + width, self.info,
                                   self.batch_size)
            if current and len(current) >= limit:
                chunks.append(current)
                current = []
            current.append(i)
        if current:
            chunks.append(current)
        return chunks

    # -- generation ---------------------------------------------------------------------
    @torch.inference_mode()
    def generate(
        self, requests: Sequence[GenRequest], progress: Progress | None = None,
        sink: GenSink | None = None,
    ) -> list[GenResult]:
        prompts = [self.encode(r.prompt)[-self.max_length :] for r in requests]
        self.stats.prompt_tokens += sum(len(p) for p in prompts)
        results: dict[int, GenResult] = {}
        for prefix_len, members in self._plan(prompts):
            prefix = None
            if prefix_len:
                cache, _ = self._prefix_cache(prompts[members[0]][:prefix_len])
                prefix = (cache, prefix_len)
            rows = {i: prompts[i][prefix_len:] for i in members}
            budget = max(requests[i].max_new_tokens for i in members)
            for chunk in self._chunks(members, rows, prefix_len, extra=budget):
                outs = self._decode([rows[i] for i in chunk], [requests[i] for i in chunk],
                                    prefix)
                for i, decoder in zip(chunk, outs, strict=True):
                    results[i] = decoder.result(len(prompts[i]))
                    self.stats.generated_tokens += len(decoder.ids)
                    if sink:
                        sink(i, results[i])
                if progress:
                    progress(len(chunk))
        return [results[i] for i in range(len(requests))]

    def _decode(
        self, rows: list[list[int]], reqs: list[GenRequest], prefix: tuple[Any, int] | None
    ) -> list[RowDecoder]:
        logits, cache, mask, pos = self._forward_rows(rows, prefix, keep=1)
        decoders = [RowDecoder(req, self.tokenizer, self.eos_ids) for req in reqs]
        while True:
            feed = []
            for row, decoder in enumerate(decoders):
                if decoder.finish:
                    feed.append(self.pad_id)
                    continue
                token = decoder.choose(logits[row, -1])
                decoder.push(token)
                feed.append(token)
            if all(d.finish for d in decoders):
                return decoders
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            pos = pos + 1
            out = self.model(input_ids=torch.tensor([feed], device=self.device).T,
                             attention_mask=mask, position_ids=pos, cache=cache, use_cache=True,
                             logits_to_keep=1)
            cache, logits = out.cache, out.logits
            self.stats.computed_tokens += len(rows)
            self.stats.forward_calls += 1
