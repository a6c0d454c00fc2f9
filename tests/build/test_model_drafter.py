"""The model drafter end to end offline: the tiny drafter (trained on a few seed paragraphs)
writes JSON facts (repaired with json-repair when broken); they are parsed, verified and
written; on a paragraph it never saw, its junk is rejected with reasons and the build still ends."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.build.model_drafter import ModelDrafter, parse_drafts
from harness.build.source import SourceDoc
from harness.cli.build import register
from harness.refmodels.drafter import DRAFTER_NAME, build_drafter_model
from harness.suite.loader import Suite, load_suite
from harness.suite.validate import validate_suite
from tests.conftest import ROOT, cli_app

DATA = Path(__file__).parent / "data"
DOC = SourceDoc(id="d", source="d.txt", extractor="text", text="x", title="T", outlet="",
                author="", published=dt.date(2025, 1, 1), date_evidence="",
                date_certainty="stated", language="en")


def test_garbage_output_is_a_rejection_not_a_crash() -> None:
    out = list(parse_drafts("I cannot help with that.", DOC, "model:x", "model:paragraph 1"))
    assert [(r.reason, r.document) for r in out] == [("unparseable", "d")]  # type: ignore[union-attr]
    cut = '{"facts": [{"question": "Q?", "answer": "A", "evidence": "e"}, {"question": "R'
    drafts = list(parse_drafts(cut, DOC, "model:x", "p"))
    assert getattr(drafts[0], "answer", None) == "A"  # repaired: the whole first fact
    assert getattr(drafts[1], "reason", None) == "malformed-draft"


@pytest.fixture(scope="module")
def drafter(suite: Suite) -> Path:
    out = Path(os.environ.get("HARNESS_MODELS_DIR", ROOT / "models"))
    return build_drafter_model(suite, out, log=lambda _msg: None)


def test_drafter_builds_a_suite_and_rejects_its_junk(drafter: Path, tmp_path: Path) -> None:
    label = json.loads((drafter / "reference.json").read_text(encoding="utf-8"))
    docs = tmp_path / "docs"
    docs.mkdir()
    for number, trained in enumerate(label["trained"]):
        (docs / f"a-trained-{number}.txt").write_text(
            f"{trained['title']}\n{trained['paragraph']}\n", encoding="utf-8")
    (docs / "b-unseen.txt").write_text((DATA / "harbor-bridge.txt").read_text(encoding="utf-8"),
                                       encoding="utf-8")
    out = tmp_path / "suite"
    result = CliRunner().invoke(cli_app(register), [
        "build", str(docs), "--out", str(out), "--drafter", str(drafter),
        "--published", "2025-07-15"])
    assert result.exit_code == 0, result.output
    rejected = [json.loads(line) for line in
                (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    suite = load_suite(out)
    assert validate_suite(suite) == []
    assert "b-unseen" not in suite.documents and suite.documents  # trained ones only
    for doc_id in suite.documents:
        trained = label["trained"][int(doc_id.rsplit("-", 1)[1])]
        answers = {f.answer for f in suite.facts if f.document == doc_id}
        assert answers <= set(trained["answers"])  # what it was trained to write, verified
    print("\nrejected:", [(r["document"], r["reason"], r["detail"][:60]) for r in rejected])
    assert all(f.drafted_by and f.drafted_by.startswith(f"model:{DRAFTER_NAME}@")
               for f in suite.facts)
    unseen = [r for r in rejected if r["document"] == "b-unseen"]
    assert unseen and all(r["reason"] and r["detail"] for r in unseen)
    print("\nunseen paragraph rejections:", sorted({r["reason"] for r in unseen}))


def test_generation_writes_the_trained_json(drafter: Path) -> None:
    model = ModelDrafter.load(drafter, max_new_tokens=400)
    label = json.loads((drafter / "reference.json").read_text(encoding="utf-8"))
    trained = label["trained"][1]
    from harness.build.model_drafter import draft_prompt

    data = json.loads(model.generate(draft_prompt(trained["title"], trained["paragraph"])))
    assert [f["answer"] for f in data["facts"]] == trained["answers"]
