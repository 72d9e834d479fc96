"""Request logs: one JSON line per request with its facts, and nothing a reader or an editor would not share."""

from __future__ import annotations

import json
import logging

import pytest

from qa_service import create_app

SECRET_QUESTION = "Could my neighbour's prescription of Keppra 500 mg be mixed up with mine?"
TOKEN = "s3cret-admin-token-that-must-never-be-logged"


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.INFO, logger="qa_service.requests")

    def lines() -> list[dict]:
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == "qa_service.requests"]

    return lines


def test_each_request_logs_one_line_with_its_facts(client, request_log):
    client.post("/api/ask", json={"question": "What is Keppra?"})
    client.get("/nowhere")

    first, second = request_log()
    assert first["method"] == "POST"
    assert first["path"] == "/api/ask"
    assert first["status"] == 200
    assert first["duration_ms"] >= 0
    assert first["client"] == "127.0.0.1"
    assert first["corpus_version"] == client.get("/api/corpus").get_json()["version"]
    assert (second["method"], second["path"], second["status"]) == ("GET", "/nowhere", 404)


def test_a_log_line_is_one_line_whatever_the_path(client, caplog):
    caplog.set_level(logging.INFO, logger="qa_service.requests")

    client.get("/a%0Ab%0D%0A%22c")

    (record,) = [r for r in caplog.records if r.name == "qa_service.requests"]
    assert "\n" not in record.getMessage() and "\r" not in record.getMessage()
    assert json.loads(record.getMessage())["path"] == '/a\nb\r\n"c'


def test_questions_are_not_logged_by_default(client, caplog, request_log):
    client.post("/api/ask", json={"question": SECRET_QUESTION})

    assert "question" not in request_log()[0]
    assert "neighbour" not in caplog.text


def test_questions_are_logged_when_asked_for(corpus_dir, request_log):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_LOG_QUESTIONS": "on"})

    app.test_client().post("/api/ask", json={"question": SECRET_QUESTION})

    assert request_log()[0]["question"] == SECRET_QUESTION


def test_a_refused_question_is_not_read_again_for_the_log(corpus_dir, request_log):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_LOG_QUESTIONS": "on"})

    app.test_client().post("/api/ask", data="x" * 70_000, content_type="application/json")

    line = request_log()[0]
    assert line["status"] == 413
    assert "question" not in line


def test_the_authorization_header_is_never_logged(client, caplog, request_log):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    client.post("/api/ask", json={"question": "What is Keppra?"}, headers=headers)
    client.put("/api/documents/notes", data="New notes.", content_type="text/plain", headers=headers)
    client.delete("/api/documents/notes", headers=headers)

    assert len(request_log()) == 3
    assert TOKEN not in caplog.text


def test_rate_limited_requests_are_logged_with_their_status(corpus_dir, request_log):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RATE_LIMIT_ASK": "1/minute", "QA_RATE_LIMIT_EXEMPT": "none"})
    client = app.test_client()

    client.post("/api/ask", json={"question": "What is Keppra?"})
    client.post("/api/ask", json={"question": "What is Keppra?"})

    assert [line["status"] for line in request_log()] == [200, 429]
    assert request_log()[1]["duration_ms"] >= 0
