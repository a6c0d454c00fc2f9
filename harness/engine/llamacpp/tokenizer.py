"""A tokenizer built from a GGUF file's own metadata, with the calls the harness makes of a
Hugging Face tokenizer: text -> ids by llama.cpp's tokenizer (the vocabulary, merges and
pre-tokenizer the file records), ids -> text, the special tokens, and the chat template the
file records (`tokenizer.chat_template`), rendered as transformers renders it (its sandboxed
Jinja environment, the special tokens as variables).

`--tokenizer FOLDER` replaces it with a Hugging Face tokenizer (`engine.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class GGUFTokenizer:
    """The GGUF file's tokenizer, through a loaded `llama_cpp.Llama`."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        meta: dict[str, str] = dict(llm.metadata)
        self.chat_template: str | None = meta.get("tokenizer.chat_template") or None
        self.bos_token_id = _token(meta, "bos", llm.token_bos())
        self.eos_token_id = _token(meta, "eos", llm.token_eos())
        self.pad_token_id = _token(meta, "padding", None)
        self.unk_token_id = _token(meta, "unknown", None)
        self.vocab_size = int(llm.n_vocab())

    def piece(self, token: int | None) -> str | None:
        if token is None or token < 0:
            return None
        return self.decode([token])

    @property
    def special_tokens_map(self) -> dict[str, str]:
        named = {"bos_token": self.bos_token_id, "eos_token": self.eos_token_id,
                 "pad_token": self.pad_token_id, "unk_token": self.unk_token_id}
        return {name: text for name, token in named.items()
                if (text := self.piece(token)) is not None}

    @property
    def bos_token(self) -> str | None:
        return self.piece(self.bos_token_id)

    @property
    def eos_token(self) -> str | None:
        return self.piece(self.eos_token_id)

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        """Ids of `text`; special tokens written in it are parsed (as HF parses added
        tokens); a BOS only with `add_special_tokens` where the file asks for one."""
        if not text:
            return []
        add_bos = add_special_tokens and self.llm.metadata.get(
            "tokenizer.ggml.add_bos_token", "false") == "true"
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def __call__(self, text: str | Sequence[str], add_special_tokens: bool = False,
                 **_: Any) -> dict[str, Any]:
        if isinstance(text, str):
            return {"input_ids": self.encode(text, add_special_tokens)}
        return {"input_ids": [self.encode(t, add_special_tokens) for t in text]}

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False, **_: Any) -> str:
        """Text of `ids`; bytes of an incomplete UTF-8 character read as U+FFFD, as in HF's
        byte-level decoder."""
        if not ids:
            return ""
        data = self.llm.detokenize([int(t) for t in ids], special=not skip_special_tokens)
        return bytes(data).decode("utf-8", errors="replace")

    def apply_chat_template(self, messages: list[dict[str, str]], tokenize: bool = False,
                            add_generation_prompt: bool = False, **kwargs: Any) -> Any:
        from transformers.utils.chat_template_utils import render_jinja_template

        if not self.chat_template:
            raise ValueError("this GGUF file records no chat template")
        rendered: Any = render_jinja_template(  # (texts, generation indices)
            conversations=[messages], chat_template=self.chat_template,
            add_generation_prompt=add_generation_prompt,
            **{**self.special_tokens_map, **kwargs})
        text = str(rendered[0][0])
        return self.encode(text) if tokenize else text


def _token(meta: dict[str, str], name: str, default: int | None) -> int | None:
    value = meta.get(f"tokenizer.ggml.{name}_token_id")
    if value is None:
        return default
    return int(value)
