"""What every question records store does: the SQLite file and PostgreSQL pass the same tests, run against each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from postgres.server import postgres_installed

from qa_service.records import Asking, PostgresRecords, SqliteRecords, Vote, normalised

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def records(request, tmp_path: Path):
    if request.param == "sqlite":
        yield SqliteRecords(tmp_path / "instance" / "questions.sqlite3")
        return
    if not postgres_installed():
        pytest.skip("the PostgreSQL server programs (initdb, postgres) are not installed")
    opened = PostgresRecords(request.getfixturevalue("database_url"))
    opened.set_up()
    yield opened
    opened.close()


def asking(question: str, found: bool = False, at: datetime = NOW, documents: tuple[str, ...] = ()) -> Asking:
    return Asking(normalised(question), found, 0.9 if found else 0.1, "v1", documents, at)


def vote(key: str, helpful: bool = False, at: datetime = NOW) -> Vote:
    return Vote(key, helpful, "Not what I asked.", "what is keppra?", (("keppra-article", "Keppra is a drug."),),
                0.7, "v1", at)


def test_a_repeated_question_is_counted_not_stored_twice(records):
    for n, text in enumerate(["Who won in 1998?", "who won in  1998?", "WHO WON IN 1998?"]):
        records.record(asking(text, at=NOW + timedelta(minutes=n)))

    [kept] = records.questions()

    assert (kept.question, kept.count, kept.declined) == ("who won in 1998?", 3, True)
    assert (kept.first_seen, kept.last_seen) == (NOW, NOW + timedelta(minutes=2))


def test_a_question_keeps_its_last_outcome_and_the_documents_it_quoted(records):
    records.record(asking("What is Keppra?"))
    records.record(asking("What is Keppra?", found=True, documents=("keppra-article",)))

    [kept] = records.questions()

    assert (kept.declined, kept.documents, kept.count) == (False, ("keppra-article",), 2)


def test_questions_come_most_asked_first(records):
    records.record(asking("rare"))
    for _ in range(3):
        records.record(asking("common"))

    assert [q.question for q in records.questions()] == ["common", "rare"]


def test_a_second_vote_on_one_answer_is_refused(records):
    assert records.vote(vote("answer-1"))
    assert not records.vote(vote("answer-1", helpful=True))

    [kept] = records.votes()

    assert (kept.helpful, kept.quotes) == (False, (("keppra-article", "Keppra is a drug."),))


def test_days_count_the_asked_and_the_declined(records):
    records.record(asking("a"))
    records.record(asking("b", found=True))
    records.record(asking("a", at=NOW + timedelta(days=1)))

    assert [(d.day.isoformat(), d.asked, d.declined) for d in records.days()] == [
        ("2026-03-14", 2, 1), ("2026-03-15", 1, 1)]


def test_a_handled_question_is_open_again_once_asked_again(records):
    records.record(asking("who won in 1998?"))
    records.vote(vote("answer-1"))

    assert records.mark_handled(["who won in 1998?"], ["answer-1"], NOW + timedelta(minutes=1)) == 2
    assert not records.questions()[0].open
    assert records.votes()[0].handled_at == NOW + timedelta(minutes=1)

    records.record(asking("who won in 1998?", at=NOW + timedelta(minutes=2)))
    assert records.questions()[0].open


def test_purge_drops_what_is_older_than_the_retention(records):
    records.record(asking("old", at=NOW - timedelta(days=100)))
    records.record(asking("new"))
    records.vote(vote("old-answer", at=NOW - timedelta(days=100)))
    records.vote(vote("new-answer"))

    records.purge(NOW - timedelta(days=90))

    assert [q.question for q in records.questions()] == ["new"]
    assert [v.answer_key for v in records.votes()] == ["new-answer"]
    assert [d.day for d in records.days()] == [NOW.date()]


def test_the_signing_secret_is_made_once_and_kept(records):
    assert records.secret() == records.secret()
    assert len(records.secret()) == 32
