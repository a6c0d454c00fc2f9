"""A local model folder's identity by content: the safetensors headers (shapes, dtypes, names)
and a fast hash (xxh3-128) of every file's bytes, so weights swapped for others of the same
size and mtime are a different model. Each file's hash is kept in a small JSON cache keyed by
(path, size, mtime, inode, ctime): a folder is read in full once, later runs stat it."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import xxhash

from harness.paths import cache_root

CHUNK = 8 << 20  # bytes read per call
HEADER_LIMIT = 100 << 20  # a safetensors header larger than this is not one
_VERSION = 1


def _cache_file() -> Path:
    return cache_root() / "fingerprints.json"


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}|{st.st_ctime_ns}"


def safetensors_header(path: Path) -> bytes:
    """The JSON header of a .safetensors file (names, dtypes, shapes, offsets); b'' when the
    file does not start with one."""
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return b""
        (size,) = struct.unpack("<Q", head)
        if size > HEADER_LIMIT:
            return b""
        return handle.read(size)


def content_hash(path: Path) -> str:
    """xxh3-128 of the file's bytes (several GB/s: memory or disk bound)."""
    digest = xxhash.xxh3_128()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _load_cache() -> dict[str, str]:
    try:
        data = json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return {}
    files = data.get("files")
    return {k: v for k, v in files.items() if isinstance(v, str)} if isinstance(files,
                                                                                dict) else {}


def _save_cache(files: dict[str, str]) -> None:
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": _VERSION, "files": files}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return  # a cache that cannot be written costs a re-hash next time, nothing else


def file_hash(path: Path, known: dict[str, str]) -> str:
    """The file's content hash, from `known` when its (path, size, mtime, inode, ctime) match;
    `known` is updated."""
    key = _stat_key(path)
    if key not in known:
        stale = key.split("|", 1)[0] + "|"  # the same file's older versions
        for old in [k for k in known if k.startswith(stale)]:
            del known[old]
        known[key] = content_hash(path)
    return known[key]


def folder_fingerprint(folder: Path) -> str:
    """`content-<16 hex>`: the hash of every file's name and content (and, for .safetensors,
    its header) in `folder` (not its sub-folders)."""
    known = _load_cache()
    before = dict(known)
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        digest.update(f"{path.name}\0{file_hash(path, known)}\0".encode())
        if path.suffix == ".safetensors":
            digest.update(hashlib.sha256(safetensors_header(path)).digest())
    if known != before:
        _save_cache(known)
    return "content-" + digest.hexdigest()[:16]
