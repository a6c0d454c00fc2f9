"""Generation: prefix groups -> one pass over their shared prefixes -> rows decoded together
(continuous batching: finished rows leave, waiting rows join), reading the prefix cache in
place where the model's attention allows it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch

from harness.engine.hf.attention import PrefixSplitUnsupported
from harness.engine.hf.decode import RowDecoder
from harness.engine.hf.heap import release_freed
from harness.engine.hf.kv import new_cache
from harness.engine.hf.passes import Passes, pad_rows
from harness.engine.hf.prefix import Batch, Prefix
from harness.engine.hf.running import Running, can_merge
from harness.engine.hf.shared_prefix import SharedPrefix
from harness.engine.hf.tokens import Tokens
from harness.engine.interface import GenSink, Progress
from harness.engine.types import GenRequest, GenResult
from harness.engine.window import fit_prompt

SPLIT_PREFIX_MIN = 256  # rows read a prefix this long in place (shorter: copies)
GEN_MIN_SHARE = 0.2  # prompts sharing this much (an instruction) form a group
Forward = tuple[torch.Tensor, Any, torch.Tensor, torch.Tensor, SharedPrefix | None]


class Generator:
    """Generates the continuations of prompts, batch by batch."""

    def __init__(self, passes: Passes, tokens: Tokens, max_length: int,
                 truncate: str | None) -> None:
        self.passes = passes
        self.tokens = tokens
        self.max_length = max_length
        self.truncate = truncate  # None: a prompt longer than the context is an error

    def run(self, requests: Sequence[GenRequest], progress: Progress | None,
            sink: GenSink | None) -> list[GenResult]:
        passes = self.passes
        encoded = self.tokens.encode_many([r.prompt for r in requests])
        prompts = [fit_prompt(ids, r.max_new_tokens, self.max_length, self.truncate)
                   for ids, r in zip(encoded, requests, strict=True)]
        passes.stats.prompt_tokens += sum(len(p) for p in prompts)
        results: dict[int, GenResult] = {}
        budget = max((r.max_new_tokens for r in requests), default=0)
        # Rows of one batch join a running decode as others finish, but batches decode one
        # after another: a prefix group must save more than a batch's worth of decode steps.
        # Then a shared instruction is worth its pass even where it is a fifth of the prompt.
        for batch in passes.batches(prompts, min_saving=budget * (passes.batch_size or 8),
                                    lone_prefixes=True, min_share=GEN_MIN_SHARE):
            rows = {i: prompts[i][batch.prefix_of(g) :] for g, i in batch.members}
            split = self.splits(batch)  # else copies, or a lone prompt grows in place
            room = 0 if split else max(len(r) for r in rows.values()) + budget
            prefix = passes.prefixes([prompts[i][:n] for n, i in
                                      zip(batch.prefix_lens, batch.leaders, strict=True)],
                                     reserve=room) if batch.prefix_lens else None
            for i, decoder in self.decode(batch, rows, requests, prefix, budget, split):
                results[i] = decoder.result(len(prompts[i]))
                passes.stats.generated_tokens += len(decoder.ids)
                if sink:
                    sink(i, results[i])
                if progress:
                    progress(1)
            # freed now, not when the next batch's prefixes are bound: both sets of caches
            # would be alive during its prefix pass (the peak of an open-book run)
            prefix = None
            release_freed(passes.device.type)
        return [results[i] for i in range(len(requests))]

    def splits(self, batch: Batch) -> bool:
        """Whether the batch's rows read their prefix cache in place rather than each from a
        copy: where the model's attention can, and where copies would cost (a prefix of a
        document's length continued by several rows; a lone prompt's row continues its own
        buffers in place, and a short instruction is cheaper copied than split)."""
        return (self.passes.split_prefix and bool(batch.prefix_lens)
                and batch.max_prefix >= SPLIT_PREFIX_MIN
                and len(batch.members) > len(batch.prefix_lens))

    def decode(self, batch: Batch, rows: dict[int, list[int]], requests: Sequence[GenRequest],
               prefix: Prefix | None, budget: int, split: bool = False,
               ) -> Iterator[tuple[int, RowDecoder]]:
        """Decode the batch's rows (longest prompts first), as many at once as `limits`
        allows, prefilled a pass of rows at a time: finished rows leave at once, waiting rows
        join when half the rows are free."""
        waiting = sorted(batch.members, key=lambda m: -len(rows[m[1]]))
        prompt = len(rows[waiting[0][1]])
        limit, prefill = self.limits(batch, prompt, prompt + budget, prefix if split else None)
        running: Running | None = None
        while waiting or running:
            room = limit - (running.size if running else 0)
            if waiting and (running is None or (
                    room >= min(len(waiting), max(1, limit // 2)) and can_merge(running.cache))):
                admitted, waiting = waiting[:room], waiting[room:]
                for first in range(0, len(admitted), prefill):  # a prefill pass at a time
                    part = admitted[first : first + prefill]
                    joining = self.start([rows[i] for _, i in part],
                                         [requests[i] for _, i in part], [i for _, i in part],
                                         prefix, [g for g, _ in part], split)
                    if running is None:
                        running = joining
                    else:
                        running.join(joining)
            assert running is not None
            for row, decoder in enumerate(running.decoders):
                decoder.push(decoder.choose(running.logits[row], running.greedy[row]))
            done = running.finished()
            for row in done:
                yield running.members[row], running.decoders[row]
            alive = [row for row in range(running.size) if row not in done]
            if not alive:
                running = None
                continue
            if done:
                running.keep(alive)
            self.step(running)

    def limits(self, batch: Batch, prompt: int, own: int, shared: Prefix | None
               ) -> tuple[int, int]:
        """Rows that decode together and rows per prefill pass (`decode_rows`). Rows reading
        the `shared` prefix cache in place hold their own tokens (the prefix's cache, which
        stays for as long as they run, is taken from the budget); else each holds a copy of
        its prefix, if any. Rows that cannot join a running decode (a sliding-window or
        static cache) all prefill in one pass."""
        passes = self.passes
        if shared is not None:
            held = sum(layer.keys.nbytes + layer.values.nbytes for layer in shared.cache.layers)
            return passes.decode_limits(cached=own, prompt=prompt,
                                        attended=batch.max_prefix + prompt, held=held)
        if not passes.mergeable:
            rows = passes.rows_limit(batch.max_prefix + own, plain=not batch.max_prefix)
            return rows, rows
        return passes.decode_limits(cached=batch.max_prefix + own, prompt=prompt,
                                    attended=batch.max_prefix + prompt)

    def start(self, rows: list[list[int]], reqs: list[GenRequest], members: list[int],
              prefix: Prefix | None, groups: list[int], split: bool) -> Running:
        logits, cache, mask, positions, shared = self.forward_rows(
            rows, prefix, groups, reserve=max(r.max_new_tokens for r in reqs), split=split)
        decoders = [RowDecoder(req, self.tokens.tokenizer, self.tokens.eos_ids) for req in reqs]
        last = logits[:, -1]
        return Running(cache, mask, positions, last, last.argmax(-1).tolist(), members,
                       decoders, shared)

    def forward_rows(self, rows: Sequence[list[int]], prefix: Prefix | None,
                     groups: Sequence[int], reserve: int, split: bool = False) -> Forward:
        """Left-pad `rows` and run each after its group's cached prefix; returns the last
        position's logits, the cache (with room for `reserve` more tokens), the attention
        mask, the last position ids and, with `split` (where the model's attention takes
        it), the shared prefix the rows read in place rather than each from a copy of it
        (then the cache and the mask hold the rows' own tokens only)."""
        passes = self.passes
        config, device = passes.model.config, passes.device
        ids, mask = pad_rows(rows, passes.pad_id, left=True)
        ids, mask = ids.to(device), mask.to(device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        shared, extra = None, {}
        if prefix is None:
            cache = new_cache(config, reserve)
        else:
            index = torch.tensor(groups, device=device)
            positions = positions + prefix.lengths.index_select(0, index)[:, None]
            if split and passes.split_prefix:
                shared = SharedPrefix(prefix.cache, prefix.lengths.tolist(), index)
                cache, extra = new_cache(config, reserve), {"shared_prefix": shared}
            else:
                cache = passes.gather(prefix.cache, index, ids.shape[1] + reserve)
                mask = torch.cat([prefix.mask.index_select(0, index), mask], dim=1)
        try:
            out = passes.model(input_ids=ids, attention_mask=mask, position_ids=positions,
                               cache=cache, use_cache=True, logits_to_keep=1, **extra)
        except PrefixSplitUnsupported:
            out = None
        if shared is not None and (out is None or shared.calls != len(cache.layers)):
            # this model's attention cannot split, or never saw the prefix: copy it per row
            passes.split_prefix = False
            return self.forward_rows(rows, prefix, groups, reserve)
        assert out is not None
        passes.stats.count_pass(sum(len(r) for r in rows), len(rows))
        return out.logits, out.cache, mask, positions[:, -1:], shared

    def step(self, running: Running) -> None:
        """One decode step: each row's last chosen token, after its cache."""
        passes = self.passes
        feed = [decoder.ids[-1] for decoder in running.decoders]
        running.mask = torch.cat([running.mask, torch.ones_like(running.mask[:, :1])], dim=1)
        running.positions = running.positions + 1
        extra = {} if running.shared is None else {"shared_prefix": running.shared}
        out = passes.model(input_ids=torch.tensor([feed], device=passes.device).T,
                           attention_mask=running.mask, position_ids=running.positions,
                           cache=running.cache, use_cache=True, logits_to_keep=1, **extra)
        running.cache, running.logits = out.cache, out.logits[:, -1]
        running.greedy = running.logits.argmax(-1).tolist()
        passes.stats.count_pass(running.size, running.size)
