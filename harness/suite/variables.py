"""The template variables each regime provides: used to build items, to explain undefined
variables, and in docs/suite-format.md."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    condition: str = ""  # empty: always provided


COMMON = (
    Variable("question", "the fact's question (question_ko in a ko task)"),
    Variable("title", "the document's title"),
    Variable("document", "the document's text", "tasks with `with_document: true`"),
)
TF_ONLY = (
    Variable("proposed", "the proposed answer: the fact's answer for half the facts of each "
             "document, one of its distractors for the others", "regime tf"),
)

REGIME_NOTES = {
    "qa": "The model generates after the rendered prompt (up to `max_new_tokens`, until a "
          "`stop` string); the output's first line is scored against the answer and aliases.",
    "mc": "The template renders the question only: choices are not listed in the prompt. Each "
          "choice (the answer and every distractor, shuffled per item with a fixed seed) is "
          "appended as `prompt + target_delimiter + choice`, and the choice with the highest "
          "log-likelihood is the model's pick.",
    "tf": "The template renders the question with `{{ proposed }}`; the two `tf_choices` "
          "(default `yes`/`no`) are scored as continuations of the prompt, as mc's choices are, "
          "and the likelier one is the model's verdict on the claim.",
}


def provided(regime: str, with_document: bool) -> list[str]:
    """Names of the variables a task of `regime` gets."""
    names = ["question", "title"]
    if with_document:
        names.append("document")
    if regime == "tf":
        names.append("proposed")
    return names


def explain_missing(regime: str, with_document: bool) -> str:
    """What a task of this kind can use, and how to get the rest, in one clause."""
    names = provided(regime, with_document)
    hint = "" if with_document else "; document needs with_document: true"
    if regime != "tf":
        hint += "; proposed is for regime tf"
    if regime == "mc":
        hint += "; mc choices are appended after the prompt, not rendered into it"
    return f"regime {regime} provides {', '.join(names)}{hint}"
