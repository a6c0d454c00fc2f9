"""`--engine llamacpp`: a GGUF file run in this process by llama-cpp-python (implements
`Engine`). Log-likelihoods from `eval` + the logits of every position (`loglik.py`);
generation greedy or with llama.cpp's sampler (`generation.py`); one held sequence whose
shared prefix with the next request is kept (`state.py`), so a document's tokens are
computed once for all its questions and choices.

The tokenizer is the GGUF file's own (`tokenizer.py`), or the Hugging Face tokenizer of
`--tokenizer FOLDER`; either way requests are tokenized by lm-eval's pair rules and the ids
fed to llama.cpp, so the tokens are the ones the chosen tokenizer makes."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.engine.hf.tokens import Tokens
from harness.engine.interface import GenSink, LoglikSink, Progress
from harness.engine.llamacpp.generation import Generator
from harness.engine.llamacpp.loglik import LoglikScorer
from harness.engine.llamacpp.model import (
    context_of,
    default_threads,
    fingerprint,
    gguf_path,
    model_info,
    open_llama,
    placement,
    require_llama_cpp,
)
from harness.engine.llamacpp.state import HeldSequence
from harness.engine.llamacpp.tokenizer import GGUFTokenizer
from harness.engine.types import (
    EngineStats,
    GenRequest,
    GenResult,
    LoglikRequest,
    LoglikResult,
    ModelInfo,
)
from harness.errors import HarnessError


def hf_tokenizer(folder: str) -> tuple[Any, str]:
    """(tokenizer, fingerprint) of a Hugging Face tokenizer folder."""
    from transformers import AutoTokenizer

    path = Path(folder).expanduser()
    if not path.is_dir():
        raise HarnessError(f"--tokenizer {folder}: no such folder (expected a Hugging Face "
                           "tokenizer folder)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, TypeError) as err:
        raise HarnessError(f"--tokenizer {folder}: no usable tokenizer ({type(err).__name__}: "
                           f"{str(err).splitlines()[0][:160]})") from None
    digest = hashlib.sha256()
    for file in sorted(p for p in path.iterdir() if p.is_file() and "token" in p.name):
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return tokenizer, digest.hexdigest()[:16]


class LlamaCppEngine:
    name = "llamacpp"
    choice_refusal: str | None = None

    def __init__(self, llm: Any, tokenizer: Any, info: ModelInfo, *, prefix_reuse: bool = True,
                 truncate: str | None = None, tokenizer_source: str = "gguf",
                 threads: int = 1, kv_cache: str = "f16") -> None:
        self.llm = llm
        self.tokenizer = tokenizer
        self.info = info
        self.truncate = truncate
        self.tokenizer_source = tokenizer_source
        self.threads = threads
        self.kv_cache = kv_cache
        self.extra_buffers = True  # llama.cpp's extra CPU buffer types (cpu.py)
        self.tokens = Tokens(tokenizer, None)
        self.tokens.eos_ids |= eog_tokens(llm) - {tokenizer.pad_token_id}
        self.held = HeldSequence(llm, EngineStats(), reuse=prefix_reuse)
        max_length = context_of(llm)
        self.scorer = LoglikScorer(self.held, self.tokens, max_length, truncate)
        self.generator = Generator(self.held, self.tokens, max_length, truncate)

    @property
    def stats(self) -> EngineStats:
        return self.held.stats

    def loglikelihood(self, requests: Sequence[LoglikRequest], progress: Progress | None = None,
                      sink: LoglikSink | None = None) -> list[LoglikResult]:
        return self.scorer.run(requests, progress, sink)

    def generate(self, requests: Sequence[GenRequest], progress: Progress | None = None,
                 sink: GenSink | None = None) -> list[GenResult]:
        return self.generator.run(requests, progress, sink)

    def describe(self) -> dict[str, Any]:
        import llama_cpp

        return {"llama_cpp_python": llama_cpp.__version__, "n_ctx": self.info.context_length,
                "threads": self.threads, "kv_cache": self.kv_cache,
                "extra_buffers": self.extra_buffers, "prefix_reuse": self.held.reuse,
                "tokenizer": self.tokenizer_source, "quantization": self.info.quantization,
                "truncate": self.truncate}

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()
        self.llm = None
        self.held.llm = None
        gc.collect()


def eog_tokens(llm: Any) -> set[int]:
    """Every token llama.cpp treats as an end of generation (EOS, end of turn…; the padding
    token aside, which llama.cpp can take for a fill-in-the-middle one)."""
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    return {t for t in range(int(llm.n_vocab())) if llama_cpp.llama_vocab_is_eog(vocab, t)}


def open_gguf(model: str, *, tokenizer: str | None = None, device: str = "auto",
              prefix_reuse: bool = True, truncate: str | None = None) -> LlamaCppEngine:
    """The engine over the GGUF file `model` (one line when it cannot be opened)."""
    require_llama_cpp()
    path = gguf_path(model)
    where = placement(device)
    threads = default_threads()
    hf = hf_tokenizer(tokenizer) if tokenizer else None
    llm, kv_cache, extra_buffers = open_llama(path, where, threads)
    tok: Any = hf[0] if hf else GGUFTokenizer(llm)
    template = getattr(tok, "chat_template", None)
    revision = fingerprint(path) + (f"+tokenizer-{hf[1]}" if hf else "")
    info = model_info(model, path, llm, where, threads, revision,
                      hashlib.sha256(template.encode()).hexdigest()[:16] if template else None)
    engine = LlamaCppEngine(llm, tok, info, prefix_reuse=prefix_reuse, truncate=truncate,
                          tokenizer_source=str(Path(tokenizer).resolve()) if tokenizer
                          else "gguf", threads=threads, kv_cache=kv_cache)
    engine.extra_buffers = extra_buffers
    return engine
