"""Per-row decoding state: greedy or seeded sampling, stop strings, thinking budget."""

from __future__ import annotations

import hashlib
from typing import Any

import torch

from harness.engine.types import GenRequest, GenResult

THINK_END = "</think>"


def row_generator(req: GenRequest) -> torch.Generator | None:
    """A generator seeded by the request's seed and prompt: the same sample whatever the batch."""
    if req.temperature <= 0:
        return None
    digest = hashlib.sha256(f"{req.seed}\0{req.prompt}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "big") & (2**63 - 1))


def sample_token(logits: torch.Tensor, req: GenRequest, generator: torch.Generator | None) -> int:
    if generator is None:
        return int(logits.argmax())
    scores = logits.float().cpu() / req.temperature
    if req.top_k > 0:
        kth = torch.topk(scores, min(req.top_k, scores.numel())).values[-1]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    if req.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = sorted_probs.cumsum(-1) - sorted_probs < req.top_p
        keep[0] = True
        filtered = torch.zeros_like(probs)
        filtered[order[keep]] = sorted_probs[keep]
        probs = filtered / filtered.sum()
    return int(torch.multinomial(probs, 1, generator=generator))


class RowDecoder:
    """Decides each new token of one row and when the row is finished."""

    def __init__(self, req: GenRequest, tokenizer: Any, eos_ids: set[int]) -> None:
        self.req = req
        self.tokenizer = tokenizer
        self.eos_ids = eos_ids
        self.generator = row_generator(req)
        self.ids: list[int] = []
        self.forced: list[int] = []
        self.finish = ""
        self.in_answer = not req.thinking
        self.thinking_tokens = 0
        self.answer_tokens = 0
        self.closed_by_budget = False

    def choose(self, logits: torch.Tensor, greedy: int) -> int:
        """The next token: a forced one, the batch's argmax `greedy`, or a seeded sample."""
        if self.forced:
            return self.forced.pop(0)
        if self.generator is None:
            return greedy
        return sample_token(logits, self.req, self.generator)

    def push(self, token: int) -> None:
        self.ids.append(token)
        if token in self.eos_ids:
            self.finish = "eos"
            return
        if not self.in_answer:
            self.thinking_tokens += 1
            if THINK_END in self._text():
                self.in_answer = True
            elif (self.req.max_thinking_tokens is not None and not self.forced
                  and self.thinking_tokens >= self.req.max_thinking_tokens):
                self.forced = list(self.tokenizer(f"\n{THINK_END}\n\n",
                                                  add_special_tokens=False)["input_ids"])
                self.closed_by_budget = True
        else:
            self.answer_tokens += 1
            if self.req.stop and any(s in self.answer_text() for s in self.req.stop):
                self.finish = "stop"
            elif (self.req.max_answer_tokens is not None
                  and self.answer_tokens >= self.req.max_answer_tokens):
                self.finish = "length"
        if not self.finish and len(self.ids) >= self.req.max_new_tokens:
            self.finish = "length"

    def _text(self) -> str:
        ids = [t for t in self.ids if t not in self.eos_ids]
        return str(self.tokenizer.decode(ids, skip_special_tokens=False))

    def answer_text(self) -> str:
        text = self._text()
        if self.req.thinking:  # the answer starts after `</think>` and its blank lines
            return text.split(THINK_END, 1)[1].lstrip() if THINK_END in text else ""
        return text

    def result(self, prompt_tokens: int) -> GenResult:
        text = self._text()
        head, sep, answer = text.partition(THINK_END) if self.req.thinking else ("", "", text)
        body = answer.lstrip() if sep else answer
        cut = min((body.find(s) for s in self.req.stop if s in body), default=-1)
        if cut >= 0:
            body = body[:cut]
        answer = answer[: len(answer) - len(answer.lstrip())] + body if sep else body
        return GenResult(head + sep + answer, prompt_tokens, len(self.ids),
                         self.finish or "length", self.thinking_tokens, self.answer_tokens,
                         self.closed_by_budget)
