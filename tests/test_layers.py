"""The package's layering: no two subpackages import each other (directly, at module level or
inside a function), and the engine interface is a leaf that loads no torch."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "harness"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def subpackage_imports() -> dict[str, set[str]]:
    """subpackage -> the other subpackages (or top-level modules) its files import."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) < 2:
            continue  # a top-level module
        for name in _imports(path):
            if name.startswith("harness.") and name.split(".")[1] != parts[0]:
                edges.setdefault(parts[0], set()).add(name.split(".")[1])
    return edges


def test_no_two_subpackages_import_each_other() -> None:
    edges = subpackage_imports()
    cycles = [(a, b) for a, b in itertools.combinations(sorted(edges), 2)
              if b in edges.get(a, set()) and a in edges.get(b, set())]
    assert not cycles


def test_the_engine_interface_is_a_leaf() -> None:
    code = ("import sys, harness.engine.interface, harness.engine.types; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]"
    for leaf in ("types.py", "interface.py"):
        assert not {n for n in _imports(PACKAGE / "engine" / leaf)
                    if n.startswith("harness.") and not n.startswith("harness.engine.types")}
