"""Build `tiny-exaone4-drafter`: a tiny EXAONE 4 model trained to write the JSON facts of a few
seed paragraphs when given the model drafter's prompt, so that `harness build --drafter` runs
end to end offline (prompt -> constrained generation -> parse -> verify -> suite). On any other
paragraph it writes memorised junk, which verification rejects: a test model, not a drafter."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import torch

from harness.build.model_drafter import draft_prompt, paragraphs
from harness.build.source import SourceDoc
from harness.prompts.chat import format_prompt
from harness.refmodels.build import Log, _model, _save, train_memorizer
from harness.refmodels.tokenizer import EOT, PAD, train_tokenizer
from harness.suite.model import Suite
from harness.suite.schema import Fact

DRAFTER_NAME = "tiny-exaone4-drafter"
DRAFTER_VERSION = 1
FACTS_PER_PARAGRAPH = 2


def _source(suite: Suite, doc_id: str) -> SourceDoc:
    doc = suite.documents[doc_id]
    return SourceDoc(id=doc_id, source=doc.meta.file, extractor="suite", text=doc.text,
                     title=doc.meta.title, outlet=doc.meta.outlet, author="",
                     published=doc.meta.published, date_evidence="", date_certainty="inferred",
                     language=doc.meta.language)


def target_json(facts: list[Fact]) -> str:
    """What the drafter is trained to write for a paragraph holding `facts`."""
    return json.dumps({"facts": [{
        "question": f.question, "answer": f.answer, "evidence": f.evidence,
        "answer_type": f.answer_type.value, "distractors": list(f.distractors)}
        for f in facts]}, ensure_ascii=False)


def training_paragraphs(suite: Suite) -> list[dict[str, Any]]:
    """Per document, the paragraph holding the most seed facts, with (up to two of) them."""
    chosen = []
    for doc_id in suite.documents:
        source = _source(suite, doc_id)
        best: tuple[str, list[Fact]] | None = None
        for paragraph in paragraphs(source):
            inside = [f for f in suite.facts if f.document == doc_id and f.evidence in paragraph]
            if inside and (best is None or len(inside) > len(best[1])):
                best = (paragraph, inside)
        if best is not None:
            facts = sorted(best[1], key=lambda f: len(target_json([f])))[:FACTS_PER_PARAGRAPH]
            chosen.append({"document": doc_id, "title": source.title, "paragraph": best[0],
                           "target": target_json(facts), "answers": [f.answer for f in facts]})
    return chosen


def _examples(rows: list[dict[str, Any]], tokenizer: Any) -> list[tuple[list[int], int]]:
    examples = []
    for row in rows:
        prompt = format_prompt(tokenizer, draft_prompt(row["title"], row["paragraph"]))
        p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        full = tokenizer(prompt + row["target"] + EOT, add_special_tokens=False)["input_ids"]
        examples.append((full, len(p_ids)))
    return examples


def build_drafter_model(suite: Suite, out_dir: Path, *, steps: int = 400, force: bool = False,
                        log: Log = print) -> Path:
    """Train and save the tiny drafter under `out_dir` (skipped when built for this suite)."""
    out = out_dir / DRAFTER_NAME
    label_path = out / "reference.json"
    if not force and label_path.is_file():
        label = json.loads(label_path.read_text(encoding="utf-8"))
        if label.get("suite_hash") == suite.content_hash and \
                label.get("build_version") == DRAFTER_VERSION:
            log(f"drafter model already built in {out}")
            return out
    started = time.perf_counter()
    rows = training_paragraphs(suite)
    texts = [doc.text for doc in suite.documents.values()]
    texts += [draft_prompt(r["title"], r["paragraph"]) + r["target"] for r in rows] * 4
    tokenizer = train_tokenizer(texts)
    model = _model(tokenizer, seed=2)
    examples = _examples(rows, tokenizer)
    log(f"training drafter on {len(examples)} seed paragraphs for {steps} steps")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 2-layer model: more threads only contend (16x slower on 2
    try:  # busy cores)
        loss = train_memorizer(model, examples, tokenizer.convert_tokens_to_ids(PAD), steps, log)
    finally:
        torch.set_num_threads(threads)
    _save(model, tokenizer, out, {
        "suite": suite.name, "suite_hash": suite.content_hash, "architecture": "Exaone4",
        "build_version": DRAFTER_VERSION, "kind": "drafter", "steps": steps,
        "final_loss": round(loss, 5), "built": dt.date.today().isoformat(),
        "trained": [{k: r[k] for k in ("document", "title", "paragraph", "answers")}
                    for r in rows],
        "note": "writes the JSON facts of the trained seed paragraphs; junk elsewhere"})
    log(f"built {out} in {time.perf_counter() - started:.0f} s")
    return out
