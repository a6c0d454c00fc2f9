"""Shared fixtures: the seed suite, the offline reference models and one end-to-end run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import typer

from harness.refmodels.build import MEMORIZER_NAME, RANDOM_NAME, build_reference_models
from harness.suite.loader import Suite, load_suite

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
SEED_SUITE = ROOT / "harness" / "suites" / "kr-news-2025-07"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's request cache."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture(scope="session")
def suite() -> Suite:
    return load_suite(SEED_SUITE)


@pytest.fixture(scope="session")
def models_dir(suite: Suite) -> Path:
    """The reference models, built once (shared with `make demo` through models/)."""
    out = Path(os.environ.get("HARNESS_MODELS_DIR", ROOT / "models"))
    build_reference_models(suite, out, log=lambda _msg: None)
    return out


@pytest.fixture(scope="session")
def random_model(models_dir: Path) -> Path:
    return models_dir / RANDOM_NAME


@pytest.fixture(scope="session")
def memorizer_model(models_dir: Path) -> Path:
    return models_dir / MEMORIZER_NAME


def cli_app(register: Callable[[typer.Typer], None]) -> typer.Typer:
    """A fresh Typer app holding one command module's commands; its callback keeps them
    sub-commands (`harness score …`), as in the real app."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test app."""

    register(app)
    return app


def harness_cli(*args: str, cwd: Path = ROOT, check: bool = False,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `harness` console script as a user would."""
    command = [sys.executable, "-c", "from harness.cli.main import main; main()", *args]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=1800)
    if check and result.returncode != 0:
        raise AssertionError(f"harness {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def demo_results(tmp_path_factory: pytest.TempPathFactory, random_model: Path,
                 memorizer_model: Path) -> Path:
    """Both reference models run on the seed suite's closed-book and one open-book task."""
    results = tmp_path_factory.mktemp("results")
    for model in (random_model, memorizer_model):
        harness_cli("run", "--model", str(model), "--suite", str(SEED_SUITE), "--results",
                    str(results), "--task", "closed_qa", "--task", "mc", "--task", "tf",
                    "--task", "open_qa", "--task", "closed_qa_ko", check=True)
    return results


def stored(cache: Path) -> int:
    """Results in the request cache folder `cache` (0 while it does not exist or is locked)."""
    db = cache / "requests.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.Error:
        return 0
