"""Seeded sampling and thinking budgets on the reference models."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.engine.hf import HFEngine
from harness.engine.loading import LoadOptions, load_model
from harness.engine.types import GenRequest
from harness.prompts.chat import format_prompt


@pytest.fixture(scope="module")
def loaded(random_model: Path):  # type: ignore[no-untyped-def]
    return load_model(str(random_model), LoadOptions(device="cpu", dtype="float32"))


def _prompts(tokenizer, thinking: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    questions = ["Who is Ahn Se-ryeong?", "What is Exaone?", "When is the deadline?"]
    return [format_prompt(tokenizer, q, thinking=thinking) for q in questions]


def test_seeded_sampling_is_reproducible(loaded) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    requests = [GenRequest(p, 12, temperature=1.0, top_p=0.95, top_k=50, seed=3)
                for p in _prompts(tok)]
    first = HFEngine(model, tok, info, batch_size=3).generate(requests)
    again = HFEngine(model, tok, info, batch_size=1).generate(list(reversed(requests)))
    assert [r.text for r in first] == [r.text for r in reversed(again)]
    other = HFEngine(model, tok, info).generate(
        [GenRequest(r.prompt, 12, temperature=1.0, top_p=0.95, top_k=50, seed=4)
         for r in requests])
    assert [r.text for r in other] != [r.text for r in first]


def test_thinking_budget_closes_and_answers(loaded) -> None:  # type: ignore[no-untyped-def]
    model, tok, info = loaded
    requests = [GenRequest(p, 64, stop=("\n",), thinking=True, max_thinking_tokens=6,
                           max_answer_tokens=4) for p in _prompts(tok, thinking=True)]
    assert requests[0].prompt.endswith("<think>\n")
    for result in HFEngine(model, tok, info).generate(requests):
        assert result.thinking_closed_by_budget
        assert "</think>" in result.text
        assert result.thinking_tokens >= 6
        assert 0 < result.answer_tokens <= 4
        assert result.generated_tokens == result.thinking_tokens + result.answer_tokens
