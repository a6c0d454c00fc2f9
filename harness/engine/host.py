"""The machine a run computes on: how results name it, and what a run asks of it."""

from __future__ import annotations

import os
import platform
from collections.abc import MutableMapping
from pathlib import Path


def _cpuinfo(key: str) -> str:
    """The first value of `key` in Linux's /proc/cpuinfo ("" where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key and value.strip():
                return value.strip()
    except OSError:
        pass
    return ""


def cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo, else what Python knows): timings from two
    machines of one architecture are not comparable, so results name the CPU they ran on."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def cpu_device_name(threads: int, runtime: str | None = None) -> str:
    """How results name a CPU run: model, architecture, threads (and the runtime, if not
    torch), e.g. `cpu (Intel(R) Xeon(R) Processor, x86_64, 2 threads)`."""
    via = f", {runtime}" if runtime else ""
    return f"cpu ({cpu_model()}, {platform.machine()}, {threads} threads{via})"


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux reports them (empty elsewhere)."""
    return frozenset(_cpuinfo("flags").split())


# bfloat16 was measured faster from the 154M "small" shape up (about 2x; 3x at 1.2B); a tiny
# model's run is Python overhead, whatever its dtype
HINT_MIN_PARAMETERS = 100_000_000


def bfloat16_hint(dtype_option: str, device: str, dtype: str, parameters: int,
                  flags: frozenset[str] | None = None) -> str | None:
    """One line for a run left at `--dtype auto` in float32 on a CPU with AMX (bfloat16 matrix
    units, which torch's oneDNN uses): there `--dtype bfloat16` is the faster choice. float32
    stays the CPU default: it is what matches lm-eval to 1e-5, and in bfloat16 a request's
    numbers move with its batch."""
    if dtype_option != "auto" or device != "cpu" or dtype != "float32":
        return None
    if parameters < HINT_MIN_PARAMETERS:
        return None
    if "amx_bf16" not in (cpu_flags() if flags is None else flags):
        return None
    return ("this CPU computes bfloat16 in hardware (AMX): --dtype bfloat16 runs faster here "
            "(README: Speed); float32, the CPU default, is what matches lm-eval to 1e-5")


# oneDNN (torch's bfloat16 products on a CPU) compiles one product per shape it meets and keeps
# up to 1,024 of them, and torch's ideep layer keeps its own LRU of as many, ~1 MB a shape in
# all; nearly every pass is a new shape (its token count), so at the 1.2B shape in bfloat16 the
# process's RSS grew by 0.53 GB over the seed suite (0.07 GB capped). 64 hold the shapes of a
# pass (4 linear shapes and the head) for many passes, at no time cost measured (docs/engine.md).
PRODUCT_CACHES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")
PRODUCT_CACHE_CAPACITY = 64


def bound_product_caches(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Cap oneDNN's and ideep's caches of compiled products, unless the user set them: both
    read their capacity when they first compile, so this must run before a model's first
    CPU pass. Returns the capacities in effect."""
    for name in PRODUCT_CACHES:
        environ.setdefault(name, str(PRODUCT_CACHE_CAPACITY))
    return {name: environ[name] for name in PRODUCT_CACHES}
