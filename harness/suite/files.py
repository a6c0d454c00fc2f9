"""Safe reading of suite files: inside the suite folder, size-limited, UTF-8, YAML via safe_load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError

MAX_FILE_BYTES = 16 * 1024 * 1024


def resolve_inside(root: Path, relative: str, *, where: str) -> Path:
    """Resolve `relative` under `root`, refusing absolute paths and paths that leave `root`."""
    if Path(relative).is_absolute():
        raise HarnessError(f"{where}: absolute path {relative!r} refused; use a path inside the "
                           "suite")
    try:
        path = (root / relative).resolve()
        inside = path.is_relative_to(root.resolve())
        exists = path.is_file()
    except (OSError, ValueError) as err:  # NUL bytes, lone surrogates, too long...
        raise HarnessError(f"{where}: unusable path {relative!r} ({type(err).__name__})") from None
    if not inside:
        raise HarnessError(f"{where}: path {relative!r} leaves the suite folder; refused")
    if not exists:
        raise HarnessError(f"{where}: file {relative!r} not found in {root}")
    return path


def read_text(path: Path) -> str:
    """Read a UTF-8 text file, refusing huge files and invalid encodings with a located message."""
    try:
        size = path.stat().st_size
    except OSError as err:
        raise HarnessError(f"{path}: cannot read: {err.strerror}") from err
    if size > MAX_FILE_BYTES:
        raise HarnessError(f"{path}: file is {size} bytes, over the {MAX_FILE_BYTES} byte limit")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise HarnessError(f"{path}:{line}: not valid UTF-8 text (byte {err.start})") from err


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse YAML safely; returns the data and its node tree (for line numbers of fields)."""
    text = read_text(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise HarnessError(f"{path}{line}: malformed YAML: {problem}") from err
    return data, node


def line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at pydantic location `loc`, as deep as it can be followed."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if getattr(k, "value", None) == key]
            if not match:
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line
