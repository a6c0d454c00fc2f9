"""The answer types a fact can have; shared by the suite schema and the scorer."""

from enum import Enum


class AnswerType(str, Enum):
    NUMBER = "number"
    PERCENT = "percent"
    MONEY = "money"
    DATE = "date"
    YEAR = "year"
    DURATION = "duration"
    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    LAW = "law"
    PHRASE = "phrase"
    YES_NO = "yes_no"
