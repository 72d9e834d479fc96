"""Writing documents over HTTP: PUT and DELETE /api/documents/<id>, for holders of the admin token only."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.datastructures import ETags
from werkzeug.routing import PathConverter

from . import formats
from .config import MIN_ADMIN_TOKEN_CHARS
from .documents import ID_RULE, DocumentRejected, is_valid_id
from .errors import ApiError
from .json_input import parse_json
from .state import editor_tokens, live_corpus, settings, store
from .store.base import Precondition, PreconditionFailed, StoreUnavailable, UnknownDocument, Written

bp = Blueprint("writes", __name__)


class AnyTextConverter(PathConverter):
    """Everything after the prefix, slashes and line breaks included (the "path" converter stops at a line break)."""

    regex = "(?s:.+)"
    part_isolating = False


# Registered before the routes below are added, which use it.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("any_text", AnyTextConverter))

JSON_ALLOWANCE = 64 * 1024  # room for the JSON quoting around a document's text
REJECTION_STATUS = {"bad_id": 400, "format": 400, "too_large": 413}  # any other reason: 422
REALM = 'Bearer realm="qa-service admin"'


def require_admin_token() -> str:
    """Let the request through only with "Authorization: Bearer <token>" of an editor; the editor's name."""
    tokens = editor_tokens()
    if not tokens.enabled:
        raise ApiError(403, "writing_disabled", "Writing documents over HTTP is turned off on this server. To turn it "
                       "on, set the QA_ADMIN_TOKEN environment variable to a secret of at least "
                       f"{MIN_ADMIN_TOKEN_CHARS} characters (or QA_ADMIN_TOKENS to a file of named editors' "
                       "tokens) and restart; then send it as 'Authorization: Bearer <token>'.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "unauthorized", "Writing needs the admin token: send 'Authorization: Bearer <token>'.",
                       {"WWW-Authenticate": REALM})
    name = tokens.name_of(given.strip())
    if name is None:
        raise ApiError(401, "unauthorized", "The admin token is wrong.",
                       {"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
    return name


@bp.get("/api/editor")
def current_editor():
    """Who the token is: the editor page checks a token with this when it is entered, before any change."""
    return jsonify({"name": require_admin_token()})


def checked_id(doc_id: str) -> str:
    if not is_valid_id(doc_id):
        raise ApiError(400, "invalid_id", f"{doc_id!r} is not a valid document id: {ID_RULE}.")
    return doc_id


def precondition() -> Precondition:
    """If-Match and If-None-Match as sets of strong versions ("*": any); weak tags never match a write."""

    def versions(header: str, etags: ETags) -> frozenset[str] | None:
        if header not in request.headers:
            return None
        return frozenset(etags.as_set()) | ({"*"} if etags.star_tag else set())

    return Precondition(versions("If-Match", request.if_match), versions("If-None-Match", request.if_none_match))


def read_document_body(limit: int) -> tuple[bytes, str, str | None]:
    """(source bytes, format, title) from a body of one of the formats' media types, or a JSON one."""
    body_format = formats.of_media_type(request.mimetype)
    is_json = request.mimetype == "application/json"
    if body_format is None and not is_json:
        raise ApiError(415, "unsupported_media_type", f"Send the document as {formats.one_of(formats.media_types())}, "
                       f"or as JSON {{\"text\": ..., \"format\": {'|'.join(map(json.dumps, formats.TEXT_NAMES))}, "
                       "\"title\": ...}.")
    body_limit = 2 * limit + JSON_ALLOWANCE if is_json else limit
    if request.content_length is not None and request.content_length > body_limit:
        raise ApiError(413, "too_large", f"The document is {request.content_length} bytes; the limit is {limit} "
                       "bytes.")
    request.max_content_length = body_limit
    raw = request.get_data(cache=False)
    if body_format is not None and body_format.binary:
        return raw, body_format.name, None
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in {"utf-8", "utf8"}:
        raise ApiError(422, "not_utf8", f"Documents must be UTF-8 text, not {charset}.")
    if not is_json:
        return raw, body_format.name, None
    body = parse_json(raw)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise ApiError(400, "invalid_request", "The JSON body must be an object with a 'text' string.")
    fmt, title = body.get("format", formats.DEFAULT_NAME), body.get("title")
    if not isinstance(fmt, str) or fmt not in formats.TEXT_NAMES:
        binary = [f"{f.name} as {f.media_types[0]}" for f in formats.FORMATS if f.binary]
        raise ApiError(400, "invalid_format", f"'format' must be {formats.one_of(map(json.dumps, formats.TEXT_NAMES))}"
                       f"; send a binary document as its own bytes with its media type ({formats.one_of(binary)}).")
    if title is not None and not isinstance(title, str):
        raise ApiError(400, "invalid_request", "'title' must be a string.")
    return body["text"].encode("utf-8", "surrogatepass"), fmt, title


def rejected(error: DocumentRejected) -> ApiError:
    status = REJECTION_STATUS.get(error.reason, 422)
    code = {400: "invalid_id" if error.reason == "bad_id" else "invalid_format", 413: "too_large"}.get(
        status, "unusable_document")
    return ApiError(status, code, str(error))


def conflict(error: PreconditionFailed) -> ApiError:
    now = f"its version is now {error.current}" if error.current else "it does not exist"
    return ApiError(412, "version_mismatch", f"The document was not changed: {now}, which does not meet the "
                    "If-Match / If-None-Match condition. Read it again and retry.")


def unavailable(error: StoreUnavailable) -> ApiError:
    current_app.logger.error("write failed: %s", error)
    return ApiError(503, "store_unavailable", "The document store cannot be reached now, so the write may not have "
                    "been saved: read the document to check, then try again.", {"Retry-After": "5"})


# "any_text" lets ids with slashes or line breaks ("../etc/passwd", "%2e%2e%2f...") reach the id check and get a
# 400, rather than a 404 or a 405 from another route.
@bp.put("/api/documents/", defaults={"doc_id": ""})
@bp.put("/api/documents/<any_text:doc_id>")
def put_document(doc_id: str):
    editor = require_admin_token()
    checked_id(doc_id)
    raw, fmt, title = read_document_body(settings().qa_max_document_bytes)
    try:
        written = store().put(doc_id, raw, fmt, title, precondition(), editor)
    except DocumentRejected as error:
        raise rejected(error) from None
    except PreconditionFailed as error:
        raise conflict(error) from None
    except StoreUnavailable as error:
        raise unavailable(error) from None
    return written_response(doc_id, written)


def written_response(doc_id: str, written: Written):
    """The reply to a write (a PUT, or a restore): the document as it now reads, once this worker serves it."""
    # This worker serves the new corpus before acknowledging; the others see the store's marker move.
    corpus = live_corpus().refresh()
    document = written.document
    reply = {
        "id": document.id,
        "title": document.title,
        "format": document.format,
        "size": len(document.text.encode("utf-8")),
        "version": document.version,
        "created": written.created,
        "corpus_version": corpus.version,
    }
    if written.set_aside:
        reply["set_aside"] = list(written.set_aside)
    response = jsonify(reply)
    response.status_code = 201 if written.created else 200
    response.set_etag(document.version)
    if written.created:
        response.headers["Location"] = url_for("api.get_document", doc_id=doc_id)
    return response


@bp.delete("/api/documents/", defaults={"doc_id": ""})
@bp.delete("/api/documents/<any_text:doc_id>")
def delete_document(doc_id: str):
    editor = require_admin_token()
    checked_id(doc_id)
    try:
        store().delete(doc_id, precondition(), editor)
    except UnknownDocument:
        raise ApiError(404, "unknown_document", f"No document with the id {doc_id!r}.") from None
    except PreconditionFailed as error:
        raise conflict(error) from None
    except StoreUnavailable as error:
        raise unavailable(error) from None
    live_corpus().refresh()
    removed = current_app.response_class(status=204)
    del removed.headers["Content-Type"]  # no content, so no type: a client reads nothing as nothing
    return removed

