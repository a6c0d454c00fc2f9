"""Log-likelihoods from llama.cpp's logits: each continuation's tokens scored under the
logits of the position before each (`scores` after `eval`, never `create_completion`'s echo
path, which shifts prompt log-probabilities by one: abetlen/llama-cpp-python#1983).

Tokenization follows lm-eval's pair rules (`engine/hf/tokens.py`), so scores compare with
`--engine hf` and lm-eval. Requests run in token order: a document's prefix, then each
question and choice after it, computes only what the previous request did not hold."""

from __future__ import annotations

from collections.abc import Sequence

from harness.engine.hf.tokens import Tokens
from harness.engine.interface import LoglikSink, Progress
from harness.engine.llamacpp.state import HeldSequence, log_softmax_at, order
from harness.engine.types import LoglikRequest, LoglikResult
from harness.engine.window import fit_pair


class LoglikScorer:
    def __init__(self, held: HeldSequence, tokens: Tokens, max_length: int,
                 truncate: str | None) -> None:
        self.held = held
        self.tokens = tokens
        self.max_length = max_length
        self.truncate = truncate

    def run(self, requests: Sequence[LoglikRequest], progress: Progress | None,
            sink: LoglikSink | None) -> list[LoglikResult]:
        pairs = [fit_pair(c, k, self.max_length, self.truncate)
                 for c, k in self.tokens.encode_pairs(requests)]
        feeds = [(c + k)[:-1] for c, k in pairs]  # the last token is only scored
        self.held.stats.prompt_tokens += sum(len(f) for f in feeds)
        results: dict[int, LoglikResult] = {}
        for i in order(feeds) if self.held.reuse else range(len(feeds)):
            context, continuation = pairs[i]
            self.held.hold(feeds[i])
            total, greedy = 0.0, True
            for j, token in enumerate(continuation):
                logprob, top = log_softmax_at(self.held.logits(len(context) - 1 + j), token)
                total += logprob
                greedy = greedy and top
            results[i] = LoglikResult(total, greedy, len(continuation))
            if sink:
                sink(i, results[i])
            if progress:
                progress(1)
        return [results[i] for i in range(len(requests))]
