"""The llama.cpp engine's parts on the f32 GGUF of the memorizer: prefix reuse (and what
llama-cpp-python's `eval` does by itself), the GGUF file's own tokenizer and chat template
against the model folder's, sampling and the thinking budget against `--engine hf`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.engine.hf import HFEngine
from harness.engine.llamacpp import LlamaCppEngine, open_gguf
from harness.engine.loading import LoadOptions, load_model
from harness.engine.types import GenRequest
from harness.runs.requests import Decoding, PromptStyle, choice_requests, generation_requests
from harness.suite.items import build_items


@pytest.fixture(scope="module")
def engine(gguf_f32: Path) -> Any:
    opened = open_gguf(str(gguf_f32), device="cpu")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def hf(memorizer_model: Path) -> HFEngine:
    model, tok, info = load_model(str(memorizer_model), LoadOptions(device="cpu",
                                                                    dtype="float32"))
    return HFEngine(model, tok, info, batch_size=1)


def style(tokenizer: Any) -> PromptStyle:
    return PromptStyle.choose(tokenizer, chat=None, thinking=False, system_prompt=None)


def test_eval_alone_reuses_no_prefix(engine: LlamaCppEngine) -> None:
    """Measured: `Llama.eval` appends after what it holds; it never finds a shared prefix
    itself (only `Llama.generate` does), so the engine rewinds to the shared prefix."""
    llm = engine.llm
    tokens = engine.tokenizer("Question: who?", add_special_tokens=False)["input_ids"]
    llm.reset()
    llm.eval(tokens)
    llm.eval(tokens)
    assert llm.n_tokens == 2 * len(tokens)
    llm.reset()


@pytest.mark.parametrize("task", ["mc_open", "open_qa"])
def test_open_book_prefix_reuse_computes_fewer_tokens(gguf_f32: Path, suite, task: str
                                                      ) -> None:  # type: ignore[no-untyped-def]
    counts, outputs = {}, {}
    for reuse in (False, True):
        opened = open_gguf(str(gguf_f32), device="cpu", prefix_reuse=reuse)
        items = build_items(suite, suite.task(task), limit=6)
        if suite.task(task).regime == "qa":
            requests = [g[0] for g in generation_requests(
                opened.tokenizer, suite.task(task), items, style(opened.tokenizer), Decoding())]
            outputs[reuse] = [r.text for r in opened.generate(requests)]
        else:
            _, choices = choice_requests(opened.tokenizer, suite.task(task), items,
                                         style(opened.tokenizer))
            outputs[reuse] = [round(r.logprob, 3) for r in opened.loglikelihood(choices)]
        counts[reuse] = replace(opened.stats)
        opened.close()
    print(f"\n{task}: computed {counts[True].computed_tokens} tokens with prefix reuse, "
          f"{counts[False].computed_tokens} without (prompt tokens "
          f"{counts[True].prompt_tokens})")
    assert outputs[True] == outputs[False]
    assert counts[False].computed_tokens >= counts[False].prompt_tokens
    assert counts[True].computed_tokens < counts[False].computed_tokens / 2


def test_gguf_tokenizer_matches_the_model_folder_s(engine: LlamaCppEngine, hf: HFEngine,
                                                   suite) -> None:  # type: ignore[no-untyped-def]
    """The pre-tokenizer named at conversion (exaone4) splits text as the HF tokenizer does:
    the same ids for every prompt and choice of the seed suite, the same chat rendering."""
    ours, theirs = engine.tokenizer, hf.tokenizer
    texts: list[str] = []
    for task in suite.tasks:
        items = build_items(suite, task)
        if task.regime == "qa":
            texts += [g[0].prompt for g in generation_requests(theirs, task, items,
                                                               style(theirs), Decoding())]
        else:
            _, requests = choice_requests(theirs, task, items, style(theirs))
            texts += [r.context + r.continuation for r in requests]
    texts = list(dict.fromkeys(texts))
    assert ours(texts)["input_ids"] == theirs(texts, add_special_tokens=False)["input_ids"]
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "질문?"}]
    for thinking in (False, True):
        assert ours.apply_chat_template(messages, add_generation_prompt=True,
                                        enable_thinking=thinking) == theirs.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, enable_thinking=thinking)
    assert (ours.bos_token_id, ours.eos_token_id) == (theirs.bos_token_id, theirs.eos_token_id)
    print(f"\n{len(texts)} distinct texts tokenized identically")


def test_thinking_budget_matches_the_hf_engine(engine: LlamaCppEngine, hf: HFEngine,
                                               suite) -> None:  # type: ignore[no-untyped-def]
    task = suite.task("closed_qa")
    items = build_items(suite, task, limit=3)
    thinking = PromptStyle.choose(hf.tokenizer, chat=True, thinking=True, system_prompt=None)
    requests = [replace(g[0], max_thinking_tokens=3, max_new_tokens=12)
                for g in generation_requests(hf.tokenizer, task, items, thinking, Decoding())]
    assert all(r.thinking for r in requests)
    ours, theirs = engine.generate(requests), hf.generate(requests)
    print("\n" + "\n".join(repr(r) for r in ours))
    assert ours == theirs
    assert any(r.thinking_closed_by_budget for r in ours)


def test_sampling_is_seeded_per_request(engine: LlamaCppEngine) -> None:
    prompt = engine.tokenizer.apply_chat_template(
        [{"role": "user", "content": "Question: who?"}], add_generation_prompt=True)
    request = GenRequest(prompt, max_new_tokens=12, temperature=1.5, top_p=0.95, top_k=50)
    first = engine.generate([request, replace(request, seed=1)])
    again = engine.generate([replace(request, seed=1), request])
    assert [first[0], first[1]] == [again[1], again[0]]  # same seed, same text, any order
    greedy = engine.generate([replace(request, temperature=0.0)])[0]
    assert {first[0].text, first[1].text} != {greedy.text}  # the sampler did sample


def test_a_hf_tokenizer_folder_gives_the_same_numbers(engine: LlamaCppEngine, gguf_f32: Path,
                                                      memorizer_model: Path, suite
                                                      ) -> None:  # type: ignore[no-untyped-def]
    opened = open_gguf(str(gguf_f32), device="cpu", tokenizer=str(memorizer_model))
    try:
        assert opened.info.revision.startswith(engine.info.revision + "+tokenizer-")
        items = build_items(suite, suite.task("mc"), limit=4)
        _, requests = choice_requests(opened.tokenizer, suite.task("mc"), items,
                                      style(opened.tokenizer))
        assert opened.loglikelihood(requests) == engine.loglikelihood(requests)
    finally:
        opened.close()
