"""What the Procfile's worker answers itself when gunicorn's parser refuses a request (qa_service.worker): the
service's one JSON error shape with its security headers, and the status the refusal calls for. The same replies
over a real socket are in tests/e2e/test_raw_requests.py."""

from __future__ import annotations

import json

import pytest
from gunicorn.config import Config
from gunicorn.http import errors as http_errors

from qa_service.security import SECURITY_HEADERS
from qa_service.worker import parse_error_reply


def read(response: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = dict(field.split(": ", 1) for field in fields)
    assert int(headers["Content-Length"]) == len(body)
    return int(status_line.split()[1]), headers, json.loads(body)


@pytest.mark.parametrize("refusal, status, code", [
    (http_errors.LimitRequestLine(5000, 4094), 414, "uri_too_long"),
    (http_errors.LimitRequestHeaders("too many headers"), 431, "headers_too_large"),
    (http_errors.InvalidRequestLine("GET"), 400, "malformed_request"),
    (http_errors.InvalidHTTPVersion("HTTP/9.9"), 400, "malformed_request"),
    (http_errors.InvalidHeaderName("Bad Name"), 400, "malformed_request"),
    (http_errors.InvalidChunkSize(b"zz"), 400, "malformed_chunked_body"),
    (http_errors.UnsupportedTransferCoding("foo"), 400, "unsupported_transfer_coding"),
    (http_errors.ExpectationFailed("teapot"), 417, "expectation_failed"),
])
def test_a_refused_request_gets_the_json_error_shape(refusal: Exception, status: int, code: str):
    got_status, headers, body = read(parse_error_reply(refusal, Config()))

    assert got_status == status
    assert headers["Content-Type"] == "application/json" and headers["Connection"] == "close"
    assert all(headers[name] == value for name, value in SECURITY_HEADERS.items())
    assert body["error"]["code"] == code and body["error"]["message"]


def test_the_limits_named_are_the_servers_own():
    config = Config()
    config.set("limit_request_line", 2048)
    config.set("limit_request_fields", 50)
    config.set("limit_request_field_size", 4000)

    line = read(parse_error_reply(http_errors.LimitRequestLine(3000, 2048), config))[2]["error"]["message"]
    headers = read(parse_error_reply(http_errors.LimitRequestHeaders("x"), config))[2]["error"]["message"]

    assert "2048 bytes" in line
    assert "50 headers" in headers and "4000 bytes" in headers


def test_what_the_parser_quotes_of_the_request_is_cut_short():
    message = read(parse_error_reply(http_errors.InvalidRequestLine("G" * 10_000), Config()))[2]["error"]["message"]

    assert len(message) < 400 and message.endswith("…")


@pytest.mark.parametrize("error", [RuntimeError("a bug"), http_errors.ConfigurationProblem("bad setting"),
                                   http_errors.InvalidResponseHeaderName("Bad Name")])
def test_an_error_that_is_not_the_clients_is_left_to_the_500_path(error: Exception):
    assert parse_error_reply(error, Config()) is None
