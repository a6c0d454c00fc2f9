"""Quantize a GGUF file with llama.cpp's own quantizer (`llama_model_quantize`, the library
function behind the `llama-quantize` tool), as exposed by llama-cpp-python."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from harness.errors import HarnessError
from harness.gguf.filetypes import file_types, quantized_types


def require_quantizer(outtype: str) -> str:
    """The llama.cpp type name of `outtype`; one line when llama-cpp-python is missing or
    knows no such type."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise HarnessError(f"--outtype {outtype}: quantizing needs llama-cpp-python: pip "
                           "install 'fact-harness[gguf]' (f32, f16, bf16 and q8_0 do not)"
                           ) from None
    name = outtype.upper()
    if outtype.lower() not in quantized_types():
        raise HarnessError(f"--outtype {outtype}: expected f32, f16, bf16, q8_0 or a llama.cpp "
                           f"quantization type ({', '.join(quantized_types())})")
    return name


def quantize(source: Path, out: Path, outtype: str, threads: int | None = None) -> None:
    """Write `source` (an f32/f16/bf16 GGUF) quantized to `outtype` (e.g. q4_k_m) at `out`.
    Tensors whose rows do not fit the type's block size fall back to a type that fits, as
    llama-quantize does (the file's `general.file_type` stays the asked type)."""
    import llama_cpp

    name = require_quantizer(outtype)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = file_types()[name]
    params.nthread = threads or os.cpu_count() or 1
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(out).encode(),
                                          ctypes.byref(params))
    if code != 0 or not out.is_file():
        raise HarnessError(f"llama.cpp could not quantize {source} to {name} (code {code})")
