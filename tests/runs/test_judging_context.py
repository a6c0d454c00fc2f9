"""`harness run` judges generations with the fact's context: romanized names match the
Hangul answer, and distractors and the document's other answers are never short forms."""

from __future__ import annotations

from harness.engine.types import GenResult
from harness.runs.judging import judge_generations
from harness.scoring import judge
from harness.suite.items import build_items
from harness.suite.loader import Suite


def test_a_romanized_name_is_correct_in_a_run(suite: Suite) -> None:
    task = suite.task("closed_qa")
    item = next(i for i in build_items(suite, task) if i.fact_id == "chung-002")
    assert item.answer == "Lee Jae Myung" and item.answer_ko == "이재명"
    assert {"Yoon Suk Yeol", "Moon Jae-in", "Roh Moo-hyun"} <= set(item.excluded)
    assert "Lee Jae Myung" not in item.excluded
    assert "unification minister" in item.excluded  # another answer of the same document
    outputs = [[GenResult("Yi Jae-myeong", 10, 4, "stop")], [GenResult("Yun Seok-yeol", 10, 4,
                                                                       "stop")]]
    samples, _, _ = judge_generations(task, [item, item], [item.prompt] * 2, outputs)
    assert (samples[0].verdict, samples[0].rule) == ("correct", "person:romanization")
    assert samples[1].verdict == "incorrect"  # a distractor, romanized otherwise
    # without the fact's context the scorer cannot know the name: the wiring is what counts
    assert judge("Yi Jae-myeong", item.answer, item.aliases, item.answer_type).verdict.value \
        == "incorrect"
