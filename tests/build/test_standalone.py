"""The standalone heuristic: what it refuses, what it lets through, and why."""

from __future__ import annotations

import pytest

from harness.build.standalone import unresolved


@pytest.mark.parametrize(("question", "word"), [
    ("What did he say about tariffs?", "he"),
    ('What fills the blank in "The company raised ___ in prices"?', "The company"),
    ("What rate did Seoul set this week?", "this week"),
    ('What fills the blank in "on Tuesday unveiled ___"?', "on Tuesday"),
    ('What fills the blank in "its model was ___"?', "its"),  # no name before "its"
    ('What fills the blank in "This approach will cut ___"?', "This"),
    ("그는 무엇을 발표했나?", "그는"),
    ("지난해 물동량은 얼마인가?", "지난해"),
])
def test_refused_with_the_word(question: str, word: str) -> None:
    assert unresolved(question) == word


@pytest.mark.parametrize("question", [
    "What rate did the US set on Aug. 1, 2025?",  # "US" is the country, not "us"
    'What fills the blank in "Ahn said he had presented ___"?',  # a name before "he"
    'What fills the blank in "LG said its model has ___ parameters"?',
    "Which body approved the Company Act?",  # "The Company Act": a name, not "the company"
    "Who chairs the Cabinet?",
    "정부가 발표한 비율은 무엇인가?",
])
def test_standalone(question: str) -> None:
    assert unresolved(question) is None


def test_the_article_title_is_ignored() -> None:
    title = "Seoul official stresses talks over next 2 weeks this week"
    assert unresolved(f'According to "{title}", what is ___?', ignore=title) is None
