"""The rules drafter on the four seed documents: every accepted fact verifies, and how much of
the hand-built seed suite the drafts recover (recall) and how many drafts match a hand-built
fact (a lower bound of the share a reviewer would keep). Both are computed and printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.build.cli_support import build_seed_like
from harness.build.evidence import find_answer, states_answer
from harness.scoring.judge import Verdict, judge
from harness.suite.loader import Suite, load_suite
from harness.suite.schema import Fact
from harness.suite.validate import validate_suite


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.find(quote)
    return start, start + len(quote)


def _matches(draft: Fact, seed: Fact, text: str) -> bool:
    """Same answer by the scorer, from overlapping evidence in the same document."""
    if draft.document != seed.document:
        return False
    a, b = _span(text, draft.evidence)
    c, d = _span(text, seed.evidence)
    if not (a < d and c < b):
        return False
    return judge(draft.answer, seed.answer, seed.aliases, seed.answer_type).verdict is \
        Verdict.CORRECT


@pytest.fixture(scope="module")
def built(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> Suite:
    out = tmp_path_factory.mktemp("seed-build") / "suite"
    build_seed_like(suite, out)
    return load_suite(out)


def test_every_accepted_fact_verifies(built: Suite) -> None:
    assert validate_suite(built) == []
    for fact in built.facts:
        text = built.documents[fact.document].text
        assert fact.evidence in text
        assert find_answer(fact.answer, fact.aliases, fact.answer_type, fact.evidence)
        assert not states_answer(fact.question, fact.answer, fact.aliases, fact.answer_type)
        assert fact.status == "draft" and fact.drafted_by == "rules"
        for distractor in fact.distractors:
            verdict = judge(distractor, fact.answer, fact.aliases, fact.answer_type).verdict
            assert verdict is Verdict.INCORRECT, (fact.id, distractor)


def test_recall_of_the_seed_suite_and_share_kept(suite: Suite, built: Suite) -> None:
    recovered = [s for s in suite.facts
                 if any(_matches(d, s, suite.documents[s.document].text) for d in built.facts)]
    kept = [d for d in built.facts
            if any(_matches(d, s, suite.documents[s.document].text) for s in suite.facts)]
    recall = len(recovered) / len(suite.facts)
    keep = len(kept) / len(built.facts)
    print(f"\nrules drafter on the seed documents: {len(built.facts)} accepted drafts; recall of "
          f"the {len(suite.facts)} hand-built facts {len(recovered)}/{len(suite.facts)} = "
          f"{recall:.1%}; drafts matching a hand-built fact {len(kept)}/{len(built.facts)} = "
          f"{keep:.1%}")
    report = Path(built.root) / "seed_recall.json"
    report.write_text(json.dumps({"recall": recall, "keep_lower_bound": keep}), encoding="utf-8")
    assert recall >= 0.15 and keep >= 0.3
