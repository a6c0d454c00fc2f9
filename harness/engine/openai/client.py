"""One OpenAI-compatible server, spoken to through the `openai` client: its model list, its
completions and chat completions, with timeouts and retries, and every failure as one line.

The `openai` client retries what is worth retrying (connection errors, timeouts, 408, 409,
429 and 5xx answers, honouring `Retry-After`) with exponential backoff and jitter; what is
still failing after `RETRIES` retries becomes a `HarnessError` naming the server and the
fix. Answers are read as plain JSON (`dict`), so a server's extra fields (vLLM's
`max_model_len`, llama.cpp's `meta`) stay readable and a missing field is found here, not
deep in a scorer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

RETRIES = 3  # after the first try: 4 tries in all, backoff 0.5 s, 1 s, 2 s (openai's schedule)
NO_KEY = "EMPTY"  # what local servers accept when no key is set (vLLM's convention)


def require_openai() -> Any:
    try:
        import openai
    except ImportError:
        raise HarnessError("--engine openai needs the openai client: pip install "
                           "'fact-harness[serve]'") from None
    return openai


def api_key(variable: str | None) -> str:
    """The key in environment variable `variable` (never recorded); none: a placeholder."""
    if variable is None:
        return NO_KEY
    value = os.environ.get(variable)
    if not value:
        raise HarnessError(f"--api-key-env {variable}: that environment variable is not set; "
                           f"export {variable}=<key> first")
    return value


@dataclass(frozen=True)
class ServerAddress:
    base_url: str  # ends in /v1 (or whatever prefix the server serves the API under)
    model: str  # the served model's name
    timeout: float  # seconds per request (each try)
    key_env: str | None = None


class ServerClient:
    """Requests to one served model; thread-safe (the engine sends requests concurrently)."""

    def __init__(self, address: ServerAddress) -> None:
        openai = require_openai()
        self.address = address
        self.base_url = address.base_url.rstrip("/")
        self.openai = openai
        self.client = openai.OpenAI(base_url=self.base_url, api_key=api_key(address.key_env),
                                    timeout=address.timeout, max_retries=RETRIES)

    def models(self) -> list[dict[str, Any]]:
        """The entries of GET /models."""
        body = self._call("get", "/models", None)
        data = body.get("data")
        if not isinstance(data, list) or not all(isinstance(m, dict) and "id" in m
                                                 for m in data):
            raise HarnessError(f"server {self.base_url}: GET /models answered without a "
                               "'data' list of models; is this an OpenAI-compatible server?")
        return data

    def completion(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /completions for the served model; its first choice is checked present."""
        return self._first_choice("/completions", payload)

    def chat(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /chat/completions for the served model."""
        return self._first_choice("/chat/completions", payload)

    def _first_choice(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = self._call("post", path, {"model": self.address.model, **payload})
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise HarnessError(f"server {self.base_url}: POST {path} answered without "
                               f"'choices' ({_excerpt(body)}); the server's reply is not an "
                               "OpenAI completion")
        return body

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        openai = self.openai
        try:
            if method == "get":
                answer = self.client.get(path, cast_to=object)
            else:
                answer = self.client.post(path, body=body, cast_to=object)
        except openai.APITimeoutError:
            raise HarnessError(
                f"server {self.base_url}: no answer to {method.upper()} {path} within "
                f"{self.address.timeout:g} s, {RETRIES + 1} tries; raise --request-timeout or "
                "lower --max-concurrency") from None
        except openai.APIConnectionError as err:
            raise HarnessError(
                f"server {self.base_url}: unreachable ({_cause(err)}) after {RETRIES + 1} tries; "
                "is it running, and is --base-url right (scheme, host, port, /v1)?") from None
        except openai.APIStatusError as err:
            raise HarnessError(self._status_line(method, path, err)) from None
        except (openai.APIResponseValidationError, ValueError) as err:
            raise HarnessError(f"server {self.base_url}: {method.upper()} {path} answered "
                               f"malformed JSON ({type(err).__name__})") from None
        if not isinstance(answer, dict):
            raise HarnessError(f"server {self.base_url}: {method.upper()} {path} answered "
                               f"{type(answer).__name__}, not a JSON object ({_excerpt(answer)})")
        return answer

    def _status_line(self, method: str, path: str, err: Any) -> str:
        status = int(err.status_code)
        said = _excerpt(getattr(err, "body", None) or err.message)
        where = f"server {self.base_url}: {method.upper()} {path} answered {status}"
        if status in (401, 403):
            return f"{where} (key refused: {said}); set --api-key-env to the variable holding it"
        if status == 404 and path == "/models":
            return f"{where}: no model list there; is --base-url the API root (often .../v1)?"
        if status == 404:
            return (f"{where} ({said}); does the server serve model {self.address.model!r} and "
                    f"the {path} endpoint?")
        return f"{where} ({said})"

    def close(self) -> None:
        self.client.close()


def _cause(err: BaseException) -> str:
    cause: BaseException | None = err
    while cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__
    text = str(cause or err).strip() or type(cause or err).__name__
    return text.splitlines()[0][:160]


def _excerpt(value: Any, limit: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
