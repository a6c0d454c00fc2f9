"""The transformers engine: batched log-likelihoods and greedy generation with prefix reuse."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from functools import partial
from typing import Any

import torch

from harness.engine.attention import GROUPED_SDPA, PrefixSplitUnsupported, use_grouped_sdpa
from harness.engine.batching import rows_per_batch
from harness.engine.choices import Choices
from harness.engine.decode import RowDecoder
from harness.engine.head_screen import HeadScreen, Request, Screen
from harness.engine.kernels import LinearKernels
from harness.engine.kv import ReservedLayer, RowWriter, new_cache
from harness.engine.norms import FusedNorms
from harness.engine.packed import packed_inputs, score_pieces
from harness.engine.prefix import Batch, Prefix, PrefixGroup, group_by_prefix
from harness.engine.running import Running, can_merge
from harness.engine.shared_prefix import SharedPrefix
from harness.engine.spread import pack_even, pack_rows
from harness.engine.trie import Path, Piece, pack
from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
    ModelInfo,
)

PREFIX_PAD_SHARE = 0.8  # CPU: prefixes batched together are at least this share of the
PREFIX_PAD_TOKENS = 64  # longest, or at most this many tokens shorter (short: fewer passes)
PIECE_NODES = 512  # most trie nodes in one packed row
PIECE_SCORED = 64  # most scored positions in one packed row (bounds the logits kept)
LONE_PREFIX_MIN = 256  # a prompt longer than this runs its own prefix pass (generation)
TRIE_PREFIX_MAX = 256  # log-likelihood: a shared prefix up to this long goes into the trie
SPLIT_PREFIX_MIN = 256  # generation: rows read a prefix this long in place (shorter: copies)
LONE_PASS_MIN = 256  # CPU: prefixes at least this long run unpadded, one pass each
GEN_MIN_SHARE = 0.2  # generation: prompts sharing this much (an instruction) form a group
CUSTOM_MASK_ATTENTION = ("sdpa", "eager")  # kernels that take a 4D mask (trie packing)
Progress = Callable[[int], None]
LoglikSink = Callable[[int, LoglikResult], None]
GenSink = Callable[[int, GenResult], None]


class HFEngine:
    """Runs requests on a loaded transformers causal LM.

    Log-likelihoods follow lm-eval's tokenization rules (trailing context spaces move to the
    continuation; the continuation's tokens are those of context+continuation after the
    context's own tokens), so scores can be cross-checked with `HFLM.loglikelihood`. A model
    with `sdpa` attention is switched to grouped SDPA (`attention.py`): the same attention,
    without copying key/value heads in masked passes; its generated rows then read their
    prompt's shared prefix cache in place (`shared_prefix.py`) instead of each copying it.
    On a CPU in float32, linear calls of few rows (decode steps) run the matrix product that
    timed fastest for their shape (`kernels.py`), this project's compiled kernel among them.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        info: ModelInfo,
        *,
        batch_size: int | None = None,  # None: automatic, from a memory budget
        prefix_reuse: bool = True,
        tune_kernels: bool = True,  # CPU float32: time products for few-row calls (kernels.py)
        screen_head: bool = True,  # CPU float32 greedy steps: int8 head screen (head_screen.py)
        fuse_norms: bool = True,  # RMSNorm layers fused where it agrees (norms.py)
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self.batch_size = batch_size
        self.prefix_reuse = prefix_reuse
        self.stats = EngineStats()
        self.device = torch.device(info.device)
        kept = Choices.for_machine()  # what timing chose, the same in every process
        self.kernels = LinearKernels(tune_kernels, kept=kept)  # CPU float32 layers only
        self.kernels.prepare(model)  # builds the compiled candidate now, not mid-pass
        self.head = HeadScreen(screen_head and info.device == "cpu", kept=kept)
        self.norms = FusedNorms(fuse_norms)  # RMSNorm layers: fused where it agrees
        self._screen: Screen | None = None  # the model's head screen while installed (generate)
        if info.device == "cpu":
            torch.set_num_threads(os.cpu_count() or 1)
        self.pad_id = self._pad_id()
        self.eos_ids = self._eos_ids()
        self.max_length = int(getattr(model.config, "max_position_embeddings", 4096) or 4096)
        attention = str(getattr(model.config, "_attn_implementation", None) or "eager")
        self.attention = "sdpa" if attention == GROUPED_SDPA else attention
        # same attention; masked passes stop copying KV heads, rows stop copying prefixes
        self.split_prefix = (self.attention == "sdpa" and use_grouped_sdpa(model)
                             and can_merge(new_cache(model.config, 0)))
        self.custom_masks = self.attention in CUSTOM_MASK_ATTENTION
        # On a CPU a pad position of the prefix cache costs what a token does (time in a
        # padded pass, memory in the cache), so prefixes of unlike lengths batch apart. On a
        # GPU it costs little, while each batch decodes on its own: one batch of every
        # group lets all their rows share decode steps (fewer steps, each bound by launches).
        self.pad_splits = info.device == "cpu"

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
    def _pad(rows: Sequence[list[int]], pad: int, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
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

    def _prefixes(self, prefixes: Sequence[list[int]], reserve: int = 0) -> Prefix:
        """Run several groups' shared prefixes in one forward pass, right-padded: a causal
        pass needs no mask then (pads come after every real token), so attention takes the
        kernels' causal fast path; later passes mask the pads out of the cache. The cache
        reserves `reserve` positions for the rows that continue it. On a CPU, prefixes of
        different lengths that are each long enough to keep the matrix products efficient
        run one pass each (`_lone_prefixes`): there a pad position costs what a token does."""
        ids, mask = self._pad(prefixes, self.pad_id, left=False)
        ids, mask = ids.to(self.device), mask.to(self.device)
        lengths = torch.tensor([len(p) for p in prefixes], device=self.device)
        cache = new_cache(self.model.config, reserve)
        if self._lone_prefixes(prefixes, cache):
            for row, p in enumerate(prefixes):  # each layer writes its row of the shared cache
                lone = new_cache(self.model.config, 0)
                lone.layers = [RowWriter(layer, row, len(prefixes), ids.shape[1])
                               for layer in cache.layers]
                with HeadScreen.request(self._screen, "discard"):
                    self.model(input_ids=torch.tensor([p], device=self.device), cache=lone,
                               use_cache=True, logits_to_keep=1)
                self.stats.count_pass(len(p), 1)
            return Prefix(cache, mask, lengths)
        with HeadScreen.request(self._screen, "discard"):  # its logits are never read
            out = self.model(input_ids=ids, cache=cache, use_cache=True, logits_to_keep=1)
        self.stats.count_pass(sum(len(p) for p in prefixes), len(prefixes))
        return Prefix(out.cache, mask, lengths)

    def _lone_prefixes(self, prefixes: Sequence[list[int]], cache: Any) -> bool:
        """Whether to run each prefix alone: on a CPU (a GPU gains from rows sharing a call),
        with padding to save, every prefix at least `LONE_PASS_MIN` tokens, and a cache of
        plain growing layers whose rows can be stacked."""
        lengths = [len(p) for p in prefixes]
        return (self.device.type == "cpu" and len(set(lengths)) > 1
                and min(lengths) >= LONE_PASS_MIN
                and all(isinstance(layer, ReservedLayer) for layer in cache.layers))

    def _gather(self, cache: Any, index: torch.Tensor, room: int) -> Any:
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

    def _splits(self, batch: Batch) -> bool:
        """Whether the batch's rows read their prefix cache in place rather than each from a
        copy: where the model's attention can, and where copies would cost (a prefix of a
        document's length continued by several rows; a lone prompt's row continues its own
        buffers in place, and a short instruction is cheaper copied than split)."""
        return (self.split_prefix and bool(batch.prefix_lens)
                and batch.max_prefix >= SPLIT_PREFIX_MIN
                and len(batch.members) > len(batch.prefix_lens))

    def _forward_rows(
        self, rows: Sequence[list[int]], prefix: Prefix | None, groups: Sequence[int],
        reserve: int, split: bool = False,
    ) -> tuple[torch.Tensor, Any, torch.Tensor, torch.Tensor, SharedPrefix | None]:
        """Left-pad `rows` and run each after its group's cached prefix; returns the last
        position's logits, the cache (with room for `reserve` more tokens), the attention
        mask, the last position ids and, with `split` (where the model's attention takes
        it), the shared prefix the rows read in place rather than each from a copy of it
        (then the cache and the mask hold the rows' own tokens only)."""
        ids, mask = self._pad(rows, self.pad_id, left=True)
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        shared, extra = None, {}
        if prefix is None:
            cache = new_cache(self.model.config, reserve)
        else:
            index = torch.tensor(groups, device=self.device)
            positions = positions + prefix.lengths.index_select(0, index)[:, None]
            if split and self.split_prefix:
                shared = SharedPrefix(prefix.cache, prefix.lengths.tolist(), index)
                cache, extra = new_cache(self.model.config, reserve), {"shared_prefix": shared}
            else:
                cache = self._gather(prefix.cache, index, ids.shape[1] + reserve)
                mask = torch.cat([prefix.mask.index_select(0, index), mask], dim=1)
        try:
            out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions,
                             cache=cache, use_cache=True, logits_to_keep=1, **extra)
        except PrefixSplitUnsupported:
            out = None
        if shared is not None and (out is None or shared.calls != len(cache.layers)):
            # this model's attention cannot split, or never saw the prefix: copy it per row
            self.split_prefix = False
            return self._forward_rows(rows, prefix, groups, reserve)
        assert out is not None
        self.stats.count_pass(sum(len(r) for r in rows), len(rows))
        return out.logits, out.cache, mask, positions[:, -1:], shared

    def _batches(self, sequences: Sequence[list[int]], min_saving: int = 1,
                 lone_prefixes: bool = False, min_share: float = 0.5,
                 min_prefix: int = 1) -> list[Batch]:
        """Prefix groups packed into batches: up to a batch of groups share one prefix pass,
        then their rows (the sequences after the prefix) run in chunks. Groups that would
        save fewer than `min_saving` tokens run as plain rows, or with `lone_prefixes` (and
        prefix reuse on) long ones as groups of one whose prefix is all but their last token:
        for long rows the unmasked prefix pass is faster and lighter than a left-padded masked
        one, which outweighs its extra one-token pass. Prefixes shorter than `min_prefix` get
        no pass of their own. With `pad_splits` (a CPU), prefixes of unlike lengths go to
        different batches."""
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
            limit = self._rows_limit(pending[0].prefix_len if pending else group.prefix_len)
            longest = pending[0].prefix_len if pending else 0
            padding = (self.pad_splits and group.prefix_len < PREFIX_PAD_SHARE * longest
                       and longest - group.prefix_len > PREFIX_PAD_TOKENS)
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

    def _rows_limit(self, tokens: int, plain: bool = False) -> int:
        return rows_per_batch(self.model.config, tokens, self.info, self.batch_size, plain)

    # -- log-likelihood -----------------------------------------------------------------
    def loglikelihood(
        self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
        sink: LoglikSink | None = None,
    ) -> list[LoglikResult]:
        with self.kernels.installed(self.model), self.norms.installed(self.model):
            return self._loglikelihood(requests, progress, sink)

    @torch.inference_mode()
    def _loglikelihood(
        self, requests: Sequence[LoglikRequest], progress: Progress | None,
        sink: LoglikSink | None,
    ) -> list[LoglikResult]:
        """Each batch: one pass over its groups' shared prefixes, then passes over the rest
        packed as tries (each distinct token prefix once), rows reading the prefix cache.
        Short shared prefixes (a question shared by its choices) get no pass of their own:
        the trie shares them, and requests of several groups pack into full rows."""
        pairs = [self._truncate(c, k) for c, k in self.encode_pairs(requests)]
        self.stats.prompt_tokens += sum(len(c) + len(k) - 1 for c, k in pairs)
        share = self.prefix_reuse and self.custom_masks
        results: dict[int, LoglikResult] = {}
        min_prefix = TRIE_PREFIX_MAX + 1 if share else 1
        for batch in self._batches([c for c, _ in pairs], min_prefix=min_prefix):
            paths: dict[int, list[Path]] = {}
            for g, i in batch.members:
                paths.setdefault(g, []).append(Path(
                    i, (pairs[i][0] + pairs[i][1])[batch.prefix_of(g) : -1], len(pairs[i][1])))
            chunks = self._piece_chunks(batch, paths, share)
            prefix = self._prefixes([pairs[i][0][:n] for n, i in
                                     zip(batch.prefix_lens, batch.leaders, strict=True)],
                                    reserve=self._room(chunks, len(batch.prefix_lens))
                                    ) if batch.prefix_lens else None
            for chunk in chunks:
                logits = self._forward_pieces(chunk, prefix, four_d=share)
                for i, result in score_pieces(logits, [p for _, p in chunk],
                                              [k for _, k in pairs]):
                    results[i] = result
                    if sink:
                        sink(i, result)
                del logits  # not alive beside the next pass's
                if progress:
                    progress(sum(len(p.members) for _, p in chunk))
            prefix = None  # freed before the next batch's prefix pass (as in generate)
        return [results[i] for i in range(len(requests))]

    def _piece_chunks(self, batch: Batch, paths: dict[int, list[Path]], share: bool
                      ) -> list[list[tuple[int, Piece]]]:
        """The passes of a batch's packed rows, each row a (group, piece). After a prefix,
        round r runs piece r of every group in group order, so a round that holds every
        group reads the prefix cache as it is (no copy); rounds split by the row limit.
        Without a prefix, tries spread evenly over the rows of as few passes as fit
        (`pack_rows`), or without tries (no custom masks) each path is a row, longest first."""
        if not batch.prefix_lens and share:
            return [[(0, piece) for piece in chunk] for chunk in pack_rows(
                paths[0], PIECE_NODES, PIECE_SCORED, partial(self._rows_limit, plain=True))]
        if share:
            pieces = dict(zip(paths, pack_even(list(paths.values()), PIECE_NODES, PIECE_SCORED),
                              strict=True))
        else:
            pieces = {g: pack(p, PIECE_NODES, PIECE_SCORED, share=False) for g, p in paths.items()}
        chunks: list[list[tuple[int, Piece]]] = []
        if not batch.prefix_lens:
            rows = sorted(((g, p) for g, ps in sorted(pieces.items()) for p in ps),
                          key=lambda gp: -len(gp[1].tokens))
            while rows:
                limit = self._rows_limit(len(rows[0][1].tokens), plain=True)
                chunks.append(rows[:limit])
                rows = rows[limit:]
            return chunks
        for r in range(max(len(p) for p in pieces.values())):
            round_ = [(g, p[r]) for g, p in sorted(pieces.items()) if r < len(p)]
            width = batch.max_prefix + max(len(p.tokens) for _, p in round_)
            limit = self._rows_limit(width)
            chunks += [round_[k : k + limit] for k in range(0, len(round_), limit)]
        return chunks

    @staticmethod
    def _room(chunks: Sequence[Sequence[tuple[int, Piece]]], groups: int) -> int:
        """Positions a batch's prefix cache reserves: those of its first pass when that pass
        reads every group in order, which then continues the cache's own buffers instead of
        copying the whole prefix cache (`_gather`); later passes copy it."""
        first = chunks[0] if chunks else []
        if [g for g, _ in first] != list(range(groups)):
            return 0
        return max(len(p.tokens) for _, p in first)

    def _forward_pieces(self, chunk: Sequence[tuple[int, Piece]], prefix: Prefix | None,
                        four_d: bool) -> torch.Tensor:
        """Logits of the last `keep` positions of the packed rows (every scored node)."""
        groups = [g for g, _ in chunk]
        cache, prefix_mask, lengths = None, None, [0] * len(chunk)
        if prefix is not None:
            index = torch.tensor(groups, device=self.device)
            cache = self._gather(prefix.cache, index, max(len(p.tokens) for _, p in chunk))
            prefix_mask = prefix.mask.index_select(0, index).cpu()
            lengths = prefix.lengths.index_select(0, index).tolist()
        inputs = packed_inputs([p for _, p in chunk], prefix_mask, lengths, self.pad_id, four_d)
        mask = inputs.mask.to(self.device)
        if four_d and self.attention == "eager":  # eager attention adds the mask to its scores
            mask = torch.zeros(mask.shape, dtype=self.model.dtype, device=self.device
                               ).masked_fill(~mask, torch.finfo(self.model.dtype).min)
        out = self.model(input_ids=inputs.ids.to(self.device), attention_mask=mask,
                         position_ids=inputs.positions.to(self.device), cache=cache,
                         use_cache=True, logits_to_keep=inputs.keep)
        self.stats.count_pass(sum(len(p.tokens) for _, p in chunk), len(chunk) * inputs.keep)
        logits: torch.Tensor = out.logits
        return logits

    def _truncate(self, context: list[int], cont: list[int]) -> tuple[list[int], list[int]]:
        overflow = len(context) + len(cont) - 1 - self.max_length
        return (context[overflow:], cont) if overflow > 0 else (context, cont)

    # -- generation ---------------------------------------------------------------------
    def generate(
        self, requests: Sequence[GenRequest], progress: Progress | None = None,
        sink: GenSink | None = None,
    ) -> list[GenResult]:
        greedy = all(r.temperature <= 0 for r in requests)  # sampled rows need every logit
        with (self.head.installed(self.model) if greedy else nullcontext(None)) as screen, \
                self.kernels.installed(self.model), self.norms.installed(self.model):
            # the head first: the kernels skip it then
            self._screen = screen
            try:
                return self._generate(requests, progress, sink)
            finally:
                self._screen = None

    @torch.inference_mode()
    def _generate(
        self, requests: Sequence[GenRequest], progress: Progress | None,
        sink: GenSink | None,
    ) -> list[GenResult]:
        encoded = self.encode_many([r.prompt for r in requests])
        prompts = [ids[-self.max_length :] for ids in encoded]
        self.stats.prompt_tokens += sum(len(p) for p in prompts)
        results: dict[int, GenResult] = {}
        budget = max((r.max_new_tokens for r in requests), default=0)
        # Rows of one batch join a running decode as others finish, but batches decode one
        # after another: a prefix group must save more than a batch's worth of decode steps.
        # Then a shared instruction is worth its pass even where it is a fifth of the prompt.
        for batch in self._batches(prompts, min_saving=budget * (self.batch_size or 8),
                                   lone_prefixes=True, min_share=GEN_MIN_SHARE):
            rows = {i: prompts[i][batch.prefix_of(g) :] for g, i in batch.members}
            split = self._splits(batch)  # else copies, or a lone prompt grows in place
            room = 0 if split else max(len(r) for r in rows.values()) + budget
            prefix = self._prefixes([prompts[i][:n] for n, i in
                                     zip(batch.prefix_lens, batch.leaders, strict=True)],
                                    reserve=room) if batch.prefix_lens else None
            for i, decoder in self._decode(batch, rows, requests, prefix, budget, split):
                results[i] = decoder.result(len(prompts[i]))
                self.stats.generated_tokens += len(decoder.ids)
                if sink:
                    sink(i, results[i])
                if progress:
                    progress(1)
            # freed now, not when the next batch's prefixes are bound: both sets of caches
            # would be alive during its prefix pass (the peak of an open-book run)
            prefix = None
        return [results[i] for i in range(len(requests))]

    def _decode(
        self, batch: Batch, rows: dict[int, list[int]], requests: Sequence[GenRequest],
        prefix: Prefix | None, budget: int, split: bool = False,
    ) -> Iterator[tuple[int, RowDecoder]]:
        """Decode the batch's rows, at most a batch of them at once (longest prompts first):
        finished rows leave at once, waiting rows join when half a batch is free."""
        waiting = sorted(batch.members, key=lambda m: -len(rows[m[1]]))
        limit = self._rows_limit(batch.max_prefix + len(rows[waiting[0][1]]) + budget,
                                 plain=not batch.max_prefix)
        running: Running | None = None
        while waiting or running:
            room = limit - (running.size if running else 0)
            if waiting and (running is None or (
                    room >= min(len(waiting), max(1, limit // 2)) and can_merge(running.cache))):
                admitted, waiting = waiting[:room], waiting[room:]
                joining = self._start([rows[i] for _, i in admitted],
                                      [requests[i] for _, i in admitted],
                                      [i for _, i in admitted], prefix, [g for g, _ in admitted],
                                      split)
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
            self._step(running)

    def _start(self, rows: list[list[int]], reqs: list[GenRequest], members: list[int],
               prefix: Prefix | None, groups: list[int], split: bool) -> Running:
        with self._argmax_request() as request:
            logits, cache, mask, positions, shared = self._forward_rows(
                rows, prefix, groups, reserve=max(r.max_new_tokens for r in reqs), split=split)
        if self._screen is not None and self.head.verified is None:
            # logits are the head's own output, untransformed: argmax steps may skip them
            self.head.verified = logits is self._screen.last_output
        decoders = [RowDecoder(req, self.tokenizer, self.eos_ids) for req in reqs]
        return Running(cache, mask, positions, logits[:, -1], self._greedy(request, logits),
                       members, decoders, shared)

    def _argmax_request(self) -> Any:
        """A context asking the head screen for each row's argmax only, once the model was seen
        to return the head's output as its logits (else a context asking nothing)."""
        if self._screen is None or not self.head.verified:
            return nullcontext(None)
        return HeadScreen.request(self._screen, "argmax")

    @staticmethod
    def _greedy(request: Request | None, logits: torch.Tensor) -> list[int]:
        """Each row's argmax: the head screen's, where the model returned its placeholder."""
        if request is not None and request.ids is not None and logits is request.output:
            return request.ids
        greedy: list[int] = logits[:, -1].argmax(-1).tolist()
        return greedy

    def _step(self, running: Running) -> None:
        """One decode step: each row's last chosen token, after its cache."""
        feed = [decoder.ids[-1] for decoder in running.decoders]
        running.mask = torch.cat([running.mask, torch.ones_like(running.mask[:, :1])], dim=1)
        running.positions = running.positions + 1
        extra = {} if running.shared is None else {"shared_prefix": running.shared}
        with self._argmax_request() as request:
            out = self.model(input_ids=torch.tensor([feed], device=self.device).T,
                             attention_mask=running.mask, position_ids=running.positions,
                             cache=running.cache, use_cache=True, logits_to_keep=1, **extra)
        running.cache, running.logits = out.cache, out.logits[:, -1]
        running.greedy = self._greedy(request, out.logits)
        self.stats.count_pass(running.size, running.size)
