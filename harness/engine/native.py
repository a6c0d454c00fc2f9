"""The compiled kernels, built for this CPU and loaded as torch ops: the few-row product
(`few_rows.cpp`), the int8 head screen (`head_screen.cpp`) and RMSNorm in one op
(`rms_norm.cpp`), one library.

Built once per machine (g++ -O3 -march=native, ~15 s) into the user's cache folder, keyed by
the source, torch's version, the compiler and the CPU, and reused after. Nothing here is
required: where no C++ compiler is found or the build fails, `few_rows_linear()` returns
None (the reason in `build_error()`) and the engine keeps the library products.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

from harness.paths import cache_root

SOURCES = tuple(Path(__file__).with_name(name)
                for name in ("few_rows.cpp", "head_screen.cpp", "rms_norm.cpp"))
BUILD_TIMEOUT_S = 600  # a compiler that hangs must not hold the engine's start for ever
FLAGS = ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-std=c++17", "-w")
Product = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

_loaded: dict[str, Product | None] = {}
_errors: list[str] = []


def kernels_dir() -> Path:
    return cache_root() / "kernels"


def compiler() -> str | None:
    """`$CXX` (a command, possibly with arguments: `ccache g++`), else g++ or c++ on PATH.
    The source uses GCC's vector extensions: clang fails to build it (then no kernel)."""
    named = shlex.split(os.environ.get("CXX", ""))
    if named:
        found = shutil.which(named[0])
        return shlex.join([found, *named[1:]]) if found else None
    return shutil.which("g++") or shutil.which("c++")


def _cpu_identity() -> str:
    """The CPU's model and feature flags (what -march=native compiles for)."""
    try:
        return cpu_identity(Path("/proc/cpuinfo").read_text())
    except OSError:
        return platform.processor() or platform.machine()


def cpu_identity(info: str) -> str:
    """The lines of a /proc/cpuinfo text that name the CPU and its features, once each."""
    wanted = ("model name", "flags",  # x86; ARM names its core and features instead
              "Features", "CPU implementer", "CPU architecture", "CPU variant", "CPU part")
    lines = [line for line in info.splitlines() if line.split(":")[0].strip() in wanted]
    return "\n".join(dict.fromkeys(lines))


def build_key(cxx: str) -> str:
    return _digest(machine_key(), cxx, " ".join(FLAGS))


def machine_key() -> str:
    """This CPU, torch's version and the kernels' sources: what choices made by timing
    (`choices.py`) hold for."""
    return _digest(*(source.read_bytes().decode() for source in SOURCES), torch.__version__,
                   _cpu_identity())


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _command(cxx: str, out: Path) -> list[str]:
    from torch.utils.cpp_extension import include_paths, library_paths

    libs = library_paths()
    abi = int(torch.compiled_with_cxx11_abi())
    return [*shlex.split(cxx), *FLAGS, f"-D_GLIBCXX_USE_CXX11_ABI={abi}",
            *(f"-I{p}" for p in include_paths()), *map(str, SOURCES), "-o", str(out),
            *(f"-L{p}" for p in libs), *(f"-Wl,-rpath,{p}" for p in libs),
            "-lc10", "-ltorch_cpu", "-ltorch"]


def build(cxx: str, folder: Path) -> Path:
    """The compiled library for this source, torch and CPU: from the cache, else built now
    (into a temporary name first, so concurrent builds never load a half-written file)."""
    target = folder / f"few_rows-{build_key(cxx)}.so"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger(__name__).warning(
        "building the few-row kernel for this CPU (once, ~15 s): %s", target)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        partial = Path(scratch) / target.name
        done = subprocess.run(_command(cxx, partial), capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"{cxx} failed ({done.returncode}): {_first_error(done.stderr)}")
        os.replace(partial, target)
    return target


def _first_error(stderr: str) -> str:
    """The line of a failed build that names its cause: the compiler's or the linker's first
    error (not collect2's summary of the linker's), else the last line."""
    lines = stderr.strip().splitlines() or ["no output"]
    causes = [line for line in lines if not line.startswith("collect2")
              and ("error" in line or "cannot find" in line or "undefined reference" in line)]
    return causes[0] if causes else lines[-1]


def load(cxx: str, folder: Path) -> None:
    """Build (or find) the library in `folder` and load it; a cached file that does not load
    (cut short by a crash, say) is deleted and built again, once."""
    path = build(cxx, folder)
    try:
        torch.ops.load_library(str(path))  # type: ignore[no-untyped-call]
    except OSError:
        path.unlink(missing_ok=True)
        torch.ops.load_library(str(build(cxx, folder)))  # type: ignore[no-untyped-call]


def few_rows_linear() -> Product | None:
    """`x·wᵀ` (x: rows × in, w: out × in, float32, CPU) by the compiled kernel; None where it
    cannot be built. Built and loaded at most once per process."""
    if "product" in _loaded:
        return _loaded["product"]
    product: Product | None = None
    cxx = compiler()
    if cxx is None:
        _errors.append("no C++ compiler (g++, c++ or $CXX) on PATH")
    elif not torch.backends.openmp.is_available():  # type: ignore[no-untyped-call]
        _errors.append("torch was built without OpenMP")
    else:
        try:
            load(cxx, kernels_dir())
            product = torch.ops.fact_harness.few_rows_linear
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            _errors.append(str(error))
    _loaded["product"] = product
    return product


def build_error() -> str | None:
    """Why the kernel is not available (after `few_rows_linear()` returned None)."""
    return _errors[-1] if _errors else None
