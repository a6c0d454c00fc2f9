"""Our log-likelihoods against lm-eval's HFLM (a subset of scripts/crosscheck_lmeval.py), and
the tokenization rules at the context/continuation boundary, where they agree and differ."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.engine.hf import HFEngine
from tests.conftest import ROOT, SEED_SUITE


def _script() -> ModuleType:
    path = ROOT / "scripts" / "crosscheck_lmeval.py"
    spec = importlib.util.spec_from_file_location("crosscheck_lmeval", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_crosscheck_subset(random_model: Path) -> None:
    script = _script()
    report = script.crosscheck(random_model, SEED_SUITE, tasks=("mc", "tf", "mc_ko", "tf_ko"),
                               limit=4)
    assert report.failures(1e-4) == []
    assert [c.items for c in report.checks] == [4, 4, 4, 4]
    assert [c.requests for c in report.checks] == [16, 8, 16, 8]
    assert report.max_delta <= 1e-4 and report.batch_delta <= 1e-4


def test_crosscheck_script_exit_code(random_model: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    script = _script()
    assert script.main(["--model", str(random_model), "--task", "mc_open", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "max |delta loglik|" in out and "crosscheck: ok" in out
    # an impossible tolerance fails (exit 1) and says why
    assert script.main(["--model", str(random_model), "--task", "tf", "--limit", "2",
                        "--tolerance", "-1"]) == 1
    assert "FAIL tf: max |delta loglik|" in capsys.readouterr().out


def _engine(loaded: tuple[Any, Any, Any], tokenizer: Any | None = None) -> HFEngine:
    model, tok, info = loaded
    return HFEngine(model, tokenizer or tok, info)


@pytest.mark.parametrize(("context", "continuation"), [
    ("Question: who?\nAnswer:", " Ahn Se-ryeong"),
    ("Question: who?\nAnswer: ", "Ahn Se-ryeong"),  # the trailing space moves to the choice
    ("답:", " 아니오"),
    ("[|assistant|]\n<think>\n\n</think>\n\n", "yes"),  # chat: "\n\n" is scored with the choice
])
def test_encode_pair_is_lm_evals(loaded: tuple[Any, Any, Any], hflm: Any, context: str,
                                 continuation: str) -> None:
    ours = _engine(loaded).encode_pair(context, continuation)
    assert ours == tuple(hflm._encode_pair(context, continuation))
    if context != context.rstrip():
        whitespace = context[len(context.rstrip()):]
        assert loaded[1].decode(ours[1]).startswith(whitespace)


def test_our_tokenizer_adds_no_special_tokens(loaded: tuple[Any, Any, Any]) -> None:
    """lm-eval encodes with the tokenizer's default special tokens, we never add any: the same
    ids for the reference (and EXAONE) tokenizers, which add none."""
    tokenizer = loaded[1]
    text = "Question: who?\nAnswer: yes"
    assert tokenizer(text)["input_ids"] == tokenizer(text, add_special_tokens=False)["input_ids"]


def test_bos_adding_tokenizer_is_the_deliberate_difference(loaded: tuple[Any, Any, Any],
                                                           random_model: Path) -> None:
    """With a tokenizer whose post-processor adds BOS (Llama-style), lm-eval's context starts
    with BOS and ours does not: the continuation tokens are the same, their log-likelihoods
    are conditioned on one token less with our engine."""
    from lm_eval.models.huggingface import HFLM
    from tokenizers import processors
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(random_model)
    bos = tokenizer.bos_token
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, tokenizer.bos_token_id)])
    assert tokenizer("x")["input_ids"][0] == tokenizer.bos_token_id
    lm = HFLM(pretrained=loaded[0], tokenizer=tokenizer, batch_size=1)
    context, continuation = "Question: who?\nAnswer:", " Ahn Se-ryeong"
    ours = _engine(loaded, tokenizer).encode_pair(context, continuation)
    theirs = lm._encode_pair(context, continuation)
    assert theirs[0] == [tokenizer.bos_token_id, *ours[0]]
    assert theirs[1] == ours[1]


def test_empty_context_uses_the_prefix_token(loaded: tuple[Any, Any, Any], hflm: Any) -> None:
    """An empty context is conditioned on BOS by both engines (when the continuation does not
    itself start with it)."""
    from lm_eval.api.instance import Instance

    engine = _engine(loaded)
    ours = engine.encode_pair("", "Seoul")
    assert ours[0] == [loaded[1].bos_token_id] == [hflm.prefix_token_id]
    [(theirs, _)] = hflm.loglikelihood([Instance("loglikelihood", {}, ("", "Seoul"), 0)],
                                       disable_tqdm=True)
    from harness.engine.types import LoglikRequest

    [mine] = engine.loglikelihood([LoglikRequest("", "Seoul")])
    assert abs(mine.logprob - theirs) <= 1e-4
