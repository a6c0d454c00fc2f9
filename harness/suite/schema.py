"""Pydantic models of a task suite: suite.yaml, task definitions and facts (data only)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.answer_types import AnswerType

Language = Literal["en", "ko"]
Regime = Literal["qa", "mc", "tf"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentMeta(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    outlet: str
    published: dt.date
    published_evidence: str = Field(description="how the published date is known")
    date_certainty: Literal["stated", "inferred"] = "inferred"
    language: Language
    file: str


class TaskDef(_Strict):
    """One regime of a suite: how items are built from facts and how the model is asked."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    regime: Regime
    with_document: bool = False
    language: Language = "en"
    description: str = ""
    template: str = Field(description="Jinja2 (sandboxed) template of the prompt")
    fewshot_template: str | None = Field(
        None, description="template of an item shown as a few-shot example (default: template)")
    target_delimiter: str = Field(" ", description="put before each choice (plain prompts)")
    tf_choices: tuple[str, str] = ("yes", "no")
    max_new_tokens: int = Field(32, ge=1, le=4096)
    stop: tuple[str, ...] = ("\n",)
    first_line: bool = True
    num_fewshot: int = Field(0, ge=0, le=32)


class SuiteConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str
    description: str
    languages: tuple[Language, ...] = ("en",)
    system_prompt: str | None = None
    documents: tuple[DocumentMeta, ...] = Field(min_length=1)
    facts: tuple[str, ...] = Field(min_length=1, description="facts JSONL files")
    tasks: str = Field("tasks.yaml", description="task definitions file")


class TaskFile(_Strict):
    tasks: tuple[TaskDef, ...] = Field(min_length=1)


class Fact(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    document: str
    evidence: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    answer_type: AnswerType
    distractors: tuple[str, str, str]
    as_of: dt.date
    question_ko: str | None = None
    answer_ko: str | None = None
    aliases_ko: tuple[str, ...] = ()
    distractors_ko: tuple[str, str, str] | None = None
    # set by `harness build`: a drafted fact stays "draft" until reviewed (tasks review)
    status: Literal["draft", "reviewed"] | None = None
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
