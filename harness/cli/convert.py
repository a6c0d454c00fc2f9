"""`harness convert-gguf`: a Hugging Face model folder -> a GGUF file for `--engine llamacpp`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.cli.common import say

Opt = typer.Option


def convert_command(
    model: Annotated[Path, typer.Argument(help="Hugging Face model folder (config.json, "
                                               "weights, tokenizer).")],
    out: Annotated[Path, Opt(help="The GGUF file to write.")],
    outtype: Annotated[str, Opt(help="f32 | f16 | bf16 | q8_0 (llama.cpp's converter), or a "
                                     "llama.cpp quantization type such as q4_k_m (an f32 "
                                     "conversion quantized by llama.cpp; needs the gguf "
                                     "extra).")] = "f16",
    pre_tokenizer: Annotated[str | None, Opt(
        help="The llama.cpp pre-tokenizer to record when the converter does not recognize the "
             "tokenizer (e.g. exaone4); check the result with a run (docs/gguf.md).")] = None,
) -> None:
    """Convert a model folder to GGUF with llama.cpp's convert_hf_to_gguf.py (fetched once
    from llama-cpp-python's source into the cache, or $HARNESS_LLAMACPP_SRC)."""
    from harness.gguf.convert import convert

    written = convert(model, out, outtype, pre_tokenizer, log=lambda m: say(m, err=True))
    say(f"wrote {written} ({written.stat().st_size / 2**20:.1f} MiB, {outtype.lower()})")
