"""The rules drafter (offline, no model): one cloze draft per typed answer span of a sentence
(quantities the scorer parses, named entities), quoting the clause around the span."""

from __future__ import annotations

import re
from collections.abc import Iterator

from harness.build.draft import Draft
from harness.build.entities import capitalised_words, entity_spans
from harness.build.questions import BLANK, cloze_question
from harness.build.sentences import Sentence, split_sentences
from harness.build.source import SourceDoc
from harness.build.spans import Span, quantity_spans

DRAFTER = "rules"
MAX_WORDS = 40  # a longer sentence is cut to the clauses around the answer
MIN_WORDS = 6  # a shorter sentence (a heading, a byline) gives no drafts
_CLAUSE_END = re.compile(r"[,;:—–]\s|\s--\s|\s-\s")


def _words(text: str) -> int:
    return len(text.split())


def _clause(sentence: Sentence, span: Span) -> tuple[int, int]:
    """[start, end) within the sentence of the evidence: the whole sentence when short,
    else the clause holding the span, widened clause by clause up to MAX_WORDS words."""
    text = sentence.text
    if _words(text) <= MAX_WORDS:
        return 0, len(text)
    cuts = [0, *(m.end() for m in _CLAUSE_END.finditer(text)), len(text)]
    pieces = list(zip(cuts, cuts[1:], strict=False))
    index = next(i for i, (a, b) in enumerate(pieces) if a <= span.start < b)
    lo = hi = index
    while True:
        grown = False
        for new_lo, new_hi in ((lo, hi + 1), (lo - 1, hi)):
            if new_lo >= 0 and new_hi < len(pieces) and \
                    _words(text[pieces[new_lo][0]:pieces[new_hi][1]]) <= MAX_WORDS:
                lo, hi, grown = new_lo, new_hi, True
                break
        if not grown or _words(text[pieces[lo][0]:pieces[hi][1]]) >= MAX_WORDS * 0.6:
            break
    start, end = pieces[lo][0], pieces[hi][1]
    if span.end > end:
        end = span.end
    return start, end


def _spans(sentence: Sentence, doc: SourceDoc, known: set[str]) -> list[Span]:
    found = quantity_spans(sentence.text)
    for span in entity_spans(sentence.text, doc.language, known):
        if not any(span.start < q.end and q.start < span.end for q in found):
            found.append(span)
    return sorted(found, key=lambda s: s.start)


def draft_document(doc: SourceDoc) -> Iterator[Draft]:
    """Every cloze draft of the document, in text order (verification decides what stays)."""
    known = capitalised_words(doc.text) if doc.language == "en" else set()
    seen: set[tuple[str, str]] = set()
    for sentence in split_sentences(doc.text, doc.language):
        if (_words(sentence.text) < MIN_WORDS and doc.language == "en") or \
                " ".join(sentence.text.split()) == doc.title:
            continue  # a heading, a byline, the title (the question quotes the title)
        for span in _spans(sentence, doc, known):
            start, end = _clause(sentence, span)
            evidence = sentence.text[start:end].strip()
            offset = start + (len(sentence.text[start:end]) -
                              len(sentence.text[start:end].lstrip()))
            a, b = span.start - offset, span.end - offset
            if (span.text, evidence) in seen or evidence[a:b] != span.text:
                continue
            seen.add((span.text, evidence))
            cloze = evidence[:a] + BLANK + evidence[b:]
            question = cloze_question(doc, cloze.strip().rstrip("."), span.answer_type)
            ko = doc.language == "ko"
            yield Draft(
                document=doc.id, question=question, answer=span.text, evidence=evidence,
                drafted_by=DRAFTER, origin=f"{DRAFTER}:{span.answer_type.value}",
                answer_type=span.answer_type.value,
                question_ko=question if ko else None, answer_ko=span.text if ko else None)
