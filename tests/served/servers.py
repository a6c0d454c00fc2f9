"""Real servers for the served-model tests, each a process on a free loopback port that the
tests start and stop: `transformers serve`, llama-cpp-python's OpenAI server, and a small
HTTP server of our own that answers slowly or with broken JSON (for the faults a real
inference server shows only under load)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LLAMA_CPP_VERSION = "0.3.36"
START_TIMEOUT = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One server process; `url` is its API root (…/v1). Stopped (its whole process group)
    by `stop()`, which the fixtures always call."""

    def __init__(self, command: list[str], port: int, log: Path) -> None:
        self.command, self.port, self.log = command, port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ServerProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True,
                                            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(f"{self.url}/models", timeout=2) as answer:
                if answer.status == 200:
                    return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server not ready in {START_TIMEOUT:g} s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def kill(self) -> None:
        """SIGKILL, as a crashed server dies."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)


def transformers_serve(model: Path, log: Path, port: int | None = None) -> ServerProcess:
    command = [sys.executable, "-c", "from transformers.cli.transformers import main; main()",
               "serve", str(model), "--host", "127.0.0.1", "--port", str(port or free_port()),
               "--device", "cpu", "--dtype", "float32", "--log-level", "warning"]
    return ServerProcess(command, int(command[command.index("--port") + 1]), log)


def llama_cpp_serve(gguf: Path, log: Path, port: int | None = None) -> ServerProcess:
    port = port or free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host",
               "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
               "--model_alias", "tiny-gguf", "--logits_all", "true", "--verbose", "false"]
    return ServerProcess(command, port, log)


# GGUF conversion: llama.cpp's converter from llama-cpp-python's sdist. (The lead may swap
# this for `harness convert-gguf` once that lands.)

CONVERT = """
import runpy, sys
vendor = sys.argv[1]
sys.path[:0] = [vendor, vendor + "/gguf-py"]
from conversion.base import TextModel
# our reference tokenizer's pre-tokenizer hash is unknown to the converter: it is EXAONE 4's
TextModel.get_vocab_base_pre = lambda self, tokenizer: "exaone4"
sys.argv = [vendor + "/convert_hf_to_gguf.py", *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def converter(folder: Path) -> Path:
    """llama.cpp's converter (vendor/llama.cpp of the sdist), unpacked once into `folder`."""
    root = folder / f"llama_cpp_python-{LLAMA_CPP_VERSION}" / "vendor" / "llama.cpp"
    if (root / "convert_hf_to_gguf.py").exists():
        return root
    sdists = list(folder.glob("llama_cpp_python-*.tar.gz"))
    if not sdists:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", f"llama-cpp-python=={LLAMA_CPP_VERSION}",
                        "-d", str(folder)], check=True, timeout=600)
        sdists = list(folder.glob("llama_cpp_python-*.tar.gz"))
    prefix = f"llama_cpp_python-{LLAMA_CPP_VERSION}/vendor/llama.cpp/"
    wanted = (prefix + "convert_hf_to_gguf.py", prefix + "conversion/", prefix + "gguf-py/")
    with tarfile.open(sdists[0]) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(wanted)]
        tar.extractall(folder, members=members, filter="data")
    return root


def convert_gguf(model: Path, out: Path, vendor: Path, outtype: str = "f32") -> Path:
    subprocess.run([sys.executable, "-c", CONVERT, str(vendor), str(model), "--outfile",
                    str(out), "--outtype", outtype], check=True, capture_output=True,
                   timeout=300)
    return out


# A loopback server of our own: slow first answers, or broken JSON.

class Behaviour:
    def __init__(self, *, slow_first: int = 0, delay: float = 0.0, broken: bool = False) -> None:
        self.slow_first, self.delay, self.broken = slow_first, delay, broken
        self.posts = 0
        self.lock = threading.Lock()


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._send(json.dumps({"object": "list", "data": [
                {"id": "echo-model", "object": "model", "owned_by": "tests"}]}).encode())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            with behaviour.lock:
                behaviour.posts += 1
                slow = behaviour.posts <= behaviour.slow_first
            if slow:
                time.sleep(behaviour.delay)
            if behaviour.broken:
                self._send(b'{"choices": [{"text": "unterminated')
                return
            messages = request.get("messages") or [{"content": request.get("prompt", "")}]
            text = str(messages[-1]["content"]).split()[-1] if messages else ""
            self._send(json.dumps({
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "text": text, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1}}).encode())

    return Handler


@contextlib.contextmanager
def loopback_server(behaviour: Behaviour) -> Iterator[str]:
    """A threaded HTTP server on a free loopback port answering /v1/models and completions
    (the last word of the prompt) as `behaviour` says; yields its API root."""
    with serve_on_loopback(_handler(behaviour)) as url:
        yield url


@contextlib.contextmanager
def serve_on_loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server with `handler` on a free loopback port; yields its API root and
    stops it after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
