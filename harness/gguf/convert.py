"""`harness convert-gguf`: a Hugging Face model folder -> one GGUF file for llama.cpp.

f32, f16, bf16 and q8_0 are written by llama.cpp's `convert_hf_to_gguf.py` (fetched once,
`source.py`; run in a child process with the pre-tokenizer hook of `driver.py`); the other
llama.cpp types (q4_k_m, q5_k_m, q6_k, q4_0 …) are an f32 conversion quantized by
llama.cpp's quantizer (`quantize.py`; needs llama-cpp-python). The file appears only when
complete (written beside `out`, then renamed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import harness
from harness.errors import HarnessError
from harness.gguf.driver import MARK
from harness.gguf.filetypes import CONVERTER_TYPES
from harness.gguf.source import converter_source

Log = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


def run_converter(folder: Path, out: Path, outtype: str, pre_tokenizer: str | None) -> None:
    source = converter_source()
    package_root = str(Path(harness.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)}
    command = [sys.executable, "-m", "harness.gguf.driver", str(source), pre_tokenizer or "-",
               str(folder), "--outfile", str(out), "--outtype", outtype]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise HarnessError(_failure(folder, done.stderr))


def _failure(folder: Path, stderr: str) -> str:
    if f"{MARK} unknown" in stderr:
        found = re.search(r"chkhsh:\s*([0-9a-f]{64})", stderr)
        digest = f" (hash {found.group(1)[:16]}…)" if found else ""
        return (f"{folder}: llama.cpp's converter does not know this tokenizer's "
                f"pre-tokenizer{digest}; name the one it splits text like with "
                "--pre-tokenizer NAME (e.g. exaone4 for an EXAONE 4 tokenizer) and check the "
                "tokens match (docs/gguf.md)")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    unsupported = [line for line in lines if "is not supported" in line]
    last = (unsupported or lines or ["no output"])[-1]
    return f"{folder}: llama.cpp's converter failed: {last[:300]}"


def check_paths(folder: Path, out: Path) -> None:
    if not folder.is_dir():
        raise HarnessError(f"{folder}: no such folder (expected a Hugging Face model folder)")
    if not (folder / "config.json").is_file():
        raise HarnessError(f"{folder}: no config.json; not a Hugging Face model folder")
    if out.is_dir():
        raise HarnessError(f"--out {out}: is a folder; give the GGUF file's path")
    if not out.parent.is_dir():
        raise HarnessError(f"--out {out}: no such folder {out.parent}")


def convert(folder: Path, out: Path, outtype: str = "f16", pre_tokenizer: str | None = None,
            log: Log = _quiet) -> Path:
    """Write `folder`'s model as a GGUF file of type `outtype` at `out`; returns `out`."""
    check_paths(folder, out)
    outtype = outtype.lower()
    partial = out.with_name(f".{out.name}.partial")
    staged = out.with_name(f".{out.name}.f32.partial")
    try:
        if outtype in CONVERTER_TYPES:
            log(f"converting {folder} to {outtype} with llama.cpp's converter")
            run_converter(folder, partial, outtype, pre_tokenizer)
        else:
            from harness.gguf.quantize import quantize, require_quantizer

            require_quantizer(outtype)  # before the conversion's minutes
            log(f"converting {folder} to f32, then quantizing to {outtype}")
            run_converter(folder, staged, "f32", pre_tokenizer)
            quantize(staged, partial, outtype)
        partial.replace(out)
    finally:
        for leftover in (partial, staged):
            leftover.unlink(missing_ok=True)
    return out
