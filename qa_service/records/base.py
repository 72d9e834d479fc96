"""What the question records are: the QuestionRecords interface, and the records it keeps.

Nothing here identifies a reader: no address, cookie, header or session; a question is kept as normalised text,
counted when it comes again, and dropped once it has not been asked for the retention period.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime


def normalised(question: str) -> str:
    """The form a question is recorded in: lower case, white space collapsed, so repeats are counted together."""
    return " ".join(question.split()).lower()


@dataclass(frozen=True)
class Asking:
    """One answer given, as it is recorded: never who asked."""

    question: str
    found: bool
    confidence: float
    corpus_version: str
    documents: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class QuestionRecord:
    """A question as the records hold it: the last answer's outcome, how often it was asked, first and last."""

    question: str
    declined: bool
    confidence: float
    corpus_version: str
    documents: tuple[str, ...]
    count: int
    first_seen: datetime
    last_seen: datetime
    handled_at: datetime | None

    @property
    def open(self) -> bool:
        """Not marked handled, or asked again since it was."""
        return self.handled_at is None or self.last_seen > self.handled_at


@dataclass(frozen=True)
class Vote:
    """A reader's mark on one answer: helpful or not, an optional comment, and the answer it was given on."""

    answer_key: str
    helpful: bool
    comment: str
    question: str
    quotes: tuple[tuple[str, str], ...]  # (document id, quoted text) of each quote the reader got
    confidence: float
    corpus_version: str
    voted_at: datetime
    handled_at: datetime | None = None


@dataclass(frozen=True)
class DayCount:
    day: date
    asked: int
    declined: int


class QuestionRecords(abc.ABC):
    """Where recorded questions and votes live. Safe to share between threads and processes."""

    @abc.abstractmethod
    def record(self, asking: Asking) -> None:
        """Count one asking: a new question is added, a repeat counted and its outcome updated; the day's counts
        go up by one."""

    @abc.abstractmethod
    def vote(self, vote: Vote) -> bool:
        """Keep a vote; False (and nothing changes) when that answer already has one."""

    @abc.abstractmethod
    def questions(self) -> list[QuestionRecord]:
        """Every recorded question, most asked first."""

    @abc.abstractmethod
    def votes(self) -> list[Vote]:
        """Every vote, newest first."""

    @abc.abstractmethod
    def days(self) -> list[DayCount]:
        """Questions asked and declined per day, oldest first."""

    @abc.abstractmethod
    def mark_handled(self, questions: list[str], answer_keys: list[str], at: datetime) -> int:
        """Mark these questions and votes handled; how many were found."""

    @abc.abstractmethod
    def purge(self, before: datetime) -> None:
        """Drop questions last asked, votes given and day counts older than that."""

    @abc.abstractmethod
    def secret(self) -> bytes:
        """A random key made the first time it is asked for and kept: every process signs answer ids with it."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections; the records stay."""
