"""What readers could not find, over HTTP: readers' votes on answers (POST /api/feedback), and for holders of an
admin token the report the editor page shows (GET /api/insights), marking a group handled, and exports of
everything recorded as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, url_for

from .api import read_json_body
from .config import MAX_ANSWER_ID_CHARS, MAX_FEEDBACK_COMMENT, MAX_HANDLED
from .errors import ApiError
from .question_groups import group_questions
from .recording import InvalidAnswerId
from .records import QuestionRecord, Vote
from .state import live_corpus, recorder
from .writes import require_admin_token

bp = Blueprint("insights", __name__)

# The report groups the most asked open questions only: grouping embeds each one, and a page lists what it can show.
MAX_REPORTED_QUESTIONS = 500
# A spreadsheet runs a cell that starts with one of these as a formula: a reader's text must never be one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def records_unavailable() -> ApiError:
    return ApiError(503, "records_unavailable", "The question records cannot be reached now; try again later.",
                    {"Retry-After": "5"})


@bp.post("/api/feedback")
def feedback():
    """A reader marks an answer helpful or not, with an optional comment; one vote per answer id."""
    body = read_json_body()
    answers = recorder()
    if not answers.enabled:
        raise ApiError(403, "feedback_disabled", "This server does not record readers' questions or votes "
                       "(QA_RECORD_QUESTIONS is off).")
    answer_id, helpful, comment = body.get("answer_id"), body.get("helpful"), body.get("comment")
    if not isinstance(answer_id, str) or not answer_id or len(answer_id) > MAX_ANSWER_ID_CHARS:
        raise ApiError(400, "invalid_answer_id", "Give the 'answer_id' string of the answer, as POST /api/ask "
                       "returned it.")
    if not isinstance(helpful, bool):
        raise ApiError(400, "invalid_feedback", "'helpful' must be true or false.")
    if comment is not None and not isinstance(comment, str):
        raise ApiError(400, "invalid_feedback", "'comment' must be a string.")
    comment = " ".join((comment or "").split())
    if len(comment) > MAX_FEEDBACK_COMMENT:
        raise ApiError(413, "comment_too_long", f"The comment is {len(comment)} characters long; the limit is "
                       f"{MAX_FEEDBACK_COMMENT}.")
    try:
        answered = answers.read_answer_id(answer_id)
    except InvalidAnswerId:
        raise ApiError(400, "invalid_answer_id", "This is not an answer id this service gave: send the "
                       "'answer_id' of a POST /api/ask reply unchanged.") from None
    vote = Vote(answered.key, helpful, comment, answered.question, answered.quotes, answered.confidence,
                answered.corpus_version, datetime.now(UTC))
    try:
        kept = answers.records.vote(vote)
    except Exception as error:  # whatever the records store raises: the reader gets a 503, the log the cause
        answers.report_failure(error, "1 vote not recorded")
        raise records_unavailable() from None
    if not kept:
        raise ApiError(409, "already_voted", "This answer has already been marked; one vote per answer.")
    response = jsonify({"helpful": helpful, "comment": comment})
    response.status_code = 201
    return response


def ask_again_url(question: str) -> str:
    """The chat page asking this question again."""
    return url_for("web.chat") + "?" + urlencode({"q": question})


def question_json(record: QuestionRecord) -> dict:
    return {
        "question": record.question,
        "count": record.count,
        "declined": record.declined,
        "confidence": round(record.confidence, 3),
        "corpus_version": record.corpus_version,
        "documents": list(record.documents),
        "first_seen": record.first_seen.isoformat(),
        "last_seen": record.last_seen.isoformat(),
        "handled_at": record.handled_at.isoformat() if record.handled_at else None,
        "ask_url": ask_again_url(record.question),
    }


def vote_json(vote: Vote) -> dict:
    return {
        "answer_key": vote.answer_key,
        "helpful": vote.helpful,
        "comment": vote.comment,
        "question": vote.question,
        "quotes": [{"document": document, "text": text} for document, text in vote.quotes],
        "confidence": vote.confidence,
        "corpus_version": vote.corpus_version,
        "voted_at": vote.voted_at.isoformat(),
        "handled_at": vote.handled_at.isoformat() if vote.handled_at else None,
        "ask_url": ask_again_url(vote.question),
    }


def grouped(records: list[QuestionRecord]) -> list[list[QuestionRecord]]:
    positions = group_questions([r.question for r in records], live_corpus().encoder)
    return [[records[p] for p in group] for group in positions]


def read_records() -> tuple[list[QuestionRecord], list[Vote], list]:
    answers = recorder()
    if not answers.enabled:
        return [], [], []
    answers.flush()
    try:
        return answers.records.questions(), answers.records.votes(), answers.records.days()
    except Exception as error:  # whatever the records store raises: the editor gets a 503, the log the cause
        answers.report_failure(error, "report not read")
        raise records_unavailable() from None


@bp.get("/api/insights")
def report():
    """Questions the corpus could not answer (open ones, grouped, most asked first), answers marked unhelpful,
    and the questions asked and declined per day."""
    require_admin_token()
    questions, votes, days = read_records()
    declined = [r for r in questions if r.declined and r.open][:MAX_REPORTED_QUESTIONS]
    groups = [{"count": sum(r.count for r in group),
               "last_seen": max(r.last_seen for r in group).isoformat(),
               "questions": [question_json(r) for r in group]} for group in grouped(declined)]
    groups.sort(key=lambda g: g["count"], reverse=True)
    return jsonify({
        "recording": recorder().mode,
        "lost": recorder().lost,
        "groups": groups,
        "unhelpful": [vote_json(v) for v in votes if not v.helpful and v.handled_at is None],
        "votes": {"helpful": sum(v.helpful for v in votes), "unhelpful": sum(not v.helpful for v in votes)},
        "days": [{"day": d.day.isoformat(), "asked": d.asked, "declined": d.declined} for d in days],
    })


@bp.post("/api/insights/handled")
def mark_handled():
    """Mark questions (a group of them) and unhelpful answers handled: they leave the report until asked again."""
    require_admin_token()
    body = read_json_body()
    questions, answer_keys = body.get("questions", []), body.get("answers", [])
    for name, values in (("questions", questions), ("answers", answer_keys)):
        if (not isinstance(values, list) or len(values) > MAX_HANDLED
                or not all(isinstance(v, str) and v for v in values)):
            raise ApiError(400, "invalid_request", f"'{name}' must be a list of at most {MAX_HANDLED} strings.")
    answers = recorder()
    if not answers.enabled:
        raise ApiError(403, "recording_off", "This server records no questions (QA_RECORD_QUESTIONS is off).")
    answers.flush()
    try:
        marked = answers.records.mark_handled(questions, answer_keys, datetime.now(UTC))
    except Exception as error:  # whatever the records store raises: the editor gets a 503, the log the cause
        answers.report_failure(error, "not marked handled")
        raise records_unavailable() from None
    return jsonify({"marked": marked})


@bp.get("/api/insights/export.json")
def export_json():
    """Everything recorded: every question (with its group) and every vote."""
    require_admin_token()
    questions, votes, days = read_records()
    group_of = {r.question: n for n, group in enumerate(grouped(questions), start=1) for r in group}
    response = jsonify({
        "recording": recorder().mode,
        "questions": [{**question_json(r), "group": group_of[r.question]} for r in questions],
        "votes": [vote_json(v) for v in votes],
        "days": [{"day": d.day.isoformat(), "asked": d.asked, "declined": d.declined} for d in days],
    })
    response.headers["Content-Disposition"] = 'attachment; filename="reader-questions.json"'
    return response


CSV_COLUMNS = ("kind", "group", "question", "count", "declined", "helpful", "comment", "quotes", "documents",
               "confidence", "corpus_version", "first_seen", "last_seen", "handled_at")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@bp.get("/api/insights/export.csv")
def export_csv():
    """The same as export.json, one row per question or vote ("kind"), for a spreadsheet."""
    require_admin_token()
    questions, votes, _ = read_records()
    group_of = {r.question: n for n, group in enumerate(grouped(questions), start=1) for r in group}
    rows = [("question", group_of[r.question], r.question, r.count, r.declined, "", "", "", " ".join(r.documents),
             round(r.confidence, 3), r.corpus_version, r.first_seen.isoformat(), r.last_seen.isoformat(),
             r.handled_at.isoformat() if r.handled_at else "") for r in questions]
    rows += [("vote", "", v.question, 1, "", v.helpful, v.comment,
              " | ".join(f"{document}: {text}" for document, text in v.quotes), " ".join(d for d, _ in v.quotes),
              v.confidence, v.corpus_version, v.voted_at.isoformat(), v.voted_at.isoformat(),
              v.handled_at.isoformat() if v.handled_at else "") for v in votes]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([cell(value) for value in row] for row in rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="reader-questions.csv"'})
