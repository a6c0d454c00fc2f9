"""Open `--engine openai`: reach the server, find the served model, run the probe.

The model's identity (which keys the request cache) is what the server says of it: the
base URL, the served name and a fingerprint of its `/models` entry (without the fields a
server changes on every call, such as `created`); never the API key.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Protocol

from harness.engine.openai.client import ServerAddress, ServerClient
from harness.engine.openai.engine import OpenAIEngine
from harness.engine.openai.probe import run_probe
from harness.engine.types import ModelInfo
from harness.errors import HarnessError

# The /models fields that identify a served model (others, like vLLM's `created` or its
# `permission` ids, change on every call).
IDENTITY_FIELDS = ("id", "object", "owned_by", "root", "parent", "max_model_len", "meta")
NO_TOKENIZER_CHOICES = ("choice tasks need prompts rendered here: pass --tokenizer PATH (the "
                        "served model's tokenizer folder), or --no-chat-template")


class ServedOptions(Protocol):
    """What opening a served model reads of the run's options (`RunOptions` has them)."""

    @property
    def model(self) -> str: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def api_key_env(self) -> str | None: ...
    @property
    def max_concurrency(self) -> int: ...
    @property
    def request_timeout(self) -> float: ...
    @property
    def tokenizer(self) -> str | None: ...
    @property
    def chat(self) -> bool | None: ...
    @property
    def truncate(self) -> str | None: ...
    @property
    def max_thinking_tokens(self) -> int | None: ...


def _refuse_unsupported(options: ServedOptions) -> None:
    if options.truncate is not None:
        raise HarnessError(f"--truncate {options.truncate}: a server cuts over-long prompts its "
                           "own way (or refuses them); use --engine hf")
    if options.max_thinking_tokens is not None:
        raise HarnessError("--max-thinking-tokens: a server cannot be made to close a thinking "
                           "block at a budget; use --engine hf")


def load_tokenizer(path: str) -> Any:
    if not Path(path).is_dir():
        raise HarnessError(f"--tokenizer {path}: no such folder (the served model's tokenizer "
                           "files: tokenizer.json, tokenizer_config.json)")
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as err:
        raise HarnessError(f"--tokenizer {path}: cannot load a tokenizer there "
                           f"({str(err).splitlines()[0][:160]})") from None


def model_entry(server: ServerClient, name: str) -> dict[str, Any]:
    models = server.models()
    for entry in models:
        if entry["id"] == name:
            return entry
    served = ", ".join(repr(str(m["id"])) for m in models[:8]) or "none"
    raise HarnessError(f"--model {name}: the server at {server.base_url} does not serve it "
                       f"(it serves {served}); pass one of those")


def served_info(server: ServerClient, entry: dict[str, Any], tokenizer: Any) -> ModelInfo:
    identity = {k: entry[k] for k in IDENTITY_FIELDS if k in entry}
    revision = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
    meta: dict[str, Any] = entry["meta"] if isinstance(entry.get("meta"), dict) else {}
    context = entry.get("max_model_len") or meta.get("n_ctx_train")
    template = getattr(tokenizer, "chat_template", None) if tokenizer is not None else None
    return ModelInfo(
        model_id=str(entry["id"]), source="server", path=server.base_url,
        revision=revision.hexdigest()[:16], architecture="served",
        parameters=int(meta.get("n_params") or 0), dtype="server", device="server",
        device_name=server.base_url, trust_remote_code=False,
        chat_template_sha=hashlib.sha256(str(template).encode()).hexdigest()[:16]
        if isinstance(template, str) else None,
        context_length=int(context) if isinstance(context, int) else None)


def open_openai(options: ServedOptions) -> OpenAIEngine:
    """The served model, its probe run; `HarnessError` (one line) when it cannot be reached."""
    _refuse_unsupported(options)
    if options.base_url is None:
        raise HarnessError("--engine openai needs --base-url URL")
    tokenizer = load_tokenizer(options.tokenizer) if options.tokenizer else None
    server = ServerClient(ServerAddress(options.base_url, options.model,
                                        options.request_timeout, options.api_key_env))
    try:
        info = served_info(server, model_entry(server, options.model), tokenizer)
        probe = run_probe(server)
    except BaseException:
        server.close()
        raise
    refusal = None if probe.passed else f"server failed the log-probability probe: {probe.reason}"
    if refusal is None and tokenizer is None and options.chat is not False:
        refusal = NO_TOKENIZER_CHOICES
    return OpenAIEngine(server, info, tokenizer, probe=probe, choice_refusal=refusal,
                        concurrency=options.max_concurrency)
