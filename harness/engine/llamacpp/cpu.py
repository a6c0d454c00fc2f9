"""A CPU that advertises AMX but does not run it (seen in virtual machines: the kernel grants
the tile state, the hypervisor does not) makes llama.cpp die with SIGILL on its first
quantized matrix product (`tinygemm_kernel_amx`, `tilezero`), when the library was built
with `-march=native` (llama-cpp-python's default build). Where the CPU lists `amx_tile`,
a child process first runs the file for a few tokens; if it dies, the model is loaded
without llama.cpp's extra CPU buffer types (AMX, weight repacking), which never use AMX."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PROBE = """
import sys, llama_cpp
llm = llama_cpp.Llama(sys.argv[1], n_ctx=64, n_batch=64, verbose=False)
llm.eval(list(range(1, 33)))
"""


def lists_amx() -> bool:
    try:
        return "amx_tile" in Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False


@cache
def extra_buffers_run(path: Path) -> bool:
    """Whether llama.cpp's extra CPU buffer types run this file here."""
    if not lists_amx():
        return True
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          check=False, timeout=600)
    return done.returncode == 0


@contextlib.contextmanager
def without_extra_buffers() -> Iterator[None]:
    """`llama_cpp.Llama` constructed inside loads its weights without extra buffer types
    (llama-cpp-python takes the model parameters from `llama_model_default_params`)."""
    import llama_cpp.llama_cpp as lib

    original = lib.llama_model_default_params

    def params() -> object:
        value = original()
        value.use_extra_bufts = False
        return value

    lib.llama_model_default_params = params
    try:
        yield
    finally:
        lib.llama_model_default_params = original
