"""What both of the HF engine's jobs share: batches of prefix groups, the prefix pass, and
handing a prefix cache to the rows that continue it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from harness.engine.hf.attention import GROUPED_SDPA, use_grouped_sdpa
from harness.engine.hf.batching import decode_rows, rows_per_batch
from harness.engine.hf.kv import ReservedLayer, RowWriter, new_cache
from harness.engine.hf.prefix import Batch, Prefix, PrefixGroup, group_by_prefix
from harness.engine.hf.running import can_merge
from harness.engine.types import EngineStats, ModelInfo

PREFIX_PAD_SHARE = 0.8  # CPU: prefixes batched together are at least this share of the
PREFIX_PAD_TOKENS = 64  # longest, or at most this many tokens shorter (short: fewer passes)
LONE_PREFIX_MIN = 256  # a prompt longer than this runs its own prefix pass (generation)
LONE_PASS_MIN = 256  # CPU: prefixes at least this long run unpadded, one pass each
CUSTOM_MASK_ATTENTION = ("sdpa", "eager")  # kernels that take a 4D mask (trie packing)
PREFIX_SHARE = 0.5  # of the memory budget a batch's prefixes may hold (their rows: the rest)


def pad_rows(rows: Sequence[list[int]], pad: int, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows padded to one width (on the left or the right) and their 0/1 mask."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            span = slice(width - len(row), width) if left else slice(0, len(row))
            ids[i, span] = torch.tensor(row)
            mask[i, span] = 1
    return ids, mask


class Passes:
    """The model, how many rows a pass may hold, and the passes over shared prefixes."""

    def __init__(self, model: Any, info: ModelInfo, pad_id: int, *, batch_size: int | None,
                 prefix_reuse: bool) -> None:
        self.model = model
        self.info = info
        self.pad_id = pad_id
        self.batch_size = batch_size  # None: automatic, from a memory budget
        self.prefix_reuse = prefix_reuse
        self.stats = EngineStats()
        self.device = torch.device(info.device)
        attention = str(getattr(model.config, "_attn_implementation", None) or "eager")
        self.attention = "sdpa" if attention == GROUPED_SDPA else attention
        self.mergeable = can_merge(new_cache(model.config, 0))  # rows can join a decode
        # same attention; masked passes stop copying KV heads, rows stop copying prefixes
        self.split_prefix = (self.attention == "sdpa" and use_grouped_sdpa(model)
                             and self.mergeable)
        self.custom_masks = self.attention in CUSTOM_MASK_ATTENTION
        # On a CPU a pad position of the prefix cache costs what a token does (time in a
        # padded pass, memory in the cache), so prefixes of unlike lengths batch apart. On a
        # GPU it costs little, while each batch decodes on its own: one batch of every
        # group lets all their rows share decode steps (fewer steps, each bound by launches).
        self.pad_splits = info.device == "cpu"

    def rows_limit(self, tokens: int, plain: bool = False, logits: int = 0,
                   attended: int = 0, share: float = 1.0, held: int = 0) -> int:
        return rows_per_batch(self.model.config, tokens, self.info, self.batch_size, plain,
                              logits, attended, share, held)

    def decode_limits(self, *, cached: int, prompt: int, attended: int, held: int = 0
                      ) -> tuple[int, int]:
        return decode_rows(self.model.config, self.info, self.batch_size, cached=cached,
                           prompt=prompt, attended=attended, held=held)

    def prefixes(self, prefixes: Sequence[list[int]], reserve: int = 0) -> Prefix:
        """Run several groups' shared prefixes in one forward pass, right-padded: a causal
        pass needs no mask then (pads come after every real token), so attention takes the
        kernels' causal fast path; later passes mask the pads out of the cache. The cache
        reserves `reserve` positions for the rows that continue it. On a CPU, prefixes of
        different lengths that are each long enough to keep the matrix products efficient
        run one pass each (`lone_prefixes`): there a pad position costs what a token does."""
        ids, mask = pad_rows(prefixes, self.pad_id, left=False)
        ids, mask = ids.to(self.device), mask.to(self.device)
        lengths = torch.tensor([len(p) for p in prefixes], device=self.device)
        cache = new_cache(self.model.config, reserve)
        if self.lone_prefixes(prefixes, cache):
            for row, p in enumerate(prefixes):  # each layer writes its row of the shared cache
                lone = new_cache(self.model.config, 0)
                lone.layers = [RowWriter(layer, row, len(prefixes), ids.shape[1])
                               for layer in cache.layers]
                self.model(input_ids=torch.tensor([p], device=self.device), cache=lone,
                           use_cache=True, logits_to_keep=1)
                self.stats.count_pass(len(p), 1)
            return Prefix(cache, mask, lengths)
        out = self.model(input_ids=ids, cache=cache, use_cache=True, logits_to_keep=1)
        self.stats.count_pass(sum(len(p) for p in prefixes), len(prefixes))
        return Prefix(out.cache, mask, lengths)

    def lone_prefixes(self, prefixes: Sequence[list[int]], cache: Any) -> bool:
        """Whether to run each prefix alone: on a CPU (a GPU gains from rows sharing a call),
        with padding to save, every prefix at least `LONE_PASS_MIN` tokens, and a cache of
        plain growing layers whose rows can be stacked."""
        lengths = [len(p) for p in prefixes]
        return (self.device.type == "cpu" and len(set(lengths)) > 1
                and min(lengths) >= LONE_PASS_MIN
                and all(isinstance(layer, ReservedLayer) for layer in cache.layers))

    def gather(self, cache: Any, index: torch.Tensor, room: int) -> Any:
        """A cache whose row i is the prefix cache's row index[i], copied once into buffers
        with `room` free positions (the tokens of the coming pass and generation); when the
        index takes every row in order and the prefix cache reserved the room, its buffers
        are used as they are (generation: each prefix is continued by one pass only)."""
        identity = bool(index.numel() == cache.layers[0].keys.shape[0] and torch.equal(
            index, torch.arange(index.numel(), device=index.device)))
        fresh = new_cache(self.model.config, 0)
        for layer_index, (source, layer) in enumerate(zip(cache.layers, fresh.layers,
                                                          strict=True)):
            keys, values = ((source.keys, source.values) if identity else
                            (source.keys.index_select(0, index),
                             source.values.index_select(0, index)))
            if identity and isinstance(source, ReservedLayer) and isinstance(
                    layer, ReservedLayer) and source.lend_to(layer, room):
                continue
            if isinstance(layer, ReservedLayer):
                layer.adopt(keys, values, room)
            else:
                fresh.update(keys, values, layer_index)
        return fresh

    def reclaim(self, cache: Any, borrower: Any) -> None:
        """Take back the prefix cache's buffers that `gather` lent `borrower`, whose pass is
        done: the next pass over every group in order borrows them again, not a copy."""
        for source, layer in zip(cache.layers, borrower.layers, strict=True):
            if isinstance(source, ReservedLayer) and isinstance(layer, ReservedLayer):
                source.reclaim(layer)

    def batches(self, sequences: Sequence[list[int]], min_saving: int = 1,
                lone_prefixes: bool = False, min_share: float = 0.5,
                min_prefix: int = 1) -> list[Batch]:
        """Prefix groups packed into batches: up to a batch of groups share one prefix pass,
        then their rows (the sequences after the prefix) run in chunks. Groups that would
        save fewer than `min_saving` tokens run as plain rows, or with `lone_prefixes` (and
        prefix reuse on) long ones as groups of one whose prefix is all but their last token:
        for long rows the unmasked prefix pass is faster and lighter than a left-padded masked
        one, which outweighs its extra one-token pass. Prefixes shorter than `min_prefix` get
        no pass of their own. With `pad_splits` (a CPU), prefixes of unlike lengths go to
        different batches. A batch's prefixes take at most `PREFIX_SHARE` of the memory
        budget: their cache stays while the rows that continue them run."""
        groups = group_by_prefix(sequences, enabled=self.prefix_reuse, min_share=min_share)
        worth = [g.prefix_len >= min_prefix and g.prefix_len * (len(g.members) - 1) >= min_saving
                 for g in groups]
        plain = [i for g, w in zip(groups, worth, strict=True) if not (w and g.prefix_len)
                 for i in g.members]
        shared = [g for g, w in zip(groups, worth, strict=True) if w and g.prefix_len]
        if lone_prefixes and self.prefix_reuse:
            shared += [PrefixGroup(len(sequences[i]) - 1, (i,)) for i in plain
                       if len(sequences[i]) > LONE_PREFIX_MIN]
            plain = [i for i in plain if len(sequences[i]) <= LONE_PREFIX_MIN]
        shared.sort(key=lambda g: -g.prefix_len)
        batches: list[Batch] = []
        if plain:
            batches.append(Batch([], [(0, i) for i in plain], 0))
        pending: list[PrefixGroup] = []
        for group in shared:
            limit = self.rows_limit(pending[0].prefix_len if pending else group.prefix_len,
                                    share=PREFIX_SHARE)
            longest = pending[0].prefix_len if pending else 0
            padding = (self.pad_splits and group.prefix_len < PREFIX_PAD_SHARE * longest
                       and longest - group.prefix_len > PREFIX_PAD_TOKENS)
            if pending and (len(pending) >= limit or padding):
                batches.append(_batch(pending))
                pending = []
            pending.append(group)
        if pending:
            batches.append(_batch(pending))
        return batches


def _batch(groups: list[PrefixGroup]) -> Batch:
    members = [(g_index, i) for g_index, g in enumerate(groups) for i in g.members]
    return Batch([g.prefix_len for g in groups], members, max(g.prefix_len for g in groups),
                 [g.members[0] for g in groups])
