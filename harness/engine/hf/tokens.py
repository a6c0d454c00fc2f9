"""Token ids the HF engine needs: pad, end-of-sequence, and lm-eval's pair encoding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.engine.types import LoglikRequest


class Tokens:
    """The tokenizer's ids and encodings, as the engine's passes use them."""

    def __init__(self, tokenizer: Any, model: Any) -> None:
        self.tokenizer = tokenizer
        self.pad_id = self._pad_id()
        self.eos_ids = self._eos_ids(model)

    def _pad_id(self) -> int:
        for candidate in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id, 0):
            if candidate is not None:
                return int(candidate)
        return 0

    def _eos_ids(self, model: Any) -> set[int]:
        ids: set[int] = set()
        gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        for value in (self.tokenizer.eos_token_id, gen_eos):
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, list):
                ids.update(int(v) for v in value)
        return ids

    def prefix_token(self) -> int:
        """The token an empty context is scored after (BOS, else EOS, else pad)."""
        for candidate in (self.tokenizer.bos_token_id, self.tokenizer.eos_token_id):
            if candidate is not None:
                return int(candidate)
        return self.pad_id

    def encode_many(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text (one batched tokenizer call; identical texts once)."""
        unique = list(dict.fromkeys(texts))
        if not unique:
            return []
        ids = self.tokenizer(unique, add_special_tokens=False)["input_ids"]
        table = {text: list(row) for text, row in zip(unique, ids, strict=True)}
        return [table[text] for text in texts]

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
                ctx, whole = [self.prefix_token()], [self.prefix_token(), *whole]
            pairs.append((ctx, whole[len(ctx) :]))
        return pairs
