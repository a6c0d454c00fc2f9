"""Results name the CPU they ran on; a float32 run on an AMX CPU is told of bfloat16; a CPU
run keeps few compiled products."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine.hf.heap import _malloc_trim
from harness.engine.host import (
    PRODUCT_CACHE_CAPACITY,
    PRODUCT_CACHES,
    bfloat16_hint,
    bound_product_caches,
    cpu_model,
)
from harness.engine.loading import device_name


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="no /proc/cpuinfo (not Linux)")
def test_the_cpu_is_named_by_its_model_as_linux_reports_it() -> None:
    names = {line.split(":", 1)[1].strip() for line in
             Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
             if line.startswith("model name")}
    assert cpu_model() in names


def test_a_cpu_device_names_model_architecture_and_threads() -> None:
    name = device_name("cpu")
    assert name.startswith(f"cpu ({cpu_model()}, {platform.machine()}, ")
    assert name.endswith(" threads)")


AMX = frozenset({"avx512f", "amx_tile", "amx_bf16"})
BIG = 1_279_000_000  # the 1.2B


def test_a_float32_run_on_a_cpu_with_amx_is_told_of_bfloat16() -> None:
    hint = bfloat16_hint("auto", "cpu", "float32", BIG, AMX)
    assert hint is not None and "--dtype bfloat16" in hint


@pytest.mark.parametrize(("option", "device", "dtype", "parameters", "flags"), [
    ("float32", "cpu", "float32", BIG, AMX),  # asked for float32: the user chose
    ("auto", "cuda", "bfloat16", BIG, AMX),
    ("bfloat16", "cpu", "bfloat16", BIG, AMX),
    ("auto", "cpu", "float32", BIG, frozenset({"avx512f", "avx512_bf16"})),  # no AMX
    ("auto", "cpu", "float32", 800_000, AMX),  # a tiny model: overhead, whatever the dtype
])
def test_no_hint_where_the_user_chose_the_cpu_has_no_amx_or_the_model_is_tiny(
        option: str, device: str, dtype: str, parameters: int, flags: frozenset[str]) -> None:
    assert bfloat16_hint(option, device, dtype, parameters, flags) is None


def test_harness_run_prints_the_hint_once_as_a_note(
        random_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.engine.host as host
    from harness.runs.runner import RunOptions, run
    from tests.conftest import SEED_SUITE

    monkeypatch.setattr(host, "cpu_flags", lambda: AMX)
    monkeypatch.setattr(host, "HINT_MIN_PARAMETERS", 0)  # the reference model is tiny
    notes: list[str] = []
    run(RunOptions(model=str(random_model), suite=SEED_SUITE, tasks=("mc",), limit=2,
                   device="cpu", results_dir=tmp_path / "results", cache_dir=None),
        notice=notes.append)
    assert [n for n in notes if "--dtype bfloat16" in n] == [
        bfloat16_hint("auto", "cpu", "float32", BIG, AMX)]


def test_product_caches_are_capped_unless_the_user_set_them() -> None:
    env = {"LRU_CACHE_CAPACITY": "8"}
    assert bound_product_caches(env) == {"ONEDNN_PRIMITIVE_CACHE_CAPACITY": "64",
                                         "LRU_CACHE_CAPACITY": "8"}
    assert env["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == str(PRODUCT_CACHE_CAPACITY)


# loads a model the way a run does, then meets 300 shapes of one bfloat16 product (a run's
# passes each have their own token count): how much the process kept, in MB
GROWTH = """
import psutil, sys, torch
from harness.engine.hf.heap import release_freed
from harness.engine.loading import LoadOptions, load_model
load_model(sys.argv[1], LoadOptions(device="cpu", dtype="bfloat16"))
def rss():
    release_freed("cpu")
    return psutil.Process().memory_info().rss / 2**20
w = torch.randn(256, 256, dtype=torch.bfloat16)
torch.nn.functional.linear(torch.randn(300, 256, dtype=torch.bfloat16), w)
before = rss()
for rows in range(1, 301):
    torch.nn.functional.linear(torch.randn(rows, 256, dtype=torch.bfloat16), w)
print(rss() - before)
"""


def _growth(model: Path, **env: str) -> float:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCT_CACHES}
    out = subprocess.run([sys.executable, "-c", GROWTH, str(model)], env=clean | env,
                         capture_output=True, text=True, timeout=300, check=True)
    return float(out.stdout.split()[-1])


@pytest.mark.skipif(_malloc_trim() is None,
                    reason="the C library is not glibc: freed memory cannot be handed back")
def test_a_loaded_cpu_model_keeps_few_compiled_products(random_model: Path) -> None:
    uncapped = _growth(random_model, ONEDNN_PRIMITIVE_CACHE_CAPACITY="1024",
                       LRU_CACHE_CAPACITY="1024")  # the libraries' own defaults
    if uncapped < 60:
        pytest.skip(f"bfloat16 products on this CPU keep nothing per shape ({uncapped:.0f} MB "
                    "over 300 shapes): not oneDNN's compiled kernels")
    assert _growth(random_model) < uncapped / 2  # load_model capped them before they compiled
