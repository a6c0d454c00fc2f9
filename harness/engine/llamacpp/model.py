"""Open a GGUF file with llama-cpp-python and describe it as a `ModelInfo`: the file's content
fingerprint as its revision, its GGUF file type (`general.file_type`) as its dtype or
quantization, the context the engine runs it with."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.engine.host import cpu_device_name
from harness.engine.llamacpp.cpu import extra_buffers_run, without_extra_buffers
from harness.engine.types import ModelInfo
from harness.errors import HarnessError

MAX_CONTEXT = 8192  # llama.cpp keeps logits of every position: n_ctx x vocab floats
CHUNK = 1 << 22


def require_llama_cpp() -> None:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise HarnessError("--engine llamacpp needs llama-cpp-python: pip install "
                           "'fact-harness[gguf]' (builds llama.cpp; needs cmake and a C++ "
                           "compiler)") from None


def fingerprint(path: Path) -> str:
    """sha256 of the file's bytes (its first 16 hex digits): the same weights, the same
    revision, wherever the file lies."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return "sha256-" + digest.hexdigest()[:16]


def gguf_path(model: str) -> Path:
    path = Path(model).expanduser()
    if path.is_dir():
        raise HarnessError(f"--model {model}: a folder; --engine llamacpp takes a .gguf file "
                           "(harness convert-gguf makes one from a model folder)")
    if not path.is_file():
        raise HarnessError(f"--model {model}: no such file")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise HarnessError(f"--model {model}: not a GGUF file (no GGUF magic)")
    return path.resolve()


@dataclass(frozen=True)
class Placement:
    device: str  # "cpu" or "gpu" (llama.cpp's own offload)
    gpu_layers: int


def placement(device: str) -> Placement:
    import llama_cpp

    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    if device == "cpu" or (device == "auto" and not gpu):
        return Placement("cpu", 0)
    if device in ("auto", "cuda", "gpu") or device.startswith("cuda:"):
        if not gpu:
            raise HarnessError(f"--device {device}: this llama-cpp-python was built without GPU "
                               "offload (use --device cpu, or reinstall it with CMAKE_ARGS="
                               "-DGGML_CUDA=on)")
        return Placement("gpu", -1)
    raise HarnessError(f"--device {device}: expected auto, cpu or cuda")


def open_llama(path: Path, where: Placement, threads: int) -> tuple[Any, str, bool]:
    """The model with every position's logits kept (`logits_all`), its context the file's
    training context up to `MAX_CONTEXT`, and its KV cache's type: f32 for an f32 file (then
    its numbers are transformers' in float32 to about 1e-5 nats), else llama.cpp's default
    f16 (f16 keys and values moved log-likelihoods of the f32 file by up to 4e-3 nats); and
    whether llama.cpp's extra CPU buffer types are on (`cpu.py`)."""
    import llama_cpp

    logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)  # llama.cpp's load log
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True  # the header and vocabulary only: the training context
    probe = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    if not probe:
        raise HarnessError(f"--model {path}: llama.cpp cannot read this GGUF file (an "
                           "architecture or file type newer than llama-cpp-python "
                           f"{llama_cpp.__version__}?)")
    trained = int(llama_cpp.llama_model_n_ctx_train(probe))
    value = ctypes.create_string_buffer(32)
    known = llama_cpp.llama_model_meta_val_str(probe, b"general.file_type", value, 32) > 0
    llama_cpp.llama_model_free(probe)
    f32 = known and value.value == str(llama_cpp.LLAMA_FTYPE_ALL_F32).encode()
    kv = llama_cpp.GGML_TYPE_F32 if f32 else llama_cpp.GGML_TYPE_F16
    n_ctx = min(trained, MAX_CONTEXT) if trained > 0 else MAX_CONTEXT
    extra = where.device != "cpu" or extra_buffers_run(path)
    try:
        with contextlib.nullcontext() if extra else without_extra_buffers():
            llm = llama_cpp.Llama(str(path), n_ctx=n_ctx, logits_all=True, n_threads=threads,
                                  n_threads_batch=threads, n_gpu_layers=where.gpu_layers,
                                  n_batch=min(512, n_ctx), type_k=kv, type_v=kv,
                                  verbose=False)
        return llm, "f32" if f32 else "f16", extra
    except ValueError as err:
        raise HarnessError(f"--model {path}: llama.cpp cannot load it ({err})") from None


def context_of(llm: Any) -> int:
    """Positions the engine can hold: llama.cpp's context, within the arrays of token ids
    and logits llama-cpp-python sized by the context asked for."""
    return min(int(llm.n_ctx()), len(llm.input_ids))


def file_type(meta: dict[str, str]) -> str | None:
    from harness.gguf.filetypes import file_type_name

    value = meta.get("general.file_type")
    return file_type_name(int(value)) if value is not None else None


def model_info(model: str, path: Path, llm: Any, where: Placement, threads: int,
               revision: str, chat_template_sha: str | None) -> ModelInfo:
    import llama_cpp

    from harness.gguf.filetypes import UNQUANTIZED

    meta: dict[str, str] = dict(llm.metadata)
    ftype = file_type(meta)
    unquantized = ftype is None or ftype in UNQUANTIZED
    return ModelInfo(
        model_id=model, source="local", path=str(path), revision=revision,
        architecture=meta.get("general.architecture", "unknown"),
        parameters=int(llama_cpp.llama_model_n_params(llm.model)),
        dtype=UNQUANTIZED.get(ftype or "", (ftype or "unknown").lower()),
        device=where.device,
        device_name=(cpu_device_name(threads, "llama.cpp") if where.device == "cpu"
                     else "gpu (llama.cpp offload)"),
        trust_remote_code=False, chat_template_sha=chat_template_sha,
        context_length=context_of(llm),
        quantization=None if unquantized else ftype,
    )


def default_threads() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1
