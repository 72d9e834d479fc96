"""The gunicorn worker's pieces that need no server: how much of a request the main loop waits for, and the replies
it makes itself. tests/e2e/test_overload.py runs the worker itself."""

from __future__ import annotations

import json

import pytest

from qa_service.security import SECURITY_HEADERS
from qa_service.worker import DOOR_BUFFER_BYTES, reply, request_length


def head(*fields: str) -> bytearray:
    return bytearray(("POST /api/ask HTTP/1.1\r\nHost: qa\r\n" + "".join(f"{f}\r\n" for f in fields) + "\r\n").encode())


@pytest.mark.parametrize(("fields", "body", "whole"), [
    ((), 0, True),  # no body
    (("Content-Length: 30",), 30, True),
    (("content-length:   30  ",), 30, True),
    (("Content-Length: 30", "Transfer-Encoding: chunked"), 0, False),  # the parser refuses both: a thread's job
    (("Transfer-Encoding: chunked",), 0, False),
    (("Content-Length: 30", "Expect: 100-continue"), 0, False),  # the client waits for "100 Continue"
    (("Content-Length: 30", "Content-Length: 31"), 0, False),
    (("Content-Length: -1",), 0, False),
    ((f"Content-Length: {DOOR_BUFFER_BYTES}",), 0, False),  # more than the door holds
])
def test_the_main_loop_waits_for_a_body_only_when_its_length_is_known_and_fits(fields, body, whole):
    received = head(*fields)

    assert request_length(received, len(received)) == (len(received) + body, whole)


def test_a_reply_is_whole_closes_the_connection_and_has_the_error_shape_and_security_headers():
    raw = reply(503, "Service Unavailable", "overloaded", "Busy.", {"Retry-After": "1"})

    status_line, _, rest = raw.partition(b"\r\n")
    fields, _, body = rest.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in fields.decode().split("\r\n"))
    assert status_line == b"HTTP/1.1 503 Service Unavailable"
    assert int(headers["Content-Length"]) == len(body)
    assert headers["Connection"] == "close" and headers["Retry-After"] == "1"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"error": {"code": "overloaded", "message": "Busy."}}
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value
