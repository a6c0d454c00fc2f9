"""Log-likelihood scoring: prefix groups -> one pass over their shared prefixes -> the rest
packed as tries (each distinct token prefix once) in rows that read the prefix cache."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import torch

from harness.engine.hf.heap import release_freed
from harness.engine.hf.packed import packed_inputs, score_pieces
from harness.engine.hf.passes import Passes
from harness.engine.hf.prefix import Batch, Prefix
from harness.engine.hf.spread import pack_even, pack_rows
from harness.engine.hf.tokens import Tokens
from harness.engine.hf.trie import Path, Piece, pack
from harness.engine.interface import LoglikSink, Progress
from harness.engine.types import LoglikRequest, LoglikResult
from harness.engine.window import fit_pair

PIECE_NODES = 512  # most trie nodes in one packed row
PIECE_SCORED = 64  # most scored positions in one packed row (bounds the logits kept)
TRIE_PREFIX_MAX = 256  # a shared prefix up to this long goes into the trie


class LoglikScorer:
    """Scores continuations after their contexts, batch by batch."""

    def __init__(self, passes: Passes, tokens: Tokens, max_length: int,
                 truncate: str | None) -> None:
        self.passes = passes
        self.tokens = tokens
        self.max_length = max_length
        self.truncate = truncate  # None: a request longer than the context is an error

    def run(self, requests: Sequence[LoglikRequest], progress: Progress | None,
            sink: LoglikSink | None) -> list[LoglikResult]:
        """Each batch: one pass over its groups' shared prefixes, then passes over the rest
        packed as tries, rows reading the prefix cache. Short shared prefixes (a question
        shared by its choices) get no pass of their own: the trie shares them, and requests
        of several groups pack into full rows."""
        passes = self.passes
        pairs = [fit_pair(c, k, self.max_length, self.truncate)
                 for c, k in self.tokens.encode_pairs(requests)]
        passes.stats.prompt_tokens += sum(len(c) + len(k) - 1 for c, k in pairs)
        share = passes.prefix_reuse and passes.custom_masks
        results: dict[int, LoglikResult] = {}
        min_prefix = TRIE_PREFIX_MAX + 1 if share else 1
        for batch in passes.batches([c for c, _ in pairs], min_prefix=min_prefix):
            paths: dict[int, list[Path]] = {}
            for g, i in batch.members:
                paths.setdefault(g, []).append(Path(
                    i, (pairs[i][0] + pairs[i][1])[batch.prefix_of(g) : -1], len(pairs[i][1])))
            chunks = self.piece_chunks(batch, paths, share)
            prefix = passes.prefixes([pairs[i][0][:n] for n, i in
                                      zip(batch.prefix_lens, batch.leaders, strict=True)],
                                     reserve=room(chunks, len(batch.prefix_lens))
                                     ) if batch.prefix_lens else None
            for chunk in chunks:
                logits = self.forward_pieces(chunk, prefix, four_d=share)
                for i, result in score_pieces(logits, [p for _, p in chunk],
                                              [k for _, k in pairs]):
                    results[i] = result
                    if sink:
                        sink(i, result)
                del logits  # not alive beside the next pass's
                if progress:
                    progress(sum(len(p.members) for _, p in chunk))
            prefix = None  # freed before the next batch's prefix pass
            release_freed(passes.device.type)  # and what the allocator kept of it
        return [results[i] for i in range(len(requests))]

    def piece_chunks(self, batch: Batch, paths: dict[int, list[Path]], share: bool
                     ) -> list[list[tuple[int, Piece]]]:
        """The passes of a batch's packed rows, each row a (group, piece). After a prefix,
        round r runs piece r of every group in group order, so a round that holds every
        group reads the prefix cache as it is (no copy); rounds split by the row limit.
        Without a prefix, tries spread evenly over the rows of as few passes as fit
        (`pack_rows`), or without tries (no custom masks) each path is a row, longest first."""
        limit_of = partial(self.passes.rows_limit, logits=PIECE_SCORED)  # kept per row, at most
        if not batch.prefix_lens and share:
            return [[(0, piece) for piece in chunk] for chunk in pack_rows(
                paths[0], PIECE_NODES, PIECE_SCORED, partial(limit_of, plain=True))]
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
                limit = limit_of(len(rows[0][1].tokens), plain=True)
                chunks.append(rows[:limit])
                rows = rows[limit:]
            return chunks
        for r in range(max(len(p) for p in pieces.values())):
            round_ = [(g, p[r]) for g, p in sorted(pieces.items()) if r < len(p)]
            width = batch.max_prefix + max(len(p.tokens) for _, p in round_)
            limit = limit_of(width)
            chunks += [round_[k : k + limit] for k in range(0, len(round_), limit)]
        return chunks

    def forward_pieces(self, chunk: Sequence[tuple[int, Piece]], prefix: Prefix | None,
                       four_d: bool) -> torch.Tensor:
        """Logits of the last `keep` positions of the packed rows (every scored node)."""
        passes = self.passes
        model, device = passes.model, passes.device
        groups = [g for g, _ in chunk]
        cache, prefix_mask, lengths = None, None, [0] * len(chunk)
        if prefix is not None:
            index = torch.tensor(groups, device=device)
            cache = passes.gather(prefix.cache, index, max(len(p.tokens) for _, p in chunk))
            prefix_mask = prefix.mask.index_select(0, index).cpu()
            lengths = prefix.lengths.index_select(0, index).tolist()
        inputs = packed_inputs([p for _, p in chunk], prefix_mask, lengths, passes.pad_id,
                               four_d)
        mask = inputs.mask.to(device)
        if four_d and passes.attention == "eager":  # eager attention adds the mask to scores
            mask = torch.zeros(mask.shape, dtype=model.dtype, device=device
                               ).masked_fill(~mask, torch.finfo(model.dtype).min)
        out = model(input_ids=inputs.ids.to(device), attention_mask=mask,
                    position_ids=inputs.positions.to(device), cache=cache,
                    use_cache=True, logits_to_keep=inputs.keep)
        if prefix is not None:
            passes.reclaim(prefix.cache, cache)
        passes.stats.count_pass(sum(len(p.tokens) for _, p in chunk), len(chunk) * inputs.keep)
        logits: torch.Tensor = out.logits
        return logits


def room(chunks: Sequence[Sequence[tuple[int, Piece]]], groups: int) -> int:
    """Positions a batch's prefix cache reserves: the most tokens of a pass that reads every
    group in order, which then continues the cache's own buffers instead of copying the
    whole prefix cache (`Passes.gather`), and hands them back after (`Passes.reclaim`);
    other passes copy it."""
    order = list(range(groups))
    return max((len(p.tokens) for chunk in chunks if [g for g, _ in chunk] == order
                for _, p in chunk), default=0)
