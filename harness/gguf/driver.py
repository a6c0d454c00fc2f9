"""Runs llama.cpp's `convert_hf_to_gguf.py` in a child process, with one hook.

`python -m harness.gguf.driver SOURCE PRE_TOKENIZER [converter arguments…]`

The converter names a BPE tokenizer's pre-tokenizer by hashing the tokens of a fixed text
(`get_vocab_base_pre`) and refuses a hash it does not know. The hook only answers for that
case: when the converter raises "not recognized", the name given as PRE_TOKENIZER (`-`:
none) is used instead; a tokenizer the converter does recognize keeps its own name. The
vendored files are not edited. Whether the name fits is checked by tokenizing with the
converted file (`tests/gguf`: llama.cpp's tokens equal the HF tokenizer's on every prompt).
"""

from __future__ import annotations

import logging
import runpy
import sys
from pathlib import Path
from typing import Any

MARK = "harness-gguf: pre-tokenizer"


def install_hook(pre_tokenizer: str | None) -> None:
    from conversion.base import TextModel  # type: ignore[import-not-found]

    original = TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self: Any, tokenizer: Any) -> str:
        try:
            return str(original(self, tokenizer))
        except NotImplementedError:
            if pre_tokenizer is None:
                print(f"{MARK} unknown", file=sys.stderr)
                raise
            logging.getLogger(__name__).warning("%s %s (named by --pre-tokenizer)", MARK,
                                                pre_tokenizer)
            return pre_tokenizer

    TextModel.get_vocab_base_pre = get_vocab_base_pre


def main(argv: list[str]) -> None:
    source, pre, *rest = argv
    sys.path[:0] = [source, str(Path(source) / "gguf-py")]
    install_hook(None if pre == "-" else pre)
    script = str(Path(source) / "convert_hf_to_gguf.py")
    sys.argv = [script, *rest]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
