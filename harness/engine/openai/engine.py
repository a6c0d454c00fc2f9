"""A model served behind an OpenAI-compatible API, as an `Engine` (`--engine openai`).

Generation: requests carrying chat `messages` (the engine has no tokenizer, so the runner
leaves the chat template to the server) go to `/chat/completions`; plain prompts, and
prompts rendered here with `--tokenizer`, go to `/completions` as text (some servers,
`transformers serve` among them, take no token ids there). Stop strings are sent to the
server and applied again here (to the answer after `</think>` when thinking), as `--engine hf` does.

Log-likelihoods: `/completions` with `echo` and `logprobs`, only on a server whose
consistency probe passed (`probe.py`); otherwise `choice_refusal` says why and the runner
refuses the choice tasks before the run. Requests run `max_concurrency` at a time; each
result reaches the sink (the request cache) the moment it is back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from harness.engine.hf.tokens import Tokens
from harness.engine.interface import GenSink, LoglikSink, Progress
from harness.engine.lmeval import THINK_END, answer_cut
from harness.engine.openai.client import ServerClient
from harness.engine.openai.probe import ProbeResult
from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
    ModelInfo,
)
from harness.errors import HarnessError

Q = TypeVar("Q")
R = TypeVar("R")


def run_pool(work: Callable[[Q], R], requests: Sequence[Q], concurrency: int,
             progress: Progress | None, sink: Callable[[int, R], None] | None) -> list[R]:
    """`work` on each request, `concurrency` at a time; results in request order. Each result
    is handed to `sink` (on this thread) as it arrives; the first failure cancels what has
    not started and is raised."""
    results: dict[int, R] = {}
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="served")
    pending: dict[Future[R], int] = {pool.submit(work, r): i for i, r in enumerate(requests)}
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                index = pending.pop(future)
                result = future.result()  # raises the request's error
                results[index] = result
                if sink:
                    sink(index, result)
                if progress:
                    progress(1)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [results[i] for i in range(len(requests))]


def _usage(body: dict[str, Any], key: str) -> int:
    usage = body.get("usage")
    value = usage.get(key) if isinstance(usage, dict) else None
    return int(value) if isinstance(value, int) else 0


class OpenAIEngine:
    """Requests to one served model (implements `Engine`)."""

    name = "openai"

    def __init__(self, server: ServerClient, info: ModelInfo, tokenizer: Any, *,
                 probe: ProbeResult, choice_refusal: str | None, concurrency: int) -> None:
        self.server = server
        self.info = info
        self.tokenizer = tokenizer  # None: the server applies the chat template
        self.tokens = Tokens(tokenizer, None) if tokenizer is not None else None
        self.probe = probe
        self.choice_refusal = choice_refusal
        self.concurrency = concurrency
        self.stats = EngineStats()

    # generation

    def generate(self, requests: Sequence[GenRequest], progress: Progress | None = None,
                 sink: GenSink | None = None) -> list[GenResult]:
        if any(r.max_thinking_tokens is not None for r in requests):
            raise HarnessError("--max-thinking-tokens: a server cannot be made to close a "
                               "thinking block at a budget; use --engine hf")
        results = run_pool(self._generate_one, requests, self.concurrency, progress, sink)
        for result in results:
            self.stats.prompt_tokens += result.prompt_tokens
            self.stats.generated_tokens += result.generated_tokens
            self.stats.count_pass(result.prompt_tokens + result.generated_tokens,
                                  result.generated_tokens)
        return results

    def _sampling(self, request: GenRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {"max_tokens": request.max_new_tokens,
                                   "temperature": request.temperature, "seed": request.seed}
        if request.temperature > 0:
            payload["top_p"] = request.top_p
            if request.top_k:
                payload["top_k"] = request.top_k  # vLLM, SGLang, llama.cpp read it
        if request.stop and not request.thinking:  # with thinking: cut here, after </think>
            payload["stop"] = list(request.stop)
        return payload

    def _generate_one(self, request: GenRequest) -> GenResult:
        if request.messages:
            payload = self._sampling(request)
            payload["messages"] = [{"role": r, "content": c} for r, c in request.messages]
            if request.thinking:
                payload["chat_template_kwargs"] = {"enable_thinking": True}
            body = self.server.chat(payload)
            raw = self._chat_text(body)
        else:
            payload = {"prompt": request.prompt, **self._sampling(request)}
            body = self.server.completion(payload)
            raw = self._completion_text(body)
        text = answer_cut(raw, request)
        finish = "length" if body["choices"][0].get("finish_reason") == "length" else "stop"
        generated = _usage(body, "completion_tokens")
        answer = generated if not request.thinking else 0
        return GenResult(text, _usage(body, "prompt_tokens"), generated, finish,
                         answer_tokens=answer)

    def _chat_text(self, body: dict[str, Any]) -> str:
        message = body["choices"][0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise HarnessError(f"server {self.server.base_url}: a chat completion came back "
                               "without message content; cannot score it")
        reasoning = message.get("reasoning_content") if isinstance(message, dict) else None
        if isinstance(reasoning, str) and reasoning:  # a server that splits thinking off
            return f"<think>\n{reasoning}\n{THINK_END}\n\n{content}"
        return content

    def _completion_text(self, body: dict[str, Any]) -> str:
        text = body["choices"][0].get("text")
        if not isinstance(text, str):
            raise HarnessError(f"server {self.server.base_url}: a completion came back without "
                               "text; cannot score it")
        return text

    # log-likelihoods

    def loglikelihood(self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
                      sink: LoglikSink | None = None) -> list[LoglikResult]:
        if self.choice_refusal is not None:
            raise HarnessError(f"choice tasks refused: {self.choice_refusal}")
        pairs = (self.tokens.encode_pairs(requests) if self.tokens is not None
                 else [None] * len(requests))
        work = list(zip(requests, pairs, strict=True))
        scored = run_pool(self._score_one, work, self.concurrency, progress,
                          (lambda i, r: sink(i, r[0])) if sink else None)
        for _, fed in scored:
            self.stats.prompt_tokens += fed
            self.stats.count_pass(fed, fed)
        return [result for result, _ in scored]

    def _score_one(self, work: tuple[LoglikRequest, tuple[list[int], list[int]] | None]
                   ) -> tuple[LoglikResult, int]:
        request, pair = work
        if pair is not None:
            context_ids, continuation_ids = pair
            prompt: str | list[int] = context_ids + continuation_ids
        else:
            prompt = request.context + request.continuation
        body = self.server.completion({"prompt": prompt, "max_tokens": 1, "temperature": 0.0,
                                       "logprobs": 1, "echo": True})
        logprobs = body["choices"][0].get("logprobs")
        if not isinstance(logprobs, dict) or not logprobs.get("token_logprobs"):
            raise HarnessError(f"server {self.server.base_url}: an echo request came back "
                               "without prompt log-probabilities")
        if pair is not None:
            start, end = len(pair[0]), len(pair[0]) + len(pair[1])
        else:
            start, end = self._span_by_offsets(logprobs, request)
        values = logprobs["token_logprobs"][start:end]
        tops = (logprobs.get("top_logprobs") or [])[start:end]
        tokens = logprobs["tokens"][start:end]
        if len(values) != end - start or any(v is None for v in values):
            raise HarnessError(f"server {self.server.base_url}: an echo request scored "
                               f"{len(values)} of the continuation's {end - start} tokens")
        greedy = len(tops) == len(tokens) and all(
            isinstance(top, dict) and top and max(top, key=top.__getitem__) == token
            for top, token in zip(tops, tokens, strict=True))
        result = LoglikResult(float(sum(values)), greedy, end - start)
        return result, end - 1

    @staticmethod
    def _span_by_offsets(logprobs: dict[str, Any], request: LoglikRequest) -> tuple[int, int]:
        """Without a local tokenizer: the continuation's tokens are those that start at or
        after the context's end (trailing context spaces belong to the continuation, as in
        lm-eval's rule); the echo's one generated token is left out."""
        offsets = logprobs.get("text_offset")
        if not isinstance(offsets, list) or not offsets:
            raise HarnessError("the server gives no token offsets; pass --tokenizer PATH so "
                               "continuations are split here")
        boundary = len(request.context.rstrip())
        total = len(request.context + request.continuation)
        inside = [i for i, at in enumerate(offsets) if boundary <= at < total]
        if not inside:
            raise HarnessError("an echo request returned no tokens for a continuation")
        return inside[0], inside[-1] + 1

    def describe(self) -> dict[str, Any]:
        return {"base_url": self.server.base_url, "served_model": self.info.model_id,
                "models_revision": self.info.revision,
                "prompts": "rendered here (--tokenizer): text to /completions, token ids "
                "for choices"
                if self.tokenizer is not None else "chat: messages to /chat/completions "
                "(the server's template); plain: text to /completions",
                "probe": self.probe.record(), "choice_refusal": self.choice_refusal,
                "max_concurrency": self.concurrency,
                "request_timeout": self.server.address.timeout}

    def close(self) -> None:
        self.server.close()
