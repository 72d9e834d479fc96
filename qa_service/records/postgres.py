"""Question records in PostgreSQL (with DATABASE_URL): tables beside the documents' own."""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import Iterator
from datetime import datetime

import psycopg

from .base import Asking, DayCount, QuestionRecord, QuestionRecords, Vote

SCHEMA = """
CREATE TABLE IF NOT EXISTS qa_questions (
    question text PRIMARY KEY,
    declined boolean NOT NULL,
    confidence double precision NOT NULL,
    corpus_version text NOT NULL,
    documents text[] NOT NULL,
    count bigint NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    handled_at timestamptz
);
CREATE INDEX IF NOT EXISTS qa_questions_last_seen ON qa_questions (last_seen);
CREATE TABLE IF NOT EXISTS qa_question_days (
    day date NOT NULL,
    declined boolean NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (day, declined)
);
CREATE TABLE IF NOT EXISTS qa_feedback (
    answer_key text PRIMARY KEY,
    helpful boolean NOT NULL,
    comment text NOT NULL,
    question text NOT NULL,
    quotes jsonb NOT NULL,
    confidence double precision NOT NULL,
    corpus_version text NOT NULL,
    voted_at timestamptz NOT NULL,
    handled_at timestamptz
);
CREATE TABLE IF NOT EXISTS qa_record_secret (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    secret text NOT NULL
);
"""
# Any constant: the key of the advisory lock that lets only one process create the tables.
SET_UP_LOCK = 7_146_025_119
# Recording must not hold a worker's thread long when the database is slow or gone.
CONNECT_SECONDS = 3
STATEMENT_MILLISECONDS = 3000


class PostgresRecords(QuestionRecords):
    """Rows in PostgreSQL; each thread keeps one connection."""

    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._connections_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PostgresRecords({psycopg.conninfo.conninfo_to_dict(self.url).get('dbname')!r})"

    def set_up(self) -> None:
        with self._transaction() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (SET_UP_LOCK,))
            connection.execute(SCHEMA)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.broken:
            connection = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_SECONDS,
                                         options=f"-c statement_timeout={STATEMENT_MILLISECONDS}")
            self._local.connection = connection
            with self._connections_lock:
                self._connections = [c for c in self._connections if not c.closed] + [connection]
        with connection.transaction():
            yield connection

    def close(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    def record(self, asking: Asking) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO qa_questions (question, declined, confidence, corpus_version, documents, count, "
                "first_seen, last_seen) VALUES (%s, %s, %s, %s, %s, 1, %s, %s) ON CONFLICT (question) DO UPDATE SET "
                "declined = excluded.declined, confidence = excluded.confidence, corpus_version = "
                "excluded.corpus_version, documents = excluded.documents, count = qa_questions.count + 1, "
                "last_seen = excluded.last_seen",
                (asking.question, not asking.found, asking.confidence, asking.corpus_version,
                 list(asking.documents), asking.at, asking.at))
            connection.execute("INSERT INTO qa_question_days (day, declined, count) VALUES (%s, %s, 1) ON CONFLICT "
                               "(day, declined) DO UPDATE SET count = qa_question_days.count + 1",
                               (asking.at.date(), not asking.found))

    def vote(self, vote: Vote) -> bool:
        with self._transaction() as connection:
            inserted = connection.execute(
                "INSERT INTO qa_feedback (answer_key, helpful, comment, question, quotes, confidence, "
                "corpus_version, voted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (answer_key) DO "
                "NOTHING", (vote.answer_key, vote.helpful, vote.comment, vote.question, json.dumps(vote.quotes),
                            vote.confidence, vote.corpus_version, vote.voted_at))
            return inserted.rowcount == 1

    def questions(self) -> list[QuestionRecord]:
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT question, declined, confidence, corpus_version, documents, count, first_seen, last_seen, "
                "handled_at FROM qa_questions ORDER BY count DESC, last_seen DESC").fetchall()
        return [QuestionRecord(q, d, c, v, tuple(docs), n, first, last, handled)
                for q, d, c, v, docs, n, first, last, handled in rows]

    def votes(self) -> list[Vote]:
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT answer_key, helpful, comment, question, quotes, confidence, corpus_version, voted_at, "
                "handled_at FROM qa_feedback ORDER BY voted_at DESC").fetchall()
        return [Vote(key, helpful, comment, question, tuple(tuple(q) for q in quotes), confidence, version, voted,
                     handled)
                for key, helpful, comment, question, quotes, confidence, version, voted, handled in rows]

    def days(self) -> list[DayCount]:
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT day, SUM(count)::bigint, SUM(CASE WHEN declined THEN count ELSE 0 END)::bigint "
                "FROM qa_question_days GROUP BY day ORDER BY day").fetchall()
        return [DayCount(*row) for row in rows]

    def mark_handled(self, questions: list[str], answer_keys: list[str], at: datetime) -> int:
        with self._transaction() as connection:
            marked = connection.execute("UPDATE qa_questions SET handled_at = %s WHERE question = ANY(%s)",
                                        (at, questions)).rowcount
            return marked + connection.execute("UPDATE qa_feedback SET handled_at = %s WHERE answer_key = ANY(%s)",
                                               (at, answer_keys)).rowcount

    def purge(self, before: datetime) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM qa_questions WHERE last_seen < %s", (before,))
            connection.execute("DELETE FROM qa_feedback WHERE voted_at < %s", (before,))
            connection.execute("DELETE FROM qa_question_days WHERE day < %s", (before.date(),))

    def secret(self) -> bytes:
        with self._transaction() as connection:
            connection.execute("INSERT INTO qa_record_secret (secret) VALUES (%s) ON CONFLICT DO NOTHING",
                               (secrets.token_hex(32),))
            return bytes.fromhex(connection.execute("SELECT secret FROM qa_record_secret").fetchone()[0])
