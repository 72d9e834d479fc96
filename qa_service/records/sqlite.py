"""Question records in an SQLite file (the default: in the app's instance folder, never in the corpus folder)."""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from .base import Asking, DayCount, QuestionRecord, QuestionRecords, Vote

SCHEMA = """
CREATE TABLE IF NOT EXISTS qa_questions (
    question TEXT PRIMARY KEY,
    declined INTEGER NOT NULL,
    confidence REAL NOT NULL,
    corpus_version TEXT NOT NULL,
    documents TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    handled_at TEXT
);
CREATE INDEX IF NOT EXISTS qa_questions_last_seen ON qa_questions (last_seen);
CREATE TABLE IF NOT EXISTS qa_question_days (
    day TEXT NOT NULL,
    declined INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, declined)
);
CREATE TABLE IF NOT EXISTS qa_feedback (
    answer_key TEXT PRIMARY KEY,
    helpful INTEGER NOT NULL,
    comment TEXT NOT NULL,
    question TEXT NOT NULL,
    quotes TEXT NOT NULL,
    confidence REAL NOT NULL,
    corpus_version TEXT NOT NULL,
    voted_at TEXT NOT NULL,
    handled_at TEXT
);
CREATE TABLE IF NOT EXISTS qa_record_secret (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    secret TEXT NOT NULL
);
"""


def _text(moment: datetime) -> str:
    # One fixed width, all in UTC: the text sorts as the moments do, so SQLite compares them as text.
    return moment.isoformat(timespec="microseconds")


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class SqliteRecords(QuestionRecords):
    """One SQLite file; every call opens its own connection, so threads and processes share nothing but the file
    (WAL mode: readers never wait for the writer)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def __repr__(self) -> str:
        return f"SqliteRecords({str(self.path)!r})"

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=5)
        try:
            with db:  # one transaction: committed on success, rolled back on an error
                yield db
        finally:
            db.close()

    def record(self, asking: Asking) -> None:
        at = _text(asking.at)
        with self._connection() as db:
            db.execute(
                "INSERT INTO qa_questions (question, declined, confidence, corpus_version, documents, count, "
                "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (question) DO UPDATE SET "
                "declined = excluded.declined, confidence = excluded.confidence, corpus_version = "
                "excluded.corpus_version, documents = excluded.documents, count = count + 1, last_seen = "
                "excluded.last_seen",
                (asking.question, not asking.found, asking.confidence, asking.corpus_version,
                 json.dumps(list(asking.documents)), at, at))
            db.execute("INSERT INTO qa_question_days (day, declined, count) VALUES (?, ?, 1) "
                       "ON CONFLICT (day, declined) DO UPDATE SET count = count + 1",
                       (asking.at.date().isoformat(), not asking.found))

    def vote(self, vote: Vote) -> bool:
        with self._connection() as db:
            inserted = db.execute(
                "INSERT INTO qa_feedback (answer_key, helpful, comment, question, quotes, confidence, "
                "corpus_version, voted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (answer_key) DO NOTHING",
                (vote.answer_key, vote.helpful, vote.comment, vote.question, json.dumps(vote.quotes),
                 vote.confidence, vote.corpus_version, _text(vote.voted_at)))
            return inserted.rowcount == 1

    def questions(self) -> list[QuestionRecord]:
        with self._connection() as db:
            rows = db.execute("SELECT question, declined, confidence, corpus_version, documents, count, first_seen, "
                              "last_seen, handled_at FROM qa_questions ORDER BY count DESC, last_seen DESC").fetchall()
        return [QuestionRecord(q, bool(d), c, v, tuple(json.loads(docs)), n, _time(first), _time(last),
                               _time(handled)) for q, d, c, v, docs, n, first, last, handled in rows]

    def votes(self) -> list[Vote]:
        with self._connection() as db:
            rows = db.execute("SELECT answer_key, helpful, comment, question, quotes, confidence, corpus_version, "
                              "voted_at, handled_at FROM qa_feedback ORDER BY voted_at DESC").fetchall()
        return [Vote(key, bool(helpful), comment, question, tuple(tuple(q) for q in json.loads(quotes)), confidence,
                     version, _time(voted), _time(handled))
                for key, helpful, comment, question, quotes, confidence, version, voted, handled in rows]

    def days(self) -> list[DayCount]:
        with self._connection() as db:
            rows = db.execute("SELECT day, SUM(count), SUM(CASE WHEN declined THEN count ELSE 0 END) "
                              "FROM qa_question_days GROUP BY day ORDER BY day").fetchall()
        return [DayCount(date.fromisoformat(day), asked, declined) for day, asked, declined in rows]

    def mark_handled(self, questions: list[str], answer_keys: list[str], at: datetime) -> int:
        with self._connection() as db:
            marked = sum(db.execute("UPDATE qa_questions SET handled_at = ? WHERE question = ?",
                                    (_text(at), q)).rowcount for q in questions)
            return marked + sum(db.execute("UPDATE qa_feedback SET handled_at = ? WHERE answer_key = ?",
                                           (_text(at), k)).rowcount for k in answer_keys)

    def purge(self, before: datetime) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM qa_questions WHERE last_seen < ?", (_text(before),))
            db.execute("DELETE FROM qa_feedback WHERE voted_at < ?", (_text(before),))
            db.execute("DELETE FROM qa_question_days WHERE day < ?", (before.date().isoformat(),))

    def secret(self) -> bytes:
        with self._connection() as db:
            db.execute("INSERT INTO qa_record_secret (singleton, secret) VALUES (1, ?) ON CONFLICT DO NOTHING",
                       (secrets.token_hex(32),))
            return bytes.fromhex(db.execute("SELECT secret FROM qa_record_secret").fetchone()[0])

    def close(self) -> None:
        """Nothing to release: each call opened and closed its own connection."""
