"""Faults of the request cache and of result files: a damaged entry is a miss (computed
again), never a wrong answer; a damaged file, a full disk or a file-size limit is one error
line naming the file and the way out."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cache.store import RequestCache, checksum
from harness.engine.types import LoglikResult
from harness.errors import HarnessError
from harness.results.store import read_run
from tests.conftest import ROOT, SEED_SUITE, harness_cli

KEYS = [f"{i:064x}" for i in range(300)]


def _filled(folder: Path) -> RequestCache:
    cache = RequestCache(folder)
    for i, key in enumerate(KEYS):
        cache.put(key, "loglik", "model", LoglikResult(-float(i), i % 2 == 0, 1))
    return cache


def _damage_pages(db: Path) -> None:
    """Garbage over every page after the first (the header stays readable)."""
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) > 2 * page
    data[page:] = bytes((i * 37 + 11) % 256 for i in range(len(data) - page))
    db.write_bytes(bytes(data))


def test_an_altered_payload_is_a_miss(tmp_path: Path) -> None:
    cache = _filled(tmp_path)
    cache.db.execute("UPDATE results SET value = ? WHERE key = ?",
                     (json.dumps({"logprob": -123.0, "is_greedy": True,
                                 "continuation_tokens": 1}), KEYS[5]))
    found = cache.get_many(KEYS, LoglikResult)
    assert KEYS[5] not in found  # recomputed, not the altered number
    assert found[KEYS[6]] == LoglikResult(-6.0, True, 1)
    assert len(found) == len(KEYS) - 1


def test_an_entry_missing_fields_is_a_miss(tmp_path: Path) -> None:
    cache = _filled(tmp_path)
    partial = json.dumps({"logprob": -1.0})
    cache.db.execute("UPDATE results SET value = ?, checksum = ? WHERE key = ?",
                     (partial, checksum(KEYS[1], partial), KEYS[1]))
    assert KEYS[1] not in cache.get_many(KEYS, LoglikResult)


def test_rows_of_an_older_cache_are_misses(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "requests.sqlite") as db:
        db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, kind TEXT NOT NULL, "
                   "model TEXT NOT NULL, value TEXT NOT NULL)")
        db.execute("INSERT INTO results VALUES (?,?,?,?)", (KEYS[0], "loglik", "m",
                   json.dumps({"logprob": -9.0, "is_greedy": False, "continuation_tokens": 1})))
    assert RequestCache(tmp_path).get_many(KEYS, LoglikResult) == {}


def test_a_damaged_cache_file_is_one_line(tmp_path: Path) -> None:
    _filled(tmp_path).close()
    _damage_pages(tmp_path / "requests.sqlite")
    with pytest.raises(HarnessError, match="requests.sqlite: .*delete the cache file") as err:
        RequestCache(tmp_path).get_many(KEYS, LoglikResult)
    assert "--no-cache" in str(err.value)


def test_a_full_disk_is_one_line(tmp_path: Path) -> None:
    cache = _filled(tmp_path)
    pages = cache.db.execute("PRAGMA page_count").fetchone()[0]
    cache.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk holds not one page more
    with pytest.raises(HarnessError, match="requests.sqlite: database or disk is full; "
                                           "free space"):
        for i in range(1000):
            cache.put(f"{i:064d}", "gen", "model", LoglikResult(0.0, True, 1))


def test_a_file_size_limit_is_one_line(tmp_path: Path) -> None:
    code = ("import resource, sys; from pathlib import Path\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))\n"
            "from harness.errors import HarnessError\n"
            "from harness.results.store import atomic_write\n"
            "try:\n    atomic_write(Path(sys.argv[1]), 'x' * 5000)\n"
            "except HarnessError as err:\n    print(err)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run.json")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"{tmp_path / 'run.json'}: cannot write (File too large); raise the file-size " \
        "limit" in out.stdout
    assert list(tmp_path.iterdir()) == []  # no partial file left


def test_a_run_on_a_damaged_cache_fails_in_one_line(tmp_path: Path, random_model: Path) -> None:
    cache, results = tmp_path / "cache", tmp_path / "results"
    _filled(cache).close()
    _damage_pages(cache / "requests.sqlite")
    out = harness_cli("run", "--model", str(random_model), "--suite", str(SEED_SUITE),
                      "--task", "mc", "--limit", "1", "--results", str(results),
                      "--cache-dir", str(cache))
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith("error: request cache "), out.stderr
    assert out.stderr.rstrip().endswith(lines[0])  # the last word
    assert "delete the cache file" in lines[0] and "--no-cache" in lines[0]
    (run_dir,) = results.iterdir()
    assert read_run(run_dir).status == "failed"
