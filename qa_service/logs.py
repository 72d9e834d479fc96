"""Request logs: one JSON line per request, with no question text unless asked for and never a credential."""

from __future__ import annotations

import json
import logging
import os
import time

from flask import Flask, Response, g, request

from .state import live_corpus, settings

log = logging.getLogger("qa_service.requests")

ASK_ENDPOINT = "api.ask"


def start_clock() -> None:
    g.request_started = time.perf_counter()


def request_record(response: Response) -> dict:
    """What one log line says about a request; the headers (and with them any token) are left out on purpose."""
    started = g.get("request_started")
    record = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started is not None else None,
        # The served corpus, not current(): logging must not read the store (a database query) or start a rebuild.
        "corpus_version": live_corpus().served.version,
        "client": request.remote_addr,
        "pid": os.getpid(),
    }
    # Only an answered question is logged: its body has been read and parsed already, so logging it reads
    # nothing more from the client.
    if (settings().qa_log_questions and request.endpoint == ASK_ENDPOINT
            and response.status_code == 200):
        body = g.get("json_body")
        if isinstance(body, dict):
            record["question"] = body.get("question")
    return record


def log_request(response: Response) -> Response:
    log.info(json.dumps(request_record(response)))
    return response


def init_app(app: Flask) -> None:
    app.before_request(start_clock)
    app.after_request(log_request)
