"""A small OpenAI-compatible server of our own whose prompt log-probabilities are right (as
vLLM's and SGLang's are, which cannot run here): `/v1/completions` with `echo` and
`logprobs`, on a transformers model, so the probe's passing side and the choice regimes'
echo path are tested end to end. Greedy only; one request at a time (a lock)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.served.servers import serve_on_loopback

MODEL_NAME = "reference"


class Reference:
    def __init__(self, path: Path) -> None:
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        self.eos = self.tokenizer.eos_token_id
        self.lock = threading.Lock()

    def piece(self, token: int) -> str:
        return str(self.tokenizer.decode([token]))

    @torch.inference_mode()
    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        prompt = request.get("prompt", "")
        ids = (list(prompt) if isinstance(prompt, list)
               else self.tokenizer(prompt, add_special_tokens=False)["input_ids"])
        new: list[int] = []
        with self.lock:
            for _ in range(int(request.get("max_tokens") or 16)):
                logits = self.model(torch.tensor([ids + new])).logits[0, -1]
                new.append(int(logits.argmax()))
                if new[-1] == self.eos:
                    break
            logprobs = torch.log_softmax(self.model(torch.tensor([ids + new])).logits[0].float(),
                                         -1)
        text = str(self.tokenizer.decode(new, skip_special_tokens=True))
        choice: dict[str, Any] = {"index": 0, "finish_reason": "length", "text": text}
        if request.get("logprobs") is not None:
            start = 0 if request.get("echo") else len(ids)
            sequence = ids + new
            tokens = [self.piece(t) for t in sequence]
            values = [None] + [float(logprobs[i - 1, t]) for i, t in enumerate(sequence) if i]
            tops = [None] + [{self.piece(int(logprobs[i - 1].argmax())):
                              float(logprobs[i - 1].max())} for i in range(1, len(sequence))]
            offsets, at = [], 0
            for token in tokens:
                offsets.append(at)
                at += len(token)
            choice["logprobs"] = {"tokens": tokens[start:], "token_logprobs": values[start:],
                                  "top_logprobs": tops[start:], "text_offset": offsets[start:]}
            if request.get("echo"):
                choice["text"] = "".join(tokens[: len(ids)]) + text
        return {"object": "text_completion", "model": MODEL_NAME, "choices": [choice],
                "usage": {"prompt_tokens": len(ids), "completion_tokens": len(new)}}


def _handler(reference: Reference) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._send(200, {"object": "list", "data": [
                {"id": MODEL_NAME, "object": "model", "owned_by": "tests"}]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if not self.path.endswith("/completions") or "messages" in body:
                self._send(404, {"error": {"message": "only /v1/completions here"}})
                return
            self._send(200, reference.complete(body))

    return Handler


@contextlib.contextmanager
def reference_server(model: Path) -> Iterator[str]:
    """The reference server on a free loopback port; yields its API root."""
    with serve_on_loopback(_handler(Reference(model))) as url:
        yield url
