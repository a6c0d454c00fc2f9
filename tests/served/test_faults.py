"""Faults against real servers: each is one `error:` line (no traceback, no empty answer
scored), and a run killed with its server resumes from the request cache."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.results.store import read_run
from harness.runs.options import RunOptions
from tests.conftest import SEED_SUITE, harness_cli
from tests.served.conftest import needs, run_samples, served_options
from tests.served.servers import Behaviour, free_port, llama_cpp_serve, loopback_server

pytestmark = needs("openai")


def one_error_line(result: object) -> str:
    """The CLI's answer to a fault: exit status 2 and one `error:` line last (after the
    progress bar's final line when the fault came mid-task); no traceback."""
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], stderr
    return str(lines[-1])


def run_error(options: RunOptions) -> str:
    """The one line a run stops with (in-process: no interpreter start per fault)."""
    with pytest.raises(HarnessError) as caught:
        run_samples(options)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_wrong_port_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    line = one_error_line(harness_cli(
        "run", "--engine", "openai", "--base-url", url, "--model", "any", "--suite",
        str(SEED_SUITE), "--task", "closed_qa", "--limit", "2", "--results", str(tmp_path),
        "--no-cache"))
    assert line.startswith(f"error: server {url}: unreachable (") and "--base-url" in line


def test_wrong_model_name_is_one_line(tmp_path: Path) -> None:
    with loopback_server(Behaviour()) as url:
        line = run_error(served_options(url, "no-such-model", tmp_path))
    assert line == (f"--model no-such-model: the server at {url} does not serve it (it "
                    "serves 'echo-model'); pass one of those")


def test_malformed_json_is_one_line(tmp_path: Path) -> None:
    with loopback_server(Behaviour(broken=True)) as url:
        line = run_error(served_options(url, "echo-model", tmp_path))
    assert line == (f"server {url}: POST /chat/completions answered malformed JSON "
                    "(JSONDecodeError)")


def test_slow_server_retried(tmp_path: Path) -> None:
    behaviour = Behaviour(slow_first=1, delay=2.0)
    with loopback_server(behaviour) as url:
        options = served_options(url, "echo-model", tmp_path, tasks=("closed_qa",), limit=3,
                                 request_timeout=0.5, max_concurrency=1)
        run_dir, samples = run_samples(options)
    assert read_run(run_dir).status == "complete" and len(samples) == 3
    # the probe's first request timed out and was sent again; then the 3 requests
    assert behaviour.posts == 1 + 1 + 3
    assert all(s.raw_output for s in samples)


def test_server_that_stays_slow_is_one_line(tmp_path: Path) -> None:
    with loopback_server(Behaviour(slow_first=100, delay=1.0)) as url:
        line = run_error(served_options(url, "echo-model", tmp_path, request_timeout=0.2,
                                        limit=1, tasks=("closed_qa",)))
    assert line == (f"server {url}: no answer to POST /chat/completions within 0.2 s, 4 tries; "
                    "raise --request-timeout or lower --max-concurrency")


def cached_rows(cache: Path) -> int:
    try:
        with sqlite3.connect(cache / "requests.sqlite", timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM results").fetchone()[0])
    except sqlite3.Error:
        return 0


@needs("llama_cpp", "fastapi", "uvicorn", "sse_starlette")
def test_killed_server_then_resume(memorizer_gguf: Path, tmp_path: Path) -> None:
    """The server is killed mid-run: the run stops with one line; once the server is back,
    the same command resumes that run, taking what was done from the cache."""
    server = llama_cpp_serve(memorizer_gguf, tmp_path / "server.log").start()
    cache, results = tmp_path / "cache", tmp_path / "results"
    tasks = ("closed_qa", "open_qa")
    args = ["run", "--engine", "openai", "--base-url", server.url, "--model", "tiny-gguf",
            "--suite", str(SEED_SUITE), "--results", str(results), "--cache-dir", str(cache),
            "--max-concurrency", "1", "--limit", "10", *(f"--task={task}" for task in tasks)]
    command = [sys.executable, "-c", "from harness.cli.main import main; main()", *args]
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as first:
            deadline = time.monotonic() + 180
            while cached_rows(cache) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            server.kill()
            stdout, stderr = first.communicate(timeout=120)
        line = one_error_line(subprocess.CompletedProcess(command, first.returncode, stdout,
                                                          stderr))
        assert line.startswith(f"error: server {server.url}: unreachable (")
        done = cached_rows(cache)
        assert done >= 4
        server.start()  # the same port: the same base URL, the same cache entries
        run_dir, _ = run_samples(served_options(server.url, "tiny-gguf", results, tasks=tasks,
                                                limit=10, cache_dir=cache,
                                                max_concurrency=1))
        record = read_run(run_dir)
        assert record.status == "complete" and record.resumed == 1
        assert record.cache.hits == done
        total = sum(task.n for task in record.tasks.values())
        assert record.cache.computed == total - done > 0
    finally:
        server.stop()
