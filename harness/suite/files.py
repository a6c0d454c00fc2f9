"""Safe reading of suite files: inside the suite folder, size-limited, UTF-8, YAML via safe_load
semantics with duplicate keys refused."""

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


_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping gives the same key twice; `field` is its dotted path (`documents.0.title`)."""

    def __init__(self, field: str, mark: yaml.Mark, first_line: int) -> None:
        super().__init__(None, None, f"{field}: duplicate key", mark)
        self.field = field
        self.line, self.column = mark.line + 1, mark.column
        self.first_line = first_line


class UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load semantics (plain data only), except that a key given twice in one mapping
    is an error instead of the last one silently winning. Keys are compared as constructed
    (`1` and `"1"` differ; `true` and `yes` are the same), at every depth; the keys a merge
    (`<<: *anchor`) brings in may be overridden, as YAML allows."""

    def construct_document(self, node: yaml.Node) -> Any:
        self._check_keys(node)
        return super().construct_document(node)

    def _check_keys(self, root: yaml.Node) -> None:
        """Raise DuplicateKeyError for the first repeated key in the document, if any."""
        repeats: list[DuplicateKeyError] = []
        seen_nodes: set[int] = set()
        stack: list[tuple[yaml.Node, str]] = [(root, "")]
        while stack:
            node, path = stack.pop()
            if id(node) in seen_nodes:  # an alias: checked where its anchor is
                continue
            seen_nodes.add(id(node))
            if isinstance(node, yaml.SequenceNode):
                stack.extend((child, f"{path}{index}.") for index, child in enumerate(node.value))
            elif isinstance(node, yaml.MappingNode):
                first: dict[Any, int] = {}
                for key_node, value_node in node.value:
                    scalar = isinstance(key_node, yaml.ScalarNode)
                    name = f"{path}{key_node.value if scalar else '?'}"
                    stack.append((value_node, f"{name}."))
                    if not scalar or key_node.tag == _MERGE_TAG:
                        continue  # a merge's keys may be overridden; complex keys fail later
                    key = self.construct_object(key_node)
                    if key in first:
                        repeats.append(DuplicateKeyError(name, key_node.start_mark, first[key]))
                    else:
                        first[key] = key_node.start_mark.line + 1
        if repeats:
            raise min(repeats, key=lambda err: (err.line, err.column))


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse YAML safely (UniqueKeyLoader: safe_load, duplicate keys refused); returns the data
    and its node tree (for line numbers of fields)."""
    text = read_text(path)
    try:
        loader = UniqueKeyLoader(text)  # the reader already refuses unprintable characters
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except DuplicateKeyError as err:
        raise HarnessError(f"{path}:{err.line}: {err.field}: duplicate key (first on line "
                           f"{err.first_line})") from err
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
            node = match[-1]  # a key of its own comes after the keys a merge brings in
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line
