"""Several ranks write one request cache at once (SQLite WAL, busy timeout): nothing lost, no
'database is locked'."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, stored
from tests.scale.launch import env

WRITER = """
import sys
from pathlib import Path
from harness.cache.store import RequestCache
from harness.engine.types import LoglikResult
cache = RequestCache(Path(sys.argv[1]))
rank = int(sys.argv[2])
for i in range(int(sys.argv[3])):
    cache.put(f"{rank}-{i}", "loglik", "m", LoglikResult(-float(i), True, 1))
    assert cache.get_many([f"{rank}-{i}"], LoglikResult)
cache.close()
"""


def test_ranks_write_one_cache(tmp_path: Path) -> None:
    ranks, each = 4, 300
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(r), str(each)],
                              cwd=ROOT, env=env(), stderr=subprocess.PIPE, text=True)
             for r in range(ranks)]  # all open the fresh file at once
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * ranks, errors
    assert stored(tmp_path) == ranks * each
    mode = subprocess.run([sys.executable, "-c",
                           "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("
                           "'PRAGMA journal_mode').fetchone()[0])",
                           str(tmp_path / "requests.sqlite")], capture_output=True, text=True)
    assert mode.stdout.strip() == "wal"
