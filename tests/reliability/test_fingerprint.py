"""A local model's identity is its content: weights swapped for others of the same size and
mtime are another model, whose requests the cache never answers with the old model's."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path

import pytest

from harness.cache.store import model_key, request_key
from harness.engine.loading import resolve_model
from harness.engine.types import LoglikRequest, ModelInfo
from harness.fingerprint import _cache_file, content_hash, folder_fingerprint

WEIGHTS = "model.safetensors"


@pytest.fixture()
def model_copy(tmp_path: Path, random_model: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(random_model, folder)
    return folder


def _swap_keeping_size_and_mtime(path: Path, replacement: bytes) -> None:
    """New bytes of the same length, and the old mtime back (as containers normalise it)."""
    stat = path.stat()
    assert len(replacement) == stat.st_size
    tmp = path.with_suffix(".new")
    tmp.write_bytes(replacement)
    os.replace(tmp, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert path.stat().st_mtime_ns == stat.st_mtime_ns


def _info(folder: Path) -> ModelInfo:
    path, source, revision = resolve_model(str(folder), None)
    return ModelInfo(model_id="m", source=source, path=str(path), revision=revision,
                     architecture="A", parameters=1, dtype="float32", device="cpu",
                     device_name="cpu", trust_remote_code=False, chat_template_sha=None)


def test_weights_swapped_at_same_size_and_mtime_are_another_model(model_copy: Path) -> None:
    before = _info(model_copy)
    data = bytearray((model_copy / WEIGHTS).read_bytes())
    data[-64:] = bytes(255 - b for b in data[-64:])  # other weights, same header and size
    _swap_keeping_size_and_mtime(model_copy / WEIGHTS, bytes(data))
    after = _info(model_copy)
    assert after.revision != before.revision
    request = LoglikRequest(context="Q: 1+1? A:", continuation=" 2")
    assert request_key(model_key(after, "hf"), "loglik", request) != \
        request_key(model_key(before, "hf"), "loglik", request)  # a cache miss: recomputed


def test_rewritten_in_place_with_the_same_inode(model_copy: Path) -> None:
    """Same path, size, mtime and inode: the change of ctime still tells."""
    first = folder_fingerprint(model_copy)
    path = model_copy / WEIGHTS
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    time.sleep(0.01)
    with path.open("r+b") as handle:
        handle.write(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_ino == stat.st_ino
    assert folder_fingerprint(model_copy) != first


def test_fingerprints_are_kept_and_reused(model_copy: Path) -> None:
    first = folder_fingerprint(model_copy)
    assert str(model_copy / WEIGHTS) in _cache_file().read_text(encoding="utf-8")
    assert folder_fingerprint(model_copy) == first
    assert content_hash(model_copy / WEIGHTS) in _cache_file().read_text(encoding="utf-8")
    moved = model_copy.parent / "moved"
    model_copy.rename(moved)
    assert folder_fingerprint(moved) == first  # the content decides, not where it lies


def test_fingerprint_is_recorded_for_a_local_model(model_copy: Path) -> None:
    info = _info(model_copy)
    assert info.revision.startswith("content-")
    assert dataclasses.asdict(info)["revision"] == folder_fingerprint(model_copy)
