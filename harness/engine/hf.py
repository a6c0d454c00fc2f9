"""The transformers engine: batched log-likelihoods and greedy generation with prefix reuse."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import torch

from harness.engine.batching import rows_per_batch
from harness.engine.decode import RowDecoder
from harness.engine.prefix import Batch, Prefix, PrefixGroup, group_by_prefix
from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
    ModelInfo,
)

PREFIX_PAD_SHARE = 0.8  # prefixes batched together are at least this share of the longest
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

    def encode_many(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text (one batched tokenizer call; identical texts once)."""
        unique = list(dict.fromkeys(texts))
        if not unique:
            return []
        ids = self.tokenizer(unique, add_special_tokens=False)["input_ids"]
        table = {text: list(row) for text, row in zip(unique, ids, strict=True)}
        return [table[text] for text in texts]

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        return self.encode_pairs([LoglikRequest(context, continuation)])[0]

    def encode_pairs(self, requests: Sequence[LoglikRequest]) -> list[tuple[list[int], list[int]]]:
        """lm-eval's `_encode_pair` for each request: trailing context spaces move to the
        continuation; continuation ids = ids(context + continuation) after ids(context)."""
        contexts, wholes = [], []
        for request in requests:
            context, continuation = request.context, request.continuation
            spaces = len(context) - len(context.rstrip())
            if spaces:
                continuation = context[-spaces:] + continuation
                context = context[:-spaces]
            contexts.append(context)
            wholes.append(context + continuation)
        context_ids = iter(self.encode_many([c for c in contexts if c]))
        whole_ids = self.encode_many(wholes)
        pairs = []
        for context, whole in zip(contexts, whole_ids, strict=True):
            if context:
                ctx = next(context_ids)
            else:
                ctx, whole = [self._prefix_token()], [self._prefix_token(), *whole]
            pairs.append((ctx, whole[len(ctx) :]))
        return pairs

    def _prefix_token(self) -> int:
        for candidate in (self.tokenizer.bos_token_id, self.tokenizer.eos_token_id):
            if candidate is not None:
                return int(candidate)
        return self.pad_id

    # -- forward ------------------------------------------------------------------------
    @staticmethod
    def _left_pad(rows: Sequence[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            if row:
                ids[i, width - len(row) :] = torch.tensor(row)
                mask[i, width - len(row) :] = 1
        return ids, mask

    def _prefixes(self, prefixes: Sequence[list[int]]) -> Prefix:
        """Run several groups' shared prefixes in one left-padded forward pass."""
        ids, mask = self._left_pad(prefixes, self.pad_id)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        ids, mask, positions = (t.to(self.device) for t in (ids, mask, positions))
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions,
                         use_cache=True, logits_to_keep=1)
        self.stats.computed_tokens += sum(len(p) for p in prefixes)
        self.stats.forward_calls += 1
        lengths = torch.tensor([len(p) for p in prefixes], device=self.device)
        return Prefix(out.cache, mask, lengths)

    def _gather(self, cache: Any, index: torch.Tensor) -> Any:
        """A fresh cache whose row i is the prefix cache's row index[i]."""
        from transformers import DynamicCache

        fresh = DynamicCache(config=self.model.config)
        for layer_index, layer in enumerate(cache.layers):
            fresh.update(layer.keys.index_select(0, index), layer.values.index_select(0, index),
                         layer_index)
        return fresh

    def _forward_rows(
        self, rows: Sequence[list[int]], prefix: Prefix | None, groups: Sequence[int], keep: int
    ) -> tuple[torch.Tensor, Any, torch.Tensor, torch.Tensor]:
        """Left-pad `rows` and run each after its group's cached prefix; returns logits of the
        last `keep` positions, the cache, the attention mask and the last position ids."""
        ids, mask = self._left_pad(rows, self.pad_id)
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = None
        if prefix is not None:
            index = torch.tensor(groups, device=self.device)
            cache = self._gather(prefix.cache, index)
            positions = positions + prefix.lengths.index_select(0, index)[:, None]
            mask = torch.cat([prefix.mask.index_select(0, index), mask], dim=1)
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache,
                         use_cache=True, logits_to_keep=keep)
        self.stats.computed_tokens += sum(len(r) for r in rows)
        self.stats.forward_calls += 1
        return out.logits, out.cache, mask, positions[:, -1:]

    def _batches(self, sequences: Sequence[list[int]]) -> list[Batch]:
        """Prefix groups packed into batches: up to a batch of groups share one prefix pass,
        then their rows (the sequences after the prefix) run in chunks."""
        groups = group_by_prefix(sequences, enabled=self.prefix_reuse)
        plain = [i for g in groups if g.prefix_len == 0 for i in g.members]
        shared = sorted((g for g in groups if g.prefix_len), key=lambda g: -g.prefix_len)
        batches: list[Batch] = []
        if plain:
            batches.append(Batch([], [(0, i) for i in plain], 0))
        pending: list[PrefixGroup] = []
        for group in shared:
            limit = self._rows_limit(pending[0].prefix_len if pending else group.prefix_len)
            padding = pending and group.prefix_len < PREFIX_PAD_SHARE * pending[0].prefix_len
            if pending and (len(pending) >= limit or padding):
                batches.append(self._batch(pending))
                pending = []
            pending.append(group)
        if pending:
            batches.append(self._batch(pending))
        return batches

    @staticmethod
    def _batch(groups: list[PrefixGroup]) -> Batch:
        members = [(g_index, i) for g_index, g in enumerate(groups) for i in g.members]
        return Batch([g.prefix_len for g in groups], members, max(g.prefix_len for g in groups),
                     [g.members[0] for g in groups])

    def _rows_limit(self, tokens: int) -> int:
        return rows_per_batch(self.model.config, tokens, self.info, self.batch_size)

    def _chunks(self, batch: Batch, rows: dict[int, list[int]], extra: int = 0
                ) -> list[list[tuple[int, int]]]:
        order = sorted(batch.members, key=lambda m: -len(rows[m[1]]))
        chunks: list[list[tuple[int, int]]] = []
        current: list[tuple[int, int]] = []
        for member in order:
            width = len(rows[(current or [member])[0][1]]) + extra
            if current and len(current) >= self._rows_limit(batch.max_prefix + width):
                chunks.append(current)
                current = []
            current.append(member)
        if current:
            chunks.append(current)
        return chunks

    # -- log-likelihood -----------------------------------------------------------------
    @torch.inference_mode()
    def loglikelihood(
        self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
        sink: LoglikSink | None = None,
    ) -> list[LoglikResult]:
        pairs = [self._truncate(c, k) for c, k in self.encode_pairs(requests)]
        self.stats.prompt_tokens += sum(len(c) + len(k) - 1 for c, k in pairs)
        results: dict[int, LoglikResult] = {}
        for batch in self._batches([c for c, _ in pairs]):
            prefix = self._prefixes([pairs[i][0][:n] for n, i in
                                     zip(batch.prefix_lens, batch.leaders, strict=True)]
                                    ) if batch.prefix_lens else None
            rows = {i: (pairs[i][0] + pairs[i][1])[batch.prefix_of(g) :-1]
                    for g, i in batch.members}
            for chunk in self._chunks(batch, rows):
                keep = max(len(pairs[i][1]) for _, i in chunk)
                logits, _, _, _ = self._forward_rows([rows[i] for _, i in chunk], prefix,
                                                     [g for g, _ in chunk], keep)
                scores = self._score(logits, [pairs[i][1] for _, i in chunk])
                for (_, i), (logprob, greedy) in zip(chunk, scores, strict=True):
                    results[i] = LoglikResult(logprob, greedy, len(pairs[i][1]))
                    if sink:
                        sink(i, results[i])
                if progress:
                    progress(len(chunk))
        return [results[i] for i in range(len(requests))]

    def _score(self, logits: torch.Tensor, conts: Sequence[list[int]]
               ) -> list[tuple[float, bool]]:
        """(sum of log-probabilities, greedy?) of each row's continuation, which fills the
        last len(cont) of the `keep` positions; one device-to-host copy for the chunk."""
        rows, keep = logits.shape[0], logits.shape[1]
        target = torch.zeros((rows, keep), dtype=torch.long)
        mask = torch.zeros((rows, keep), dtype=torch.bool)
        for row, cont in enumerate(conts):
            target[row, keep - len(cont) :] = torch.tensor(cont)
            mask[row, keep - len(cont) :] = True
        target, mask = target.to(logits.device), mask.to(logits.device)
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        picked = logprobs.gather(-1, target[..., None]).squeeze(-1).masked_fill(~mask, 0.0)
        greedy = ((logprobs.argmax(-1) == target) | ~mask).all(-1)
        sums = picked.sum(-1).tolist()
        flags = greedy.tolist()
        return [(float(s), bool(g)) for s, g in zip(sums, flags, strict=True)]

    def _truncate(self, context: list[int], cont: list[int]) -> tuple[list[int], list[int]]:
        overflow = len(context) + len(cont) - 1 - self.max_length
        return (context[overflow:], cont) if overflow > 0 else (context, cont)

    # -- generation ---------------------------------------------------------------------
    @torch.inference_mode()
    def generate(
        self, requests: Sequence[GenRequest], progress: Progress | None = None,
        sink: GenSink | None = None,
    ) -> list[GenResult]:
        encoded = self.encode_many([r.prompt for r in requests])
        prompts = [ids[-self.max_length :] for ids in encoded]
        self.stats.prompt_tokens += sum(len(p) for p in prompts)
        results: dict[int, GenResult] = {}
        budget = max((r.max_new_tokens for r in requests), default=0)
        for batch in self._batches(prompts):
            prefix = self._prefixes([prompts[i][:n] for n, i in
                                     zip(batch.prefix_lens, batch.leaders, strict=True)]
                                    ) if batch.prefix_lens else None
            rows = {i: prompts[i][batch.prefix_of(g) :] for g, i in batch.members}
            for chunk in self._chunks(batch, rows, extra=budget):
                decoders = self._decode([rows[i] for _, i in chunk],
                                        [requests[i] for _, i in chunk], prefix,
                                        [g for g, _ in chunk])
                for (_, i), decoder in zip(chunk, decoders, strict=True):
                    results[i] = decoder.result(len(prompts[i]))
                    self.stats.generated_tokens += len(decoder.ids)
                    if sink:
                        sink(i, results[i])
                if progress:
                    progress(len(chunk))
        return [results[i] for i in range(len(requests))]

    def _decode(
        self, rows: list[list[int]], reqs: list[GenRequest], prefix: Prefix | None,
        groups: list[int],
    ) -> list[RowDecoder]:
        logits, cache, mask, pos = self._forward_rows(rows, prefix, groups, keep=1)
        decoders = [RowDecoder(req, self.tokenizer, self.eos_ids) for req in reqs]
        while True:
            feed = []
            greedy = logits[:, -1].argmax(-1).tolist()  # one device sync per step
            for row, decoder in enumerate(decoders):
                if decoder.finish:
                    feed.append(self.pad_id)
                    continue
                token = decoder.choose(logits[row, -1], greedy[row])
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
