"""SQLite (WAL) store of request results; each result is committed the moment it is computed.

Every entry carries a checksum of its key and payload: an entry that does not match it (a
damaged page, a hand edit, a row of an older layout) or that lacks a field of its result type
is a miss, so it is computed again; never a wrong answer. SQLite's own failures (a damaged
file, a full disk) end in one line naming the file and the way out."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, TypeVar

from harness.engine.types import ModelInfo
from harness.errors import HarnessError
from harness.paths import cache_root

CACHE_VERSION = 2  # bumped when what an engine computes for a request changes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    value TEXT NOT NULL,
    checksum TEXT
)
"""
T = TypeVar("T")


def default_cache_dir() -> Path:
    """The request cache's folder: fact-harness's cache root."""
    return cache_root()


def model_key(info: ModelInfo, engine: str) -> str:
    """Identity of everything that decides a model's outputs: two models, or two backends
    (`Engine.name`) running one model, never share entries."""
    identity = {
        "model_id": info.model_id, "path": info.path, "revision": info.revision,
        "dtype": info.dtype, "device": info.device.split(":")[0],
        "trust_remote_code": info.trust_remote_code, "engine": engine, "version": CACHE_VERSION,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def request_key(model: str, kind: str, request: Any) -> str:
    payload = json.dumps([model, kind, asdict(request)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def checksum(key: str, value: str) -> str:
    """The checksum an entry is stored with: its key and payload together, so a payload
    moved to another key does not match either."""
    return hashlib.sha256(f"{key}\0{value}".encode()).hexdigest()[:32]


def sqlite_fault(path: Path, err: sqlite3.Error) -> HarnessError:
    """One line for a failure of the cache file: what happened and the way out."""
    text = str(err)
    if "full" in text:
        fix = "free space on its disk, or run with --no-cache"
    elif isinstance(err, sqlite3.OperationalError) and "locked" in text:
        fix = "another process holds it; wait, or run with --no-cache or another --cache-dir"
    else:
        fix = "delete the cache file (results are computed again) or run with --no-cache"
    return HarnessError(f"request cache {path}: {text}; {fix}")


def _build(result_type: type[T], data: Any) -> T | None:
    """`result_type(**data)` when `data` has exactly its fields; else None (a miss)."""
    names = {f.name for f in fields(result_type)}  # type: ignore[arg-type]
    if not isinstance(data, dict) or set(data) != names:
        return None
    try:
        return result_type(**data)
    except (TypeError, ValueError):
        return None


class RequestCache:
    """One SQLite file; safe to kill at any moment (WAL, one commit per result)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "requests.sqlite"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(_SCHEMA)
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(results)")}
            if "checksum" not in columns:  # a cache of an earlier version: its rows miss
                self.db.execute("ALTER TABLE results ADD COLUMN checksum TEXT")
        except OSError as err:
            raise HarnessError(f"cache dir {folder}: cannot open the request cache ({err}); "
                               "use --cache-dir elsewhere or --no-cache") from None
        except sqlite3.Error as err:
            raise sqlite_fault(self.path, err) from None

    def get_many(self, keys: Sequence[str], result_type: type[T]) -> dict[str, T]:
        """The stored results of `keys` that are whole and match their checksum."""
        found: dict[str, T] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"SELECT key, value, checksum FROM results WHERE key IN ({marks})", chunk)
                for key, value, stored_sum in rows:
                    result = self._decode(key, value, stored_sum, result_type)
                    if result is not None:
                        found[key] = result
        except sqlite3.Error as err:
            raise sqlite_fault(self.path, err) from None
        return found

    @staticmethod
    def _decode(key: str, value: Any, stored_sum: Any, result_type: type[T]) -> T | None:
        if not isinstance(value, str) or stored_sum != checksum(key, value):
            return None
        try:
            return _build(result_type, json.loads(value))
        except ValueError:
            return None

    def put(self, key: str, kind: str, model: str, value: Any) -> None:
        text = json.dumps(asdict(value), ensure_ascii=False)
        try:
            self.db.execute("INSERT OR REPLACE INTO results (key, kind, model, value, checksum) "
                            "VALUES (?,?,?,?,?)", (key, kind, model, text, checksum(key, text)))
        except sqlite3.Error as err:
            raise sqlite_fault(self.path, err) from None

    def close(self) -> None:
        self.db.close()
