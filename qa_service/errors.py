"""Errors: the one JSON error shape, {"error": {"code", "message"}}, and the handlers that produce it."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import ClientDisconnected, HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error meant for the client: an HTTP status, a stable code, and a message a person can act on."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_body(code: str, message: str) -> dict:
    """The one error shape; also used by the gunicorn worker for the replies it makes itself (qa_service.worker)."""
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    response = jsonify(error_body(code, message))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "The request body has the wrong content type."),
    429: ("rate_limited", "Too many requests; slow down."),
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError):
        return error_response(error.status, error.code, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        if isinstance(error, ClientDisconnected) and isinstance(error.__context__, TimeoutError):
            # Not a client that went away: its body stopped arriving and the gunicorn worker's read time limit
            # (QA_READ_TIMEOUT_SECONDS, qa_service.worker) ran out.
            return error_response(408, "request_timeout", "The request body did not arrive in time.")
        code, message = _HTTP_CODES.get(error.code or 500, ("http_error", error.description or error.name))
        if error.code == 405 and error.valid_methods:
            message = f"{message} Allowed: {', '.join(sorted(error.valid_methods))}."
        if error.code == 413:
            # A view may lower the app-wide limit for its own requests (POST /api/ask does): report that one.
            limit = request.max_content_length
            message = f"The request body is over the limit of {limit} bytes." if limit else message
        headers = {"Allow": ", ".join(sorted(error.valid_methods))} if error.code == 405 and error.valid_methods else {}
        return error_response(error.code or 500, code, message, headers)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side; the error has been logged.")
