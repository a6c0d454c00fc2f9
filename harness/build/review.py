"""Review of draft facts (data side of `harness tasks review`): each decision is written to the
suite at once, by replacing the facts file atomically, so an interrupted review loses nothing.
Accepted facts become `status: reviewed`; rejected ones move to rejected.jsonl (reason
"reviewer"); an edited answer or question is checked again as a draft is."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.build.evidence import find_answer, states_answer
from harness.build.standalone import unresolved
from harness.errors import HarnessError
from harness.scoring.infer import infer_answer_type
from harness.scoring.judge import Verdict, judge
from harness.suite.files import load_yaml


@dataclass(frozen=True)
class DraftRef:
    """A draft fact of the suite: the facts file, its line index, and the record."""

    path: Path
    index: int
    record: dict[str, Any]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class ReviewStore:
    """The suite folder being reviewed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if not (root / "suite.yaml").is_file():
            raise HarnessError(f"{root}: not a suite folder (no suite.yaml)")
        config, _node = load_yaml(root / "suite.yaml")
        self.config: dict[str, Any] = config
        self.files = [root / rel for rel in config.get("facts", [])]

    def _records(self, path: Path) -> list[dict[str, Any]]:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def drafts(self) -> list[DraftRef]:
        return [DraftRef(path, i, r) for path in self.files
                for i, r in enumerate(self._records(path)) if r.get("status") == "draft"]

    def document_text(self, doc_id: str) -> str:
        for doc in self.config.get("documents", []):
            if doc.get("id") == doc_id:
                return (self.root / str(doc["file"])).read_text(encoding="utf-8")
        return ""

    def document_title(self, doc_id: str) -> str:
        return next((str(d.get("title", "")) for d in self.config.get("documents", [])
                     if d.get("id") == doc_id), "")

    def _save(self, path: Path, records: list[dict[str, Any]]) -> None:
        _write_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))

    def _find(self, ref: DraftRef) -> tuple[list[dict[str, Any]], int]:
        records = self._records(ref.path)
        for i, record in enumerate(records):
            if record.get("id") == ref.record.get("id"):
                return records, i
        raise HarnessError(f"{ref.path}: fact {ref.record.get('id')} is gone (edited "
                           "elsewhere during the review?)")

    def accept(self, ref: DraftRef, changes: dict[str, Any] | None = None) -> dict[str, Any]:
        records, i = self._find(ref)
        records[i] = {**records[i], **(changes or {}), "status": "reviewed"}
        self._save(ref.path, records)
        return records[i]

    def reject(self, ref: DraftRef, note: str = "") -> None:
        records, i = self._find(ref)
        record = records.pop(i)
        with open(self.root / "rejected.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps({"document": record.get("document"), "reason": "reviewer",
                                  "detail": note or "rejected in review", "draft": record},
                                 ensure_ascii=False) + "\n")
        self._save(ref.path, records)
        if not records:
            self._drop_document(ref.path, str(record.get("document")))

    def _drop_document(self, path: Path, doc_id: str) -> None:
        """The document's last fact is gone: the suite no longer lists it (a suite document
        needs facts)."""
        rel = path.relative_to(self.root).as_posix()
        self.config["facts"] = [f for f in self.config.get("facts", []) if f != rel]
        self.config["documents"] = [d for d in self.config.get("documents", [])
                                    if d.get("id") != doc_id]
        self.files = [f for f in self.files if f != path]
        path.unlink()
        _write_atomic(self.root / "suite.yaml", yaml.safe_dump(
            self.config, allow_unicode=True, sort_keys=False, width=100))


def check_edit(record: dict[str, Any], title: str = "") -> str | None:
    """Why an edited fact cannot stand (None when it can): the same checks as a draft's."""
    answer, question = str(record["answer"]).strip(), str(record["question"]).strip()
    if not answer or not question:
        return "the answer and the question must not be empty"
    kind = infer_answer_type(answer)
    aliases = tuple(record.get("aliases", ()))
    if find_answer(answer, aliases, kind, record["evidence"]) is None:
        return f"{answer!r} ({kind.value}) is not stated in the evidence"
    if states_answer(question, answer, aliases, kind):
        return "the question states the answer"
    if word := unresolved(question, ignore=title):
        return f"{word!r} needs the article to be understood"
    for distractor in record.get("distractors", ()):
        if judge(distractor, answer, aliases, kind).verdict is Verdict.CORRECT:
            return f"distractor {distractor!r} is judged CORRECT for the new answer"
    return None
