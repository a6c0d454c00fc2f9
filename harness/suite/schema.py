"""Pydantic models of a task suite: suite.yaml, task definitions and facts (data only).

Every field's `description` and `examples` feed docs/suite-format.md (`harness tasks
schema-doc`), so the reference cannot drift from what the loader accepts."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.answer_types import AnswerType

Language = Literal["en", "ko"]
Regime = Literal["qa", "mc", "tf"]
CHOICE_REGIMES: tuple[Regime, ...] = ("mc", "tf")  # the regimes that use distractors


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentMeta(_Strict):
    """One source document, listed under `documents:` in suite.yaml."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$",
                    description="short id that facts refer to (lowercase, digits, '-')",
                    examples=["kh-exaone-4"])
    title: str = Field(description="the document's title (templates get it as {{ title }})",
                       examples=["LG enters global AI race with hybrid Exaone 4.0 model"])
    outlet: str = Field(description="who published it", examples=["Korea Herald"])
    published: dt.date = Field(description="publication date, YYYY-MM-DD; the default `as_of` "
                               "of its facts", examples=["2025-07-15"])
    published_evidence: str = Field("", description="how the published date is known "
                                    "(optional note)",
                                    examples=["The article says 'on Tuesday', 15 July 2025."])
    date_certainty: Literal["stated", "inferred"] = Field(
        "inferred", description="whether the date is printed on the document or inferred",
        examples=["stated"])
    language: Language = Field(description="the document's language", examples=["en"])
    file: str = Field(description="UTF-8 text file of the document, relative to the suite folder",
                      examples=["documents/kh-exaone-4.txt"])


class TaskDef(_Strict):
    """One task (regime) of a suite: how items are built from facts and how the model is asked;
    an entry of `tasks:` in tasks.yaml."""

    name: str = Field(pattern=r"^[a-z0-9_]+$", description="task name (lowercase, digits, '_'); "
                      "`harness run --task NAME`", examples=["closed_qa"])
    regime: Regime = Field(description="qa: short generated answer; mc: multiple choice by "
                           "log-likelihood of answer vs distractors; tf: true/false claim by "
                           "log-likelihood of tf_choices", examples=["mc"])
    with_document: bool = Field(False, description="open-book: templates get the document text "
                                "as {{ document }}", examples=[True])
    language: Language = Field("en", description="ko: use the facts' *_ko fields",
                               examples=["ko"])
    description: str = Field("", description="one line shown in reports",
                             examples=["Closed-book short answer."])
    template: str = Field(description="Jinja2 (sandboxed) template of the prompt; see the "
                          "variables of each regime below",
                          examples=["Question: {{ question }}\nAnswer:"])
    fewshot_template: str | None = Field(
        None, description="template of an item shown as a few-shot example (default: template)",
        examples=["Question: {{ question }}\nAnswer:"])
    target_delimiter: str = Field(" ", description="put between the prompt and each choice or "
                                  "example answer (plain prompts)", examples=[" "])
    tf_choices: tuple[str, str] = Field(("yes", "no"), description="tf: the (true, false) "
                                        "answers whose log-likelihoods are compared",
                                        examples=[["예", "아니오"]])
    max_new_tokens: int = Field(32, ge=1, le=4096, description="qa: generation length limit",
                                examples=[32])
    stop: tuple[str, ...] = Field(("\n",), description="qa: generation stops at any of these",
                                  examples=[["\n"]])
    first_line: bool = Field(True, description="qa: score only the first line of the output",
                             examples=[True])
    num_fewshot: int = Field(0, ge=0, le=32, description="default number of few-shot examples "
                             "(drawn from other facts; `--num-fewshot` overrides)", examples=[0])


class SuiteConfig(_Strict):
    """suite.yaml: the suite's identity, its documents and where its facts and tasks are."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      description="suite name, recorded in every run", examples=["my-news-2025"])
    version: str = Field(description="your version of the suite (quote it in YAML)",
                         examples=["1.0.0"])
    description: str = Field(description="what the suite asks about",
                             examples=["Facts of two articles, asked closed- and open-book."])
    languages: tuple[Language, ...] = Field(("en",), description="languages of the facts; with "
                                            "ko, validation requires the *_ko fields",
                                            examples=[["en", "ko"]])
    system_prompt: str | None = Field(None, description="system message for chat models",
                                      examples=["Answer briefly."])
    documents: tuple[DocumentMeta, ...] = Field(min_length=1, description="the source documents "
                                                "(at least one; fields below)")
    facts: tuple[str, ...] = Field(min_length=1, description="facts JSONL files, relative to the "
                                   "suite folder", examples=[["facts/my-article.jsonl"]])
    tasks: str = Field("tasks.yaml", description="task definitions file",
                       examples=["tasks.yaml"])


class TaskFile(_Strict):
    """tasks.yaml: the suite's tasks."""

    tasks: tuple[TaskDef, ...] = Field(min_length=1, description="at least one task (fields "
                                       "below)")


class Fact(_Strict):
    """One line of a facts JSONL file: a question whose answer the document states."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="unique fact id",
                    examples=["exaone-001"])
    document: str = Field(description="id of the document that states it",
                          examples=["kh-exaone-4"])
    evidence: str = Field(min_length=1, description="a verbatim span of the document holding "
                          "the answer", examples=["on Tuesday unveiled Exaone 4.0"])
    question: str = Field(min_length=1, description="the question, answerable without the "
                          "document by someone who read it",
                          examples=["What AI model did LG AI Research unveil on July 15, 2025?"])
    answer: str = Field(min_length=1, description="the short gold answer (must occur in the "
                        "evidence, or an alias must)", examples=["Exaone 4.0"])
    aliases: tuple[str, ...] = Field((), description="other accepted spellings of the answer",
                                     examples=[["Exaone 4"]])
    answer_type: AnswerType = Field(description="how answers are compared: "
                                    + ", ".join(t.value for t in AnswerType),
                                    examples=["phrase"])
    distractors: tuple[str, ...] = Field((), description="wrong answers of the same kind; "
                                         "required (at least 1) when a task has regime mc or "
                                         "tf; mc shows all of them, shuffled per item",
                                         examples=[["Exaone 3.5", "Exaone Deep"]])
    as_of: dt.date | None = Field(None, description="the date the answer holds on (default: "
                                  "the document's published date)", examples=["2025-07-15"])
    question_ko: str | None = Field(None, description="Korean question (tasks with language "
                                    "ko)", examples=["LG AI연구원이 공개한 AI 모델은?"])
    answer_ko: str | None = Field(None, description="Korean answer (tasks with language ko)",
                                  examples=["엑사원 4.0"])
    aliases_ko: tuple[str, ...] = Field((), description="Korean aliases",
                                        examples=[["EXAONE 4.0"]])
    distractors_ko: tuple[str, ...] | None = Field(None, description="Korean distractors "
                                                   "(choice tasks with language ko)",
                                                   examples=[["엑사원 3.5"]])
    # set by `harness build`: a drafted fact stays "draft" until reviewed (tasks review)
    status: Literal["draft", "reviewed"] | None = Field(
        None, description="draft: proposed by `harness build`, not yet reviewed")
    drafted_by: str | None = Field(None, description="drafter and model that proposed it")

    @field_validator("question", "answer", "evidence")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def golds(self, language: Language) -> tuple[str, tuple[str, ...]]:
        """(answer, aliases) in the given language."""
        if language == "ko":
            return self.answer_ko or "", self.aliases_ko
        return self.answer, self.aliases
