"""The compiled few-row kernel: built once and cached, the same product as F.linear for any
row count and shape, and absent (with the reason) where it cannot be built."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from harness.engine import kernels, native

needs_compiler = pytest.mark.skipif(native.compiler() is None, reason="no C++ compiler here")


@pytest.fixture(scope="module")
def few_rows() -> native.Product:
    product = native.few_rows_linear()
    assert product is not None, native.build_error()
    return product


@needs_compiler
@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5, 8, 13, 64])
@pytest.mark.parametrize(("out", "inner"), [(4, 16), (1027, 770), (3, 5), (96, 512), (5, 1040)])
def test_equals_f_linear(few_rows: native.Product, rows: int, out: int, inner: int) -> None:
    """Whole tiles and the rows past the last one, k-blocks and the tail past 16 lanes."""
    torch.manual_seed(rows * 1000 + out)
    x, weight = torch.randn(rows, inner), torch.randn(out, inner)
    got = few_rows(x, weight)
    assert got.shape == (rows, out) and got.is_contiguous()
    torch.testing.assert_close(got, F.linear(x, weight), rtol=1e-5, atol=1e-4)


@needs_compiler
def test_strided_inputs_and_zero_rows(few_rows: native.Product) -> None:
    x, weight = torch.randn(64, 8).t(), torch.randn(32, 128)[:, ::2]
    torch.testing.assert_close(few_rows(x, weight), F.linear(x, weight), rtol=1e-5, atol=1e-5)
    assert few_rows(torch.randn(0, 32), torch.randn(7, 32)).shape == (0, 7)


@needs_compiler
def test_other_dtypes_are_refused(few_rows: native.Product) -> None:
    with pytest.raises(RuntimeError, match="float32"):
        few_rows(torch.randn(2, 16, dtype=torch.float64), torch.randn(4, 16, dtype=torch.float64))


@needs_compiler
def test_is_a_candidate_of_the_chooser(few_rows: native.Product) -> None:
    assert kernels.default_products()["few-rows"] is few_rows


@needs_compiler
def test_built_once_then_loaded_from_the_cache(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    cxx = native.compiler()
    assert cxx is not None
    built = native.build(cxx, tmp_path)
    assert built.parent == tmp_path and built.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [built.name]  # no scratch left behind

    def no_compiling(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("compiled again")
    monkeypatch.setattr(subprocess, "run", no_compiling)
    assert native.build(cxx, tmp_path) == built


def test_key_changes_with_the_compiler() -> None:
    assert native.build_key("/usr/bin/g++") != native.build_key("/usr/bin/clang++")


def test_unbuildable_kernel_is_left_out_with_its_reason(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setattr(native, "_loaded", {})
    monkeypatch.setattr(native, "_errors", [])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    failing = tmp_path / "failing-cxx"  # a "compiler" that reports an error and fails
    failing.write_text("#!/bin/sh\necho 'In file included from x.h:1:' >&2\n"
                       "echo 'few_rows.cpp:9:1: error: boom' >&2\n"
                       "echo 'compilation terminated.' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("CXX", str(failing))
    assert native.few_rows_linear() is None
    assert native.build_error() == f"{failing} failed (1): few_rows.cpp:9:1: error: boom"
    assert "few-rows" not in kernels.default_products()
    assert not list((tmp_path / "fact-harness" / "kernels").glob("*.so"))


def test_no_compiler_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_loaded", {})
    monkeypatch.setattr(native, "_errors", [])
    monkeypatch.setenv("CXX", "no-such-compiler")
    assert native.few_rows_linear() is None
    assert "no C++ compiler" in (native.build_error() or "")


def test_cxx_may_carry_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    """`CXX="ccache g++"`: the command's first word is looked up, the rest kept."""
    sh = shutil.which("sh")
    assert sh is not None
    monkeypatch.setenv("CXX", "sh --posix")
    assert native.compiler() == f"{sh} --posix"
    assert native._command(f"{sh} --posix", Path("out.so"))[:3] == [sh, "--posix", "-O3"]


def test_the_cpu_part_of_the_key_names_arm_cores_too() -> None:
    """aarch64's /proc/cpuinfo has no "model name" or "flags": its core and features name it
    (else two ARM CPUs would share a build made with -march=native for one of them)."""
    v2 = ("processor\t: 0\nFeatures\t: fp asimd sve sve2\nCPU implementer\t: 0x41\n"
          "CPU part\t: 0xd4f\n")
    n1 = "processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n"
    assert native.cpu_identity(v2) != native.cpu_identity(n1)
    assert "sve2" in native.cpu_identity(v2 * 2) and native.cpu_identity(v2 * 2).count("sve2") == 1


def test_the_linker_s_cause_is_reported_not_collect2_s_summary() -> None:
    stderr = ("/usr/bin/ld: cannot find -ltorch_cpu: No such file or directory\n"
              "collect2: error: ld returned 1 exit status\n")
    assert native._first_error(stderr).startswith("/usr/bin/ld: cannot find -ltorch_cpu")
    assert native._first_error("") == "no output"


def test_a_cached_library_that_does_not_load_is_built_again(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    library = tmp_path / "few_rows-key.so"
    library.write_bytes(b"cut short")  # a crash left it half-written
    builds: list[bool] = []
    loads: list[bytes] = []

    def build(cxx: str, folder: Path) -> Path:
        builds.append(library.exists())
        if not library.exists():
            library.write_bytes(b"whole")
        return library

    def load_library(path: str) -> None:
        loads.append(Path(path).read_bytes())
        if loads[-1] != b"whole":
            raise OSError("invalid ELF header")
    monkeypatch.setattr(native, "build", build)
    monkeypatch.setattr(torch.ops, "load_library", load_library)
    native.load("g++", tmp_path)
    assert builds == [True, False] and loads == [b"cut short", b"whole"]
