"""The model drafter: a local HF causal LM proposes facts as JSON for each paragraph, repaired
with json-repair (or, with `constrained`, generated under the draft schema by
lm-format-enforcer: opt-in, as its per-token cost is high on CPU and, with transformers 5 and
byte-level BPE, it refuses some tokens that close a string and open the next field, which sends
the tiny drafter off its memorised output). Whatever it writes is only a proposal: verify.py
checks every draft, and output that is no JSON or no draft becomes a rejection with the text it
wrote."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.build import constrain
from harness.build.draft import Draft, Rejection
from harness.build.sentences import split_sentences
from harness.build.source import SourceDoc
from harness.errors import HarnessError

PARAGRAPH_WORDS = 90  # sentences are grouped into paragraphs of at most this many words
PROMPT = (
    "Write the checkable facts of the paragraph as JSON: "
    '{{"facts": [{{"question": ..., "answer": ..., "evidence": ..., "answer_type": ..., '
    '"distractors": [three wrong answers]}}]}}. The question names who, what and when without '
    "the article; the answer is short; the evidence is copied verbatim from the paragraph.\n"
    "Article: {title}\nParagraph: {paragraph}\nJSON:"
)


def paragraphs(doc: SourceDoc) -> list[str]:
    """The document's sentences grouped into paragraphs (lines first, then by length), the
    title left out."""
    out: list[str] = []
    current: list[str] = []
    last_line = -1
    for sentence in split_sentences(doc.text, doc.language):
        if " ".join(sentence.text.split()) == doc.title:
            continue
        line = doc.text.count("\n", 0, sentence.start)
        words = sum(len(s.split()) for s in current)
        if current and (line != last_line or words + len(sentence.text.split()) >
                        PARAGRAPH_WORDS):
            out.append(" ".join(current))
            current = []
        current.append(sentence.text)
        last_line = line
    if current:
        out.append(" ".join(current))
    return out


def draft_prompt(title: str, paragraph: str) -> str:
    return PROMPT.format(title=title, paragraph=paragraph)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int, float)))
    return ()


def parse_drafts(text: str, doc: SourceDoc, drafted_by: str, origin: str
                 ) -> Iterator[Draft | Rejection]:
    """Drafts from a model's output (repaired with json-repair when it is not valid JSON);
    output that holds no draft is one Rejection quoting it."""
    from json_repair import repair_json

    def no(reason: str, detail: str) -> Rejection:
        return Rejection(doc.id, reason, detail, {"output": text[:500], "origin": origin})

    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = repair_json(text, return_objects=True) if text.strip() else None
    facts = data.get("facts") if isinstance(data, dict) else data
    if not isinstance(facts, list) or not facts:
        yield no("unparseable", f"the model's output holds no facts JSON ({text[:80]!r})")
        return
    for item in facts:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and
                                                 item[k].strip()
                                                 for k in ("question", "answer", "evidence")):
            yield no("malformed-draft", f"a fact without question, answer and evidence: "
                     f"{json.dumps(item, ensure_ascii=False)[:120]}")
            continue
        yield Draft(
            document=doc.id, question=item["question"].strip(), answer=item["answer"].strip(),
            evidence=item["evidence"].strip(), drafted_by=drafted_by, origin=origin,
            aliases=_strings(item.get("aliases")),
            answer_type=item["answer_type"] if isinstance(item.get("answer_type"), str)
            else None,
            distractors=_strings(item.get("distractors")),
            question_ko=item.get("question_ko") if isinstance(item.get("question_ko"), str)
            else None,
            answer_ko=item.get("answer_ko") if isinstance(item.get("answer_ko"), str) else None,
            distractors_ko=_strings(item.get("distractors_ko")))


@dataclass
class ModelDrafter:
    model: Any
    tokenizer: Any
    identity: str
    max_new_tokens: int = 384
    constrained: bool = False

    @classmethod
    def load(cls, path: Path, max_new_tokens: int = 384, constrained: bool = False
             ) -> ModelDrafter:
        """Load a local model folder (config.json + weights + tokenizer); no hub download."""
        if not (path / "config.json").is_file():
            raise HarnessError(f"--drafter {path}: not 'rules' and not a model folder (no "
                               "config.json)")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(path)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        model = model.to(device)
        digest = hashlib.sha256((path / "config.json").read_bytes()).hexdigest()[:8]
        if constrained and not constrain.available():
            raise HarnessError("--constrain needs lm-format-enforcer: pip install "
                               "'fact-harness[drafter]'")
        return cls(model.eval(), tokenizer, f"model:{path.name}@{digest}", max_new_tokens,
                   constrained)

    def generate(self, prompt: str) -> str:
        import torch

        from harness.prompts.chat import format_prompt

        text = format_prompt(self.tokenizer, prompt)
        enc = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        enc = {k: v.to(self.model.device) for k, v in enc.items()}
        length = enc["input_ids"].shape[1]
        extra: dict[str, Any] = {}
        if self.constrained:
            extra["prefix_allowed_tokens_fn"] = constrain.prefix_allowed_tokens(self.tokenizer,
                                                                                length)
        with torch.no_grad():
            out = self.model.generate(**enc, max_new_tokens=self.max_new_tokens,
                                      do_sample=False, pad_token_id=self.tokenizer.pad_token_id,
                                      **extra)
        return str(self.tokenizer.decode(out[0][length:], skip_special_tokens=True))

    def draft_document(self, doc: SourceDoc) -> Iterator[Draft | Rejection]:
        for number, paragraph in enumerate(paragraphs(doc), start=1):
            output = self.generate(draft_prompt(doc.title, paragraph))
            yield from parse_drafts(output, doc, self.identity, f"model:paragraph {number}")
