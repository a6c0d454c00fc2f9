"""Can this server score choices? The consistency probe, run once before a run starts.

Choice regimes need the log-probability of given text (the prompt), which an OpenAI server
reports only through `/completions` with `echo` and `logprobs`. Servers differ: vLLM and
SGLang report them right; llama-cpp-python's server shifts them by one position (each token
scored under the distribution after it: abetlen/llama-cpp-python#1983); llama.cpp's own
server and `transformers serve` report none. A wrong answer would put choice tasks silently
at chance, so the probe checks the one thing that must hold:

1. a short greedy generation with `logprobs`: the server's log-probabilities of the tokens it
   chose (these are right on every server that reports them);
2. an `echo` request of the same prompt plus the generated text: the log-probabilities it
   reports for those same tokens, now as prompt tokens.

Both must agree token by token within `TOLERANCE` (see docs/served.md for how it was set).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from harness.engine.openai.client import ServerClient
from harness.errors import HarnessError

PROBE_PROMPT = "The capital of France is Paris. The capital of Italy is Rome. The capital of"
PROBE_TOKENS = 8
# Largest |generated - echoed| log-probability of one token that still passes. Measured: the
# same f32 weights scored by transformers and by llama.cpp differ by < 1e-4 per token; bf16
# serving moves them by ~1e-2; llama-cpp-python's shifted echo is off by > 1 (docs/served.md).
TOLERANCE = 0.05


@dataclass(frozen=True)
class ProbeResult:
    passed: bool
    reason: str  # why it failed, or "" when it passed
    tokens: int = 0  # generated tokens compared
    max_difference: float | None = None  # largest |generated - echoed| log-probability
    tolerance: float = TOLERANCE

    def record(self) -> dict[str, Any]:
        return asdict(self)


def _logprobs(body: dict[str, Any]) -> dict[str, Any] | None:
    logprobs = body["choices"][0].get("logprobs")
    if not isinstance(logprobs, dict) or not logprobs.get("token_logprobs"):
        return None
    return logprobs


def _echo_slice(logprobs: dict[str, Any], usage: Any, prompt: str, text: str,
                count: int) -> tuple[list[str], list[float | None]]:
    """The echoed entries of the `count` prompt tokens that spell `text` (after `prompt`):
    found by character offsets where the server gives them, else as the last `count`
    tokens of the prompt (its length from `usage`)."""
    tokens, values = list(logprobs["tokens"]), list(logprobs["token_logprobs"])
    offsets = logprobs.get("text_offset")
    if isinstance(offsets, list) and len(offsets) == len(tokens):
        picked = [i for i, at in enumerate(offsets) if len(prompt) <= at < len(prompt + text)]
        return [tokens[i] for i in picked], [values[i] for i in picked]
    prompt_tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    end = int(prompt_tokens) if isinstance(prompt_tokens, int) else len(tokens) - 1
    return tokens[end - count : end], values[end - count : end]


def _spelled(tokens: list[str], values: list[float | None],
             text: str) -> tuple[list[str], list[float | None]]:
    """The generated tokens that spell `text`: an end-of-sequence token the server lists but
    leaves out of the text is dropped (it is no prompt token of the echo)."""
    count = len(tokens)
    while count and "".join(tokens[:count]) != text:
        count -= 1
    if count == 0:  # the pieces do not spell the text (byte pieces): compare them all
        count = len(tokens)
    return tokens[:count], values[:count]


def _common_tail(a: list[str], b: list[str]) -> int:
    count = 0
    while count < min(len(a), len(b)) and a[len(a) - 1 - count] == b[len(b) - 1 - count]:
        count += 1
    return count


def run_probe(server: ServerClient) -> ProbeResult:
    """The probe's verdict on `server`; a server error during it is a failed probe (its one
    line the reason), never a failed run: generation tasks may still run."""
    try:
        return _probe(server)
    except HarnessError as err:
        return ProbeResult(False, f"the probe's request failed: {err}")


def _probe(server: ServerClient) -> ProbeResult:
    generated = server.completion({"prompt": PROBE_PROMPT, "max_tokens": PROBE_TOKENS,
                                   "temperature": 0.0, "logprobs": 1})
    first = _logprobs(generated)
    if first is None:
        return ProbeResult(False, "the server returns no log-probabilities for generated "
                                  "tokens (/completions ignores 'logprobs')")
    text = str(generated["choices"][0].get("text") or "")
    want_tokens, want = _spelled(list(first["tokens"]), list(first["token_logprobs"]), text)
    if not text or not want_tokens:
        return ProbeResult(False, "the probe's generation was empty; cannot compare")
    echoed = server.completion({"prompt": PROBE_PROMPT + text, "max_tokens": 1,
                                "temperature": 0.0, "logprobs": 1, "echo": True})
    second = _logprobs(echoed)
    if second is None or len(second["tokens"]) <= len(want_tokens):
        return ProbeResult(False, "the server returns no prompt log-probabilities with 'echo' "
                                  "(/completions ignores 'echo' or 'logprobs')")
    got_tokens, got = _echo_slice(second, echoed.get("usage"), PROBE_PROMPT, text,
                                  len(want_tokens))
    if got_tokens != want_tokens:  # the prompt's end and the text merged into other tokens:
        same = _common_tail(got_tokens, want_tokens)  # compare the tokens after the seam
        if same == 0:
            return ProbeResult(False, "the echoed prompt splits the generated text into other "
                                      f"tokens ({len(got_tokens)} vs {len(want_tokens)}); "
                                      "cannot compare", len(want_tokens))
        want_tokens, want, got = want_tokens[-same:], want[-same:], got[-same:]
    pairs = [(a, b) for a, b in zip(want, got, strict=True) if a is not None and b is not None]
    if len(pairs) != len(want):
        return ProbeResult(False, "the server returns null prompt log-probabilities",
                           len(want_tokens))
    difference = max(abs(float(a) - float(b)) for a, b in pairs)
    rounded = round(difference, 6)
    if difference > TOLERANCE:
        return ProbeResult(False, f"its echoed prompt log-probabilities differ from those of the "
                                  f"same tokens generated by up to {difference:.3f} (tolerance "
                                  f"{TOLERANCE}): choices would be scored wrong",
                           len(want_tokens), rounded)
    return ProbeResult(True, "", len(want_tokens), rounded)
