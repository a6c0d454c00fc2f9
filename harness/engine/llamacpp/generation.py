"""Generation on llama.cpp: each prompt after the longest prefix the held sequence shares
with it (`state.py`), then one token at a time. Tokens are chosen greedily (the argmax of
the logits, as `--engine hf`) or by llama.cpp's sampler chain (temperature, top-k, top-p,
a seeded draw) applied to those logits; stop strings, the thinking budget and the answer's
cut are our engine's (`engine/hf/decode.py: RowDecoder`)."""

from __future__ import annotations

import ctypes
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.engine.hf.decode import RowDecoder
from harness.engine.hf.tokens import Tokens
from harness.engine.interface import GenSink, Progress
from harness.engine.llamacpp.state import HeldSequence, order
from harness.engine.types import GenRequest, GenResult
from harness.engine.window import fit_prompt

TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])


def request_seed(req: GenRequest) -> int:
    """The request's seed and prompt: the same sample whatever else runs."""
    digest = hashlib.sha256(f"{req.seed}\0{req.prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class Sampler:
    """llama.cpp's sampler chain for one request (temperature, top-k, top-p, seeded draw),
    applied to a row of logits; freed by `close`."""

    def __init__(self, req: GenRequest) -> None:
        import llama_cpp

        self.lib = llama_cpp
        self.chain = llama_cpp.llama_sampler_chain_init(
            llama_cpp.llama_sampler_chain_default_params())
        # temperature first, then top-k and top-p on the tempered distribution (as
        # transformers, vLLM and `--engine hf` apply them), then a seeded draw
        links = [llama_cpp.llama_sampler_init_temp(req.temperature)]
        if req.top_k > 0:
            links.append(llama_cpp.llama_sampler_init_top_k(req.top_k))
        if req.top_p < 1.0:
            links.append(llama_cpp.llama_sampler_init_top_p(req.top_p, 1))
        links.append(llama_cpp.llama_sampler_init_dist(request_seed(req)))
        for link in links:
            llama_cpp.llama_sampler_chain_add(self.chain, link)

    def sample(self, logits: np.ndarray) -> int:
        lib = self.lib
        size = len(logits)
        data = np.zeros(size, dtype=TOKEN_DATA)  # llama_token_data: id, logit, p
        data["id"] = np.arange(size, dtype=np.int32)
        data["logit"] = logits
        pointer = ctypes.cast(data.ctypes.data, lib.llama_token_data_p)
        array = lib.llama_token_data_array(data=pointer, size=size, selected=-1, sorted=False)
        lib.llama_sampler_apply(self.chain, ctypes.byref(array))
        token = int(array.data[array.selected].id)
        lib.llama_sampler_accept(self.chain, token)
        return token

    def close(self) -> None:
        self.lib.llama_sampler_free(self.chain)


class Generator:
    def __init__(self, held: HeldSequence, tokens: Tokens, max_length: int,
                 truncate: str | None) -> None:
        self.held = held
        self.tokens = tokens
        self.max_length = max_length
        self.truncate = truncate

    def run(self, requests: Sequence[GenRequest], progress: Progress | None,
            sink: GenSink | None) -> list[GenResult]:
        encoded = self.tokens.encode_many([r.prompt for r in requests])
        prompts = [fit_prompt(ids, r.max_new_tokens, self.max_length, self.truncate)
                   for ids, r in zip(encoded, requests, strict=True)]
        self.held.stats.prompt_tokens += sum(len(p) for p in prompts)
        results: dict[int, GenResult] = {}
        for i in order(prompts) if self.held.reuse else range(len(prompts)):
            decoder = self.decode(prompts[i], requests[i])
            results[i] = decoder.result(len(prompts[i]))
            self.held.stats.generated_tokens += len(decoder.ids)
            if sink:
                sink(i, results[i])
            if progress:
                progress(1)
        return [results[i] for i in range(len(requests))]

    def decode(self, prompt: list[int], req: GenRequest) -> RowDecoder:
        held = self.held
        decoder = RowDecoder(req, self.tokens.tokenizer, self.tokens.eos_ids)
        sampler = Sampler(req) if req.temperature > 0 else None
        try:
            held.hold(prompt)
            logits = held.last_logits()
            while True:
                decoder.push(self.choose(decoder, logits, sampler))
                if decoder.finish:
                    return decoder
                held.eval([decoder.ids[-1]])
                logits = held.last_logits()
        finally:
            if sampler is not None:
                sampler.close()

    @staticmethod
    def choose(decoder: RowDecoder, logits: np.ndarray, sampler: Any) -> int:
        if decoder.forced:
            return decoder.forced.pop(0)
        if sampler is None:
            return int(logits.argmax())
        return int(sampler.sample(logits))
