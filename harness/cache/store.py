"""SQLite (WAL) store of request results; each result is committed the moment it is computed."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.engine.types import ModelInfo
from harness.errors import HarnessError
from harness.paths import cache_root

CACHE_VERSION = 2  # bumped when what an engine computes for a request changes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    value TEXT NOT NULL
)
"""


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


class RequestCache:
    """One SQLite file; safe to kill at any moment (WAL, one commit per result)."""

    def __init__(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.path = folder / "requests.sqlite"
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise HarnessError(f"cache dir {folder}: cannot open the request cache ({err}); "
                               "use --cache-dir elsewhere or --no-cache") from None

    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT key, value FROM results WHERE key IN ({marks})", chunk)
            found.update((key, json.loads(value)) for key, value in rows)
        return found

    def put(self, key: str, kind: str, model: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO results (key, kind, model, value) VALUES (?,?,?,?)",
                        (key, kind, model, json.dumps(asdict(value), ensure_ascii=False)))

    def close(self) -> None:
        self.db.close()
