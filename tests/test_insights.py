"""What readers could not find: question recording (off, declined, all), votes on answers (POST /api/feedback),
and the editors' report and exports; every reply fits the OpenAPI document."""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from jsonschema import Draft202012Validator
from postgres.server import postgres_installed

from qa_service import create_app, state
from qa_service.openapi import openapi_document
from qa_service.records import Asking

TOKEN = "correct-horse-battery-staple"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
READER = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "ReaderBrowser/9.9", "HTTP_COOKIE": "session=s3cr3t"}
DECLINED = "Who won the 1998 football World Cup?"
ANSWERED = "What are the common side effects of Keppra?"
OPENAPI = openapi_document()


def documented(response, path: str):
    operation = OPENAPI["paths"][path][response.request.method.lower()]
    entry = operation["responses"].get(str(response.status_code))
    assert entry is not None, f"{path} answered {response.status_code}, which is not documented"
    if "content" in entry and "application/json" in entry["content"]:
        schema = entry["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": OPENAPI["components"]}).validate(response.get_json())
    return response


@pytest.fixture
def records_file(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "questions.sqlite3"


@pytest.fixture
def make_client(corpus_dir: Path, records_file: Path):
    def _make(mode: str = "declined", **settings):
        return create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 3600, "QA_ADMIN_TOKEN": TOKEN,
                           "QA_RECORD_QUESTIONS": mode, "QA_RECORD_FILE": str(records_file),
                           "QA_RATE_LIMIT_EXEMPT": "none", **settings}).test_client()
    return _make


def ask(client, question: str) -> dict:
    reply = documented(client.post("/api/ask", json={"question": question}, environ_base=READER), "/api/ask")
    assert reply.status_code == 200
    return reply.get_json()


def report(client) -> dict:
    reply = documented(client.get("/api/insights", headers=AUTH), "/api/insights")
    assert reply.status_code == 200
    return reply.get_json()


def vote(client, answer_id: str, helpful: bool = False, **extra):
    return documented(client.post("/api/feedback", json={"answer_id": answer_id, "helpful": helpful, **extra},
                                  environ_base=READER), "/api/feedback")


def test_a_declined_question_appears_with_its_count_after_three_askings_and_never_with_an_address(
        make_client, records_file):
    client = make_client("declined")
    for text in (DECLINED, DECLINED.upper(), f"  {DECLINED}  "):
        assert ask(client, text)["found"] is False

    groups = report(client)["groups"]
    exported = client.get("/api/insights/export.json", headers=AUTH).get_data(as_text=True)
    stored = b"".join(p.read_bytes() for p in records_file.parent.iterdir())

    assert [(q["question"], q["count"]) for g in groups for q in g["questions"]] == [(DECLINED.lower(), 3)]
    assert groups[0]["questions"][0]["ask_url"] == "/?q=who+won+the+1998+football+world+cup%3F"
    for trace in ("203.0.113.77", "ReaderBrowser", "s3cr3t"):
        assert trace not in exported
        assert trace.encode() not in stored


def test_recording_off_stores_nothing_and_answers_carry_no_answer_id(make_client, records_file):
    client = make_client("off")

    reply = ask(client, DECLINED)
    refused = vote(client, "anything")

    assert reply["answer_id"] is None
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "feedback_disabled"
    assert report(client)["groups"] == [] and report(client)["recording"] == "off"
    assert not records_file.parent.exists()


@pytest.mark.skipif(not postgres_installed(), reason="the PostgreSQL server programs are not installed")
def test_recording_off_stores_nothing_in_postgresql(corpus_dir, database_url):
    client = create_app({"QA_CORPUS": str(corpus_dir), "DATABASE_URL": database_url}).test_client()

    ask(client, DECLINED)

    with psycopg.connect(database_url) as connection:
        tables = {row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert "qa_questions" not in tables and "qa_feedback" not in tables


@pytest.mark.skipif(not postgres_installed(), reason="the PostgreSQL server programs are not installed")
def test_with_a_database_the_questions_are_recorded_in_it(corpus_dir, database_url, records_file):
    client = create_app({"QA_CORPUS": str(corpus_dir), "DATABASE_URL": database_url, "QA_ADMIN_TOKEN": TOKEN,
                         "QA_RECORD_QUESTIONS": "declined"}).test_client()

    ask(client, DECLINED)
    state.recorder(client.application).flush()

    with psycopg.connect(database_url) as connection:
        assert connection.execute("SELECT question, count FROM qa_questions").fetchall() == [(DECLINED.lower(), 1)]
    assert not records_file.parent.exists()


def test_declined_records_no_answered_question_and_all_records_both(make_client, records_file):
    declined_only = make_client("declined")
    ask(declined_only, ANSWERED)
    ask(declined_only, DECLINED)
    state.recorder(declined_only.application).flush()
    with sqlite3.connect(records_file) as db:
        assert db.execute("SELECT question FROM qa_questions").fetchall() == [(DECLINED.lower(),)]

    everything = make_client("all")
    ask(everything, ANSWERED)
    exported = everything.get("/api/insights/export.json", headers=AUTH).get_json()["questions"]
    assert {(q["question"], q["declined"]) for q in exported} == {(ANSWERED.lower(), False),
                                                                   (DECLINED.lower(), True)}


def test_small_talk_is_never_recorded_and_gets_no_answer_id(make_client, records_file):
    everything = make_client("all")
    for said in ("Hello", "thanks!", "bye"):
        assert ask(everything, said)["answer_id"] is None
    ask(everything, DECLINED)
    state.recorder(everything.application).flush()
    with sqlite3.connect(records_file) as db:
        assert db.execute("SELECT question FROM qa_questions").fetchall() == [(DECLINED.lower(),)]


def test_recording_does_not_change_the_answer(make_client):
    recorded, unrecorded = make_client("all"), make_client("off")

    for question in (ANSWERED, DECLINED):
        with_recording, without = ask(recorded, question), ask(unrecorded, question)
        for reply in (with_recording, without):
            del reply["took_ms"], reply["answer_id"]
        assert with_recording == without


def test_an_unreachable_records_store_never_breaks_an_answer_and_the_loss_is_logged(make_client, caplog,
                                                                                     monkeypatch):
    client = make_client("all")
    recorder = state.recorder(client.application)

    def unreachable(_asking):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(recorder.records, "record", unreachable)
    with caplog.at_level(logging.WARNING, logger="qa_service.recording"):
        reply = ask(client, ANSWERED)
        recorder.flush()

    assert reply["found"] is True
    assert recorder.lost == 1
    assert "question recording failed (1 question not recorded; 1 lost since start)" in caplog.text


def test_records_older_than_the_retention_are_purged_automatically(make_client):
    client = make_client("declined", QA_RECORD_DAYS=90)
    recorder = state.recorder(client.application)
    recorder.records.record(Asking("an old question", False, 0.1, "v0", (),
                                   datetime.now(UTC) - timedelta(days=91)))

    ask(client, DECLINED)

    assert [q["question"] for g in report(client)["groups"] for q in g["questions"]] == [DECLINED.lower()]


# --- votes ----------------------------------------------------------------------------------------------------


def test_an_unhelpful_vote_is_listed_with_the_quote_the_reader_got(make_client):
    client = make_client("declined")
    answer = ask(client, ANSWERED)

    accepted = vote(client, answer["answer_id"], comment="  It does not say how  often. ")
    listed = report(client)["unhelpful"]

    assert accepted.status_code == 201
    assert [(v["question"], v["comment"]) for v in listed] == [(ANSWERED.lower(), "It does not say how often.")]
    assert [q["text"] for q in listed[0]["quotes"]] == [q["text"] for q in answer["quotes"]]
    assert report(client)["groups"] == []  # declined mode: an answered question is kept only with its vote


def test_a_second_vote_on_the_same_answer_is_409(make_client):
    client = make_client("declined")
    answer_id = ask(client, ANSWERED)["answer_id"]

    assert vote(client, answer_id, helpful=True).status_code == 201
    second = vote(client, answer_id, helpful=False)

    assert second.status_code == 409 and second.get_json()["error"]["code"] == "already_voted"
    assert report(client)["votes"] == {"helpful": 1, "unhelpful": 0}


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"answer_id": "forged.signature", "helpful": True}, 400, "invalid_answer_id"),
    ({"helpful": True}, 400, "invalid_answer_id"),
    ({"answer_id": "x" * 9000, "helpful": True}, 400, "invalid_answer_id"),
    ({"answer_id": "VALID", "helpful": "yes"}, 400, "invalid_feedback"),
    ({"answer_id": "VALID", "helpful": False, "comment": 42}, 400, "invalid_feedback"),
    ({"answer_id": "VALID", "helpful": False, "comment": "x" * 501}, 413, "comment_too_long"),
])
def test_invalid_feedback_is_refused_with_its_status_and_nothing_is_kept(make_client, body, status, code):
    client = make_client("declined")
    answer_id = ask(client, ANSWERED)["answer_id"]
    body = {k: answer_id if v == "VALID" else v for k, v in body.items()}

    reply = documented(client.post("/api/feedback", json=body), "/api/feedback")

    assert (reply.status_code, reply.get_json()["error"]["code"]) == (status, code)
    assert report(client)["votes"] == {"helpful": 0, "unhelpful": 0}


def test_an_answer_id_altered_by_the_reader_is_refused(make_client):
    client = make_client("declined")
    answer_id = ask(client, ANSWERED)["answer_id"]
    body, _, signature = answer_id.partition(".")

    assert vote(client, body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature).status_code == 400


def test_feedback_is_rate_limited_like_asking(make_client):
    client = make_client("declined", QA_RATE_LIMIT_ASK="2/minute")
    answer_ids = [ask(client, ANSWERED)["answer_id"]]
    answer_ids.append(ask(client, DECLINED)["answer_id"])

    statuses = [vote(client, answer_id).status_code for answer_id in answer_ids * 2]

    assert statuses[:2] == [201, 201] and statuses[2] == 429


# --- the editors' side ----------------------------------------------------------------------------------------


def test_the_same_question_in_other_words_is_one_group_led_by_the_most_asked(make_client):
    client = make_client("declined")
    for question in ("What is the boiling point of mercury?", "At what temperature does mercury boil?",
                     "What is the boiling point of mercury?", DECLINED):
        assert ask(client, question)["found"] is False

    groups = report(client)["groups"]

    assert [[q["question"] for q in g["questions"]] for g in groups] == [
        ["what is the boiling point of mercury?", "at what temperature does mercury boil?"], [DECLINED.lower()]]
    assert groups[0]["count"] == 3


def test_without_the_semantic_stage_questions_sharing_their_terms_are_grouped(make_client):
    client = make_client("declined", QA_SEMANTIC="off")
    for question in ("Who won the 1998 football World Cup?", "1998 World Cup: who won the football?",
                     "What is the capital of Mongolia?"):
        ask(client, question)

    groups = report(client)["groups"]

    assert [len(g["questions"]) for g in groups] == [2, 1]


def test_a_group_marked_handled_leaves_the_report_until_it_is_asked_again(make_client):
    client = make_client("declined")
    ask(client, DECLINED)
    answer_id = ask(client, ANSWERED)["answer_id"]
    vote(client, answer_id)
    before = report(client)
    group = [q["question"] for q in before["groups"][0]["questions"]]

    marked = documented(client.post("/api/insights/handled", json={"questions": group, "answers": [
        before["unhelpful"][0]["answer_key"]]}, headers=AUTH), "/api/insights/handled")

    assert marked.get_json() == {"marked": 2}
    assert report(client)["groups"] == [] and report(client)["unhelpful"] == []
    ask(client, DECLINED)
    assert [g["count"] for g in report(client)["groups"]] == [2]


def test_the_report_counts_questions_per_day(make_client):
    client = make_client("all")
    ask(client, ANSWERED)
    ask(client, DECLINED)

    assert report(client)["days"] == [{"day": datetime.now(UTC).date().isoformat(), "asked": 2, "declined": 1}]


def test_the_csv_export_has_a_row_per_question_and_vote_and_never_a_formula(make_client):
    client = make_client("declined")
    ask(client, "=HYPERLINK(\"http://evil.example\") who won?")
    vote(client, ask(client, ANSWERED)["answer_id"], comment="@SUM(A1) wrong")

    reply = client.get("/api/insights/export.csv", headers=AUTH)
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))

    assert reply.mimetype == "text/csv"
    assert "attachment" in reply.headers["Content-Disposition"]
    assert [(r["kind"], r["question"][:2], r["comment"]) for r in rows] == [
        ("question", "'=", ""), ("vote", "wh", "'@SUM(A1) wrong")]


@pytest.mark.parametrize("path", ["/api/insights", "/api/insights/export.json", "/api/insights/export.csv"])
def test_the_report_and_exports_need_the_admin_token(make_client, path):
    client = make_client("declined")

    assert client.get(path).status_code == 401
    assert client.post("/api/insights/handled", json={"questions": []}).status_code == 401


def test_without_the_signing_key_answers_go_out_without_an_id_and_the_records_are_not_asked_again_at_once(
        make_client, monkeypatch):
    client = make_client("declined")
    recorder = state.recorder(client.application)
    attempts = []

    def unreachable():
        attempts.append(1)
        raise OSError("cannot connect to PostgreSQL")

    monkeypatch.setattr(recorder.records, "secret", unreachable)

    replies = [ask(client, ANSWERED) for _ in range(3)]

    assert [r["answer_id"] for r in replies] == [None, None, None]
    assert all(r["found"] for r in replies)
    assert len(attempts) == 1
