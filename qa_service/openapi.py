"""The OpenAPI document of the JSON API; tests validate real responses against its schemas."""

from __future__ import annotations

from . import formats, small_talk
from .answering import MAX_QUOTES
from .config import (
    CHANGES_LISTED,
    MAX_ANSWER_ID_CHARS,
    MAX_CHANGES,
    MAX_DOCUMENT_FILTER,
    MAX_FEEDBACK_COMMENT,
    MAX_HANDLED,
    MAX_HISTORY,
    MAX_JSON_DEPTH,
    Settings,
)
from .documents import ID_PATTERN, ID_RULE
from .snapshots import ORIGINS

# The limits a server has with no setting changed; the document describes those.
DEFAULTS = Settings()

ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

QUOTE = {
    "type": "object",
    "required": ["text", "document", "document_version", "title", "start", "end", "score", "passage", "context",
                 "highlights", "section", "page"],
    "properties": {
        "text": {"type": "string", "description": "Verbatim: the document's stored text[start:end]."},
        "document": {"type": "string"},
        "document_version": {"type": "string", "description": "The version of the document the offsets count in "
                             "(its ETag in GET /api/documents/{doc_id})."},
        "title": {"type": "string"},
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 0},
        "score": {"type": "number"},
        "passage": {"type": "object", "required": ["id", "start", "end"],
                    "properties": {"id": {"type": "integer"}, "start": {"type": "integer"},
                                   "end": {"type": "integer"}}},
        "context": {"type": "object", "required": ["start", "end", "text"],
                    "properties": {"start": {"type": "integer"}, "end": {"type": "integer"},
                                   "text": {"type": "string"}},
                    "description": "The paragraph the quote stands in."},
        "highlights": {"type": "array", "items": {"type": "array", "items": {"type": "integer"},
                                                   "minItems": 2, "maxItems": 2},
                       "description": "Spans of the quote's text that match words of the question."},
        "section": {"type": "array", "items": {"type": "string"},
                    "description": "The headings the quote stands under, top level first, as the document gives "
                                   "them (the document's title left out, and any that names no topic: a field or "
                                   "a code a plain text sets like a heading); empty when it stands under none."},
        "page": {"type": ["integer", "null"], "minimum": 1,
                 "description": "The page the quote starts on, in a paged document (PDF); null in any other."},
    },
}

ASK_REQUEST = {
    "type": "object",
    "required": ["question"],
    "properties": {
        "question": {"type": "string", "minLength": 1, "maxLength": DEFAULTS.qa_max_question_chars},
        "documents": {"type": ["array", "null"], "items": {"type": "string"}, "minItems": 1,
                      "maxItems": MAX_DOCUMENT_FILTER,
                      "description": "Only search these document ids."},
        "history": {"type": ["array", "null"], "maxItems": MAX_HISTORY,
                    "items": {"type": ["object", "string"], "maxLength": DEFAULTS.qa_max_question_chars,
                              "required": ["question"],
                              "properties": {
                                  "question": {"type": "string", "maxLength": DEFAULTS.qa_max_question_chars},
                                  "quotes": {"type": ["array", "null"], "maxItems": MAX_QUOTES,
                                             "items": {"type": "object", "required": ["document", "start", "end"],
                                                       "properties": {"document": {"type": "string"},
                                                                      "start": {"type": "integer"},
                                                                      "end": {"type": "integer"}}},
                                             "description": "The quotes that turn's answer showed: a follow-up's "
                                                            "answer does not repeat them while another sentence "
                                                            "answers nearly as well, and one that only asks for "
                                                            "more (\"Then what?\") goes on from the last turn's "
                                                            "first quote."}}},
                    "description": "Earlier questions of the conversation, oldest first; a turn given as a "
                                   "plain string is read as {\"question\": that string}."},
    },
}

ASK_RESPONSE = {
    "type": "object",
    "required": ["question", "found", "message", "quotes", "confidence", "corrections", "read_with", "small_talk",
                 "corpus_version", "took_ms", "answer_id"],
    "properties": {
        "question": {"type": "string"},
        "found": {"type": "boolean"},
        "message": {"type": "string"},
        "quotes": {"type": "array", "items": QUOTE, "maxItems": MAX_QUOTES},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "How likely the first quote answers; under the threshold, no quote."},
        "corrections": {"type": "object", "additionalProperties": {"type": "string"}},
        "read_with": {"type": ["string", "null"],
                      "description": "The earlier question a follow-up was read with, after the ones that "
                                     "question leaned on in turn when it was a follow-up too (at most three, "
                                     "oldest first, joined by a space); null when the question was read on its "
                                     "own."},
        "small_talk": {"enum": [*small_talk.KINDS, None],
                       "description": "What the reader said to the service rather than asked of the source "
                                      "(\"Hi\", \"Thanks!\"): `message` is the service's reply, nothing was "
                                      "searched, and nothing is recorded; null for a question."},
        "corpus_version": {"type": "string"},
        "took_ms": {"type": "number"},
        "answer_id": {"type": ["string", "null"],
                      "description": "Send it to POST /api/feedback to mark the answer helpful or not; null when "
                                     "the server records no questions (QA_RECORD_QUESTIONS=off), and for small "
                                     "talk."},
    },
}

DOCUMENT_SUMMARY = {
    "type": "object",
    "required": ["id", "title", "format", "size", "sentences", "passages", "version"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "format": {"type": "string", "enum": list(formats.NAMES)},
        "size": {"type": "integer"},
        "sentences": {"type": "integer"},
        "passages": {"type": "integer"},
        "version": {"type": "string"},
    },
}

DOCUMENT = {**DOCUMENT_SUMMARY, "required": DOCUMENT_SUMMARY["required"] + ["text", "current"],
            "properties": {**DOCUMENT_SUMMARY["properties"], "text": {"type": "string"},
                           "current": {"type": "boolean",
                                       "description": "False for an earlier version asked for by ?version= (a "
                                                      "quote's document_version since replaced or removed), read "
                                                      "from the history while it keeps it."}}}

DOCUMENT_LIST = {
    "type": "object",
    "required": ["corpus_version", "documents", "skipped"],
    "properties": {
        "corpus_version": {"type": "string"},
        "documents": {"type": "array", "items": DOCUMENT_SUMMARY},
        "skipped": {"type": "array", "items": {"type": "object", "required": ["name", "reason", "message"]}},
    },
}

CORPUS = {
    "type": "object",
    "required": ["version", "documents", "passages", "built_in_seconds", "skipped", "answering_by", "index_origin",
                 "index_published_by"],
    "properties": {"version": {"type": "string"}, "documents": {"type": "integer"}, "passages": {"type": "integer"},
                   "built_in_seconds": {"type": "number"}, "skipped": {"type": "integer"},
                   "answering_by": {"enum": ["reading", "meaning", "words"],
                                    "description": "The ranking model answering now: 'reading' once every sentence "
                                                   "is embedded and a cross-encoder reads the best candidates, "
                                                   "'meaning' the same with QA_READING=off, 'words' with "
                                                   "QA_SEMANTIC=off or while a changed "
                                                   "corpus, or one with more sentences to embed than "
                                                   "QA_EMBED_BEFORE_SERVING allows at start-up, is being "
                                                   "embedded."},
                   "index_origin": {"enum": list(ORIGINS),
                                    "description": "How this process came by the index it started with: 'built' "
                                                   "(analysed and indexed here), 'loaded' (a published snapshot of "
                                                   "that corpus: this host's earlier run's, or with DATABASE_URL "
                                                   "another host's), 'updated' (a snapshot of an earlier version, "
                                                   "with the documents changed since indexed here)."},
                   "index_published_by": {"type": ["string", "null"],
                                          "description": "The host and process that published the snapshot it "
                                                         "loaded; null when it built."}},
}

DOCUMENT_WRITTEN = {
    "type": "object",
    "required": ["id", "title", "format", "size", "version", "created", "corpus_version"],
    "properties": {
        **{name: DOCUMENT_SUMMARY["properties"][name] for name in ("id", "title", "format")},
        "size": {"type": "integer", "description": "Bytes of the cleaned text."},
        "version": {"type": "string", "description": "The document's new version; also the ETag."},
        "created": {"type": "boolean"},
        "corpus_version": {"type": "string",
                           "description": "A corpus version that includes this write; later answers carry it."},
        "set_aside": {"type": "array", "items": {"type": "string"},
                      "description": "Present when the corpus folder held files of this id that were not served "
                                     "(unreadable, too large, a second file of the id): where the write moved "
                                     "them, relative to the folder (.qa-history/set-aside/), instead of deleting "
                                     "them."},
    },
}

DOCUMENT_UPLOAD = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "description": "The source, in the format 'format' names."},
        "format": {"type": "string", "enum": list(formats.TEXT_NAMES), "default": formats.DEFAULT_NAME,
                   "description": "A text format; a binary one (PDF, Word) is sent as its own bytes instead."},
        "title": {"type": ["string", "null"], "description": "Default: taken from the source."},
    },
}

STORED_VERSION = {
    "type": "object",
    "required": ["version", "title", "format", "size", "stored_at", "stored_by", "current", "replaced_at"],
    "properties": {
        "version": {"type": "string"},
        "title": {"type": "string"},
        "format": {"type": "string"},
        "size": {"type": "integer", "description": "Bytes of the cleaned text."},
        "stored_at": {"type": "string", "format": "date-time", "description": "When this version was written."},
        "stored_by": {"type": ["string", "null"],
                      "description": "The name of the editor's token that wrote it; null when written otherwise "
                                     "(the command line, a file edited by hand, the seed corpus)."},
        "current": {"type": "boolean", "description": "Whether this is the version served now."},
        "replaced_at": {"type": ["string", "null"], "format": "date-time",
                        "description": "When it was replaced or removed; it is kept QA_HISTORY_DAYS from then."},
    },
}

VERSION_LIST = {
    "type": "object",
    "required": ["id", "versions"],
    "properties": {"id": {"type": "string"}, "versions": {"type": "array", "items": STORED_VERSION,
                                                          "description": "Newest first."}},
}

VERSION_SOURCE = {
    **STORED_VERSION,
    "required": ["id", *STORED_VERSION["required"], "text", "source"],
    "properties": {"id": {"type": "string"}, **STORED_VERSION["properties"],
                   "text": {"type": "string", "description": "The cleaned text, as quotes were taken from it."},
                   "source": {"type": "string", "description": "The source as it was written."}},
}

CHANGE = {
    "type": "object",
    "required": ["id", "action", "at", "by", "from_version", "to_version"],
    "properties": {
        "id": {"type": "string", "description": "The document's id."},
        "action": {"type": "string", "enum": ["create", "replace", "restore", "delete"]},
        "at": {"type": "string", "format": "date-time"},
        "by": {"type": ["string", "null"], "description": "The editor's token name; null for the command line."},
        "from_version": {"type": ["string", "null"]},
        "to_version": {"type": ["string", "null"]},
    },
}

EDITOR = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}

CHANGE_LIST = {"type": "object", "required": ["changes"],
               "properties": {"changes": {"type": "array", "items": CHANGE, "description": "Newest first."}}}

REMOVED_LIST = {"type": "object", "required": ["removed"],
                "properties": {"removed": {"type": "array", "items": CHANGE,
                                           "description": "The last removal of each document that is still "
                                                          "undoable: restore its from_version."}}}

FEEDBACK_REQUEST = {
    "type": "object",
    "required": ["answer_id", "helpful"],
    "properties": {
        "answer_id": {"type": "string", "minLength": 1, "maxLength": MAX_ANSWER_ID_CHARS,
                      "description": "The answer_id of a POST /api/ask reply."},
        "helpful": {"type": "boolean"},
        "comment": {"type": ["string", "null"], "maxLength": MAX_FEEDBACK_COMMENT},
    },
}

FEEDBACK_RESPONSE = {
    "type": "object",
    "required": ["helpful", "comment"],
    "properties": {"helpful": {"type": "boolean"}, "comment": {"type": "string"}},
}

RECORDED_QUESTION = {
    "type": "object",
    "required": ["question", "count", "declined", "confidence", "corpus_version", "documents", "first_seen",
                 "last_seen", "handled_at", "ask_url"],
    "properties": {
        "question": {"type": "string", "description": "Normalised: lower case, white space collapsed."},
        "count": {"type": "integer", "minimum": 1},
        "declined": {"type": "boolean", "description": "Whether its last answer was a decline."},
        "confidence": {"type": "number"},
        "corpus_version": {"type": "string"},
        "documents": {"type": "array", "items": {"type": "string"}, "description": "The documents quoted."},
        "first_seen": {"type": "string", "format": "date-time"},
        "last_seen": {"type": "string", "format": "date-time"},
        "handled_at": {"type": ["string", "null"], "format": "date-time"},
        "ask_url": {"type": "string", "description": "The chat page asking it again."},
        "group": {"type": "integer", "description": "In exports: questions with one number ask the same thing."},
    },
}

RECORDED_VOTE = {
    "type": "object",
    "required": ["answer_key", "helpful", "comment", "question", "quotes", "confidence", "corpus_version",
                 "voted_at", "handled_at", "ask_url"],
    "properties": {
        "answer_key": {"type": "string"},
        "helpful": {"type": "boolean"},
        "comment": {"type": "string"},
        "question": {"type": "string"},
        "quotes": {"type": "array", "items": {"type": "object", "required": ["document", "text"],
                                              "properties": {"document": {"type": "string"},
                                                             "text": {"type": "string"}}}},
        "confidence": {"type": "number"},
        "corpus_version": {"type": "string"},
        "voted_at": {"type": "string", "format": "date-time"},
        "handled_at": {"type": ["string", "null"], "format": "date-time"},
        "ask_url": {"type": "string"},
    },
}

DAY_COUNT = {"type": "object", "required": ["day", "asked", "declined"],
             "properties": {"day": {"type": "string", "format": "date"}, "asked": {"type": "integer"},
                            "declined": {"type": "integer"}}}

INSIGHTS = {
    "type": "object",
    "required": ["recording", "lost", "groups", "unhelpful", "votes", "days"],
    "properties": {
        "recording": {"type": "string", "enum": ["off", "declined", "all"]},
        "lost": {"type": "integer", "description": "Records this worker could not write since it started."},
        "groups": {"type": "array", "description": "Declined questions not handled, the same question in other "
                                                  "words together, most asked first.",
                   "items": {"type": "object", "required": ["count", "last_seen", "questions"],
                             "properties": {"count": {"type": "integer"},
                                            "last_seen": {"type": "string", "format": "date-time"},
                                            "questions": {"type": "array", "items": RECORDED_QUESTION}}}},
        "unhelpful": {"type": "array", "items": RECORDED_VOTE, "description": "Not handled, newest first."},
        "votes": {"type": "object", "required": ["helpful", "unhelpful"],
                  "properties": {"helpful": {"type": "integer"}, "unhelpful": {"type": "integer"}}},
        "days": {"type": "array", "items": DAY_COUNT, "description": "Oldest first."},
    },
}

INSIGHTS_EXPORT = {
    "type": "object",
    "required": ["recording", "questions", "votes", "days"],
    "properties": {
        "recording": {"type": "string", "enum": ["off", "declined", "all"]},
        "questions": {"type": "array", "items": RECORDED_QUESTION},
        "votes": {"type": "array", "items": RECORDED_VOTE},
        "days": {"type": "array", "items": DAY_COUNT},
    },
}

HANDLED_REQUEST = {
    "type": "object",
    "properties": {"questions": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": MAX_HANDLED},
                   "answers": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": MAX_HANDLED,
                               "description": "answer_key values of votes."}},
}

HANDLED_RESPONSE = {"type": "object", "required": ["marked"], "properties": {"marked": {"type": "integer"}}}

HEALTH = {
    "type": "object",
    "required": ["status", "corpus_version", "documents"],
    "properties": {"status": {"type": "string", "enum": ["ok"]}, "corpus_version": {"type": "string"},
                   "documents": {"type": "integer"}},
}


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def _error(description: str) -> dict:
    return _json("Error", description)


def _rate_limited(description: str) -> dict:
    return {**_error(description), "headers": {"Retry-After": {
        "description": "Seconds until the client may send this kind of request again.",
        "schema": {"type": "integer", "minimum": 1}}}}


# What qa_service.json_input refuses in any JSON body, with the code 'malformed_json'.
MALFORMED_JSON = (f"code 'malformed_json': not JSON, arrays and objects nested over {MAX_JSON_DEPTH} deep, NaN or "
                  "Infinity, a key repeated in one object, or a lone surrogate escape")


# What the Procfile's gunicorn worker (qa_service.worker) answers itself, for any operation, before the app runs.
WORKER_RESPONSES = {
    "400": _error("The request is not valid HTTP/1.1 (code 'malformed_request'), its chunked body is malformed "
                  "(code 'malformed_chunked_body'), or it uses a transfer coding other than chunked (code "
                  "'unsupported_transfer_coding')."),
    "408": _error("The request did not arrive within QA_READ_TIMEOUT_SECONDS (code 'request_timeout')."),
    "414": _error("The request line is longer than gunicorn's limit_request_line (code 'uri_too_long')."),
    "417": _error("An Expect header other than 100-continue (code 'expectation_failed')."),
    "431": _error("More headers, or a longer one, than gunicorn's limit_request_fields and "
                  "limit_request_field_size allow (code 'headers_too_large')."),
    "503": _rate_limited("The server is overloaded: more than QA_QUEUE_LIMIT requests wait for a thread in this "
                         "worker (code 'overloaded'); see Retry-After."),
}


def _at_the_door(operation: dict) -> dict:
    """The operation's responses, plus the worker's own; an operation's own 503 says both causes itself, and its
    own 400 is followed by the worker's reasons."""
    responses = {**WORKER_RESPONSES, **operation["responses"]}
    if "400" in operation["responses"]:
        own = operation["responses"]["400"]
        responses["400"] = {**own, "description": f"{own['description']} Or: {WORKER_RESPONSES['400']['description']}"}
    return {**operation, "responses": responses}


def _merge(shared: dict, own: dict) -> dict:
    return {**shared, **own, "responses": {**shared["responses"], **own["responses"]}}


def _write_operation(method: str) -> dict:
    """PUT or DELETE /api/documents/{doc_id}: the parts they share (token, id, preconditions, errors)."""
    condition = "If-Match" if method == "delete" else "If-Match or If-None-Match"
    return {
        "security": [{"adminToken": []}],
        "parameters": [
            {"name": "doc_id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": ID_PATTERN.pattern},
             "description": f"{ID_RULE.capitalize()}."},
            {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
             "description": "Write only if the document's version (its ETag) is this one; '*': if it exists."},
        ] + ([{"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
               "description": "'*': create only, never replace."}] if method == "put" else []),
        "responses": {
            "400": _error(f"The id breaks the id rule, or the JSON body is malformed ({MALFORMED_JSON})."),
            "401": _error("No admin token, or a wrong one (see WWW-Authenticate)."),
            "403": _error("Writing over HTTP is off: QA_ADMIN_TOKEN is not set."),
            "412": _error(f"{condition} does not hold: the document changed, or exists, or does not. "
                          "Nothing was written."),
            "429": _rate_limited("Too many writes from this client (QA_RATE_LIMIT_WRITE); see Retry-After."),
            "503": _error("The store (PostgreSQL) cannot be reached, and the write may not have been saved (code "
                          "'store_unavailable'); or the server is overloaded (code 'overloaded', with Retry-After)."),
        },
    }


def _editor_operation(summary: str, operation_id: str, responses: dict, parameters: list[dict]) -> dict:
    """An operation of the history (admin token needed): the token's errors, the store's 503."""
    return {
        "operationId": operation_id,
        "summary": f"{summary} (admin token needed).",
        "security": [{"adminToken": []}],
        "parameters": parameters,
        "responses": {
            "401": _error("No admin token, or a wrong one (see WWW-Authenticate)."),
            "403": _error("Writing over HTTP is off: no admin token is configured."),
            "503": _error("The store cannot be reached (code 'store_unavailable'), or the server is overloaded."),
            **responses,
        },
    }


def _without_own_503(operation: dict) -> dict:
    return {**operation, "responses": {s: r for s, r in operation["responses"].items() if s != "503"}}


DOC_ID_PARAMETER = {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"},
                    "description": f"{ID_RULE.capitalize()}."}
VERSION_PARAMETER = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"},
                     "description": "A version, as the versions list and ETags give it."}


def insights_paths() -> dict:
    records_down = _error("The question records cannot be reached (code 'records_unavailable'), or the server is "
                          "overloaded.")
    json_body = {"400": _error(f"Malformed JSON ({MALFORMED_JSON}), or a missing or invalid field."),
                 "413": _error("The body or the comment is over its limit."),
                 "415": _error("The body is not JSON.")}
    return {
        "/api/feedback": {"post": {
            "operationId": "feedback",
            "summary": "Mark an answer helpful or not, with an optional comment; one vote per answer.",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/FeedbackRequest"}}}},
            "responses": {
                "201": _json("FeedbackResponse", "The vote is kept."),
                **json_body,
                "403": _error("The server records no questions or votes (QA_RECORD_QUESTIONS=off)."),
                "409": _error("This answer already has a vote (code 'already_voted')."),
                "429": _rate_limited("Too many votes from this client (QA_RATE_LIMIT_ASK); see Retry-After."),
                "503": _rate_limited("The question records cannot be reached (code 'records_unavailable'), or the "
                                     "server is overloaded (code 'overloaded'); see Retry-After."),
            },
        }},
        "/api/insights": {"get": _editor_operation(
            "What readers could not find: declined questions grouped, answers marked unhelpful, counts per day",
            "insights", {"200": _json("Insights", "The report the editor page shows."), "503": records_down}, [])},
        "/api/insights/handled": {"post": {
            **_editor_operation("Mark questions (a group) and unhelpful answers handled", "markHandled", {
                "200": _json("HandledResponse", "How many were marked."),
                **json_body,
                "403": _error("No admin token is configured, or the server records no questions."),
                "503": records_down}, []),
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HandledRequest"}}}},
        }},
        "/api/insights/export.json": {"get": _editor_operation(
            "Everything recorded, as JSON: every question with its group, every vote, counts per day",
            "exportInsightsJson", {"200": _json("InsightsExport", "An attachment."), "503": records_down}, [])},
        "/api/insights/export.csv": {"get": _editor_operation(
            "Everything recorded, as CSV: one row per question or vote", "exportInsightsCsv",
            {"200": {"description": "An attachment; cells a spreadsheet would run as a formula start with '.",
                     "content": {"text/csv": {"schema": {"type": "string"}}}},
             "503": records_down}, [])},
    }


def history_paths() -> dict:
    return {
        "/api/documents/{doc_id}/versions": {"get": _editor_operation(
            "The kept versions of a document, served or removed", "listVersions",
            {"200": _json("VersionList", "Newest first; the one served has current: true."),
             "400": _error("The id breaks the id rule."),
             "404": _error("No version of this document is kept.")},
            [DOC_ID_PARAMETER])},
        "/api/documents/{doc_id}/versions/{version}": {"get": _editor_operation(
            "One kept version with its text and source", "getVersion",
            {"200": _json("VersionSource", "The version."),
             "400": _error("The id breaks the id rule."),
             "404": _error("This version is not kept (never written, or past QA_HISTORY_DAYS).")},
            [DOC_ID_PARAMETER, VERSION_PARAMETER])},
        "/api/documents/{doc_id}/versions/{version}/restore": {"post": _editor_operation(
            "Bring a kept version back, as a new write (the version it replaces is kept in turn)", "restoreVersion",
            {"200": _json("DocumentWritten", "Restored over the version served; the ETag is the new version."),
             "201": _json("DocumentWritten", "Restored after a removal."),
             "400": _error("The id breaks the id rule."),
             "404": _error("This version is not kept (never written, or past QA_HISTORY_DAYS)."),
             "412": _error("If-Match or If-None-Match does not hold: the document changed since. Nothing was "
                           "written."),
             "422": _error("The version cannot be served under today's rules (over QA_MAX_DOCUMENT_BYTES, say)."),
             "429": _rate_limited("Too many writes from this client (QA_RATE_LIMIT_WRITE); see Retry-After.")},
            [DOC_ID_PARAMETER, VERSION_PARAMETER,
             {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
              "description": "Restore only if the version served (its ETag) is this one."},
             {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
              "description": "'*': restore only if the document is removed (undoing a removal)."}])},
        # No store is read: the only 503 is the worker's own.
        "/api/editor": {"get": _without_own_503(_editor_operation(
            "Who the token is: the editor's name, which the history and audit log record", "currentEditor",
            {"200": _json("Editor", "The token is an editor's.")}, []))},
        "/api/changes": {"get": _editor_operation(
            "The audit log: who changed which document when, from which version to which", "listChanges",
            {"200": _json("ChangeList", "Newest first."),
             "400": _error("'document' breaks the id rule, or 'limit' is not a whole number in range.")},
            [{"name": "document", "in": "query", "required": False, "schema": {"type": "string"},
              "description": "Only this document's changes."},
             {"name": "limit", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_CHANGES, "default": CHANGES_LISTED}}])},
        "/api/removed": {"get": _editor_operation(
            "Removed documents whose removal can still be undone", "listRemoved",
            {"200": _json("RemovedList", "Newest first.")}, [])},
    }


def openapi_document() -> dict:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Quoting question-answering service", "version": "1.0.0",
                 "description": "Answers only with sentences quoted word for word from the corpus."},
        "paths": {
            "/api/ask": {"post": {
                "operationId": "ask",
                "summary": "Answer a question with verbatim quotes, or decline.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskRequest"}}},
                },
                "responses": {
                    "200": _json("AskResponse", "An answer (found) or a decline (not found)."),
                    "400": _error(f"Malformed JSON ({MALFORMED_JSON}), or a missing or invalid field."),
                    "404": _error("A document id in 'documents' is unknown."),
                    "413": _error("The body or the question is over its limit."),
                    "415": _error("The body is not JSON."),
                    "429": _rate_limited("Too many questions from this client (QA_RATE_LIMIT_ASK); see Retry-After."),
                    "503": _rate_limited("The service takes no more questions now: QA_RATE_LIMIT_ASK_TOTAL (all "
                                         "clients together) is reached, or more than QA_QUEUE_LIMIT requests wait "
                                         "for a thread (code 'overloaded'); see Retry-After."),
                },
            }},
            "/api/documents": {"get": {
                "operationId": "listDocuments", "summary": "The documents of the corpus.",
                "responses": {"200": _json("DocumentList", "Every document, and the files skipped.")},
            }},
            "/api/documents/{doc_id}": {"get": {
                "operationId": "getDocument", "summary": "One document with its stored text.",
                "parameters": [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "version", "in": "query", "required": False, "schema": {"type": "string"},
                                "description": "A version of the document: a quote's document_version, so that "
                                               "its start and end can be checked in the text it was quoted from, "
                                               "after an edit or a removal too, while the history keeps it "
                                               "(QA_HISTORY_DAYS)."}],
                "responses": {"200": _json("Document", "The document; its version is also the ETag."),
                              "304": {"description": "Not modified: the If-None-Match header holds the ETag."},
                              "404": _error("No such document, or no such version kept (unknown_version)."),
                              "412": _error("If-Match names another version (code 'precondition_failed').")},
            }, "put": _merge(_write_operation("put"), {
                "operationId": "putDocument",
                "summary": "Create or replace a document (admin token needed).",
                "requestBody": {"required": True, "content": {
                    **{media_type: {"schema": {"type": "string", **({"format": "binary"} if f.binary else {})}}
                       for f in formats.FORMATS for media_type in f.media_types},
                    "application/json": {"schema": {"$ref": "#/components/schemas/DocumentUpload"}},
                }},
                "responses": {
                    "200": _json("DocumentWritten", "Replaced; the ETag is the new version."),
                    "201": _json("DocumentWritten", "Created; the ETag is the version, Location the document."),
                    "413": _error("The document is over QA_MAX_DOCUMENT_BYTES."),
                    "415": _error(f"The body is not {formats.one_of([*formats.media_types(), 'JSON'])}."),
                    "422": _error("The document is not UTF-8, cannot be read as its format, or holds no sentence "
                                  "after cleaning; a PDF without a text layer (a scan) is refused with the reason "
                                  "(code 'unusable_document'). A text body whose media type names a charset other "
                                  "than UTF-8 is refused before it is read (code 'not_utf8')."),
                },
            }), "delete": _merge(_write_operation("delete"), {
                "operationId": "deleteDocument",
                "summary": "Remove a document (admin token needed).",
                "responses": {"204": {"description": "Removed."}, "404": _error("No such document.")},
            })},
            "/api/corpus": {"get": {
                "operationId": "corpusStatus", "summary": "The corpus version and size.",
                "responses": {"200": _json("Corpus", "The corpus now served.")},
            }},
            **history_paths(),
            **insights_paths(),
            "/healthz": {"get": {
                "operationId": "health", "summary": "Liveness and readiness.",
                "responses": {"200": _json("Health", "The service is up and has a corpus loaded.")},
            }},
        },
        "components": {"schemas": {
            "Error": ERROR, "Quote": QUOTE, "AskRequest": ASK_REQUEST, "AskResponse": ASK_RESPONSE,
            "DocumentSummary": DOCUMENT_SUMMARY, "Document": DOCUMENT, "DocumentList": DOCUMENT_LIST,
            "Corpus": CORPUS, "Health": HEALTH,
            "DocumentWritten": DOCUMENT_WRITTEN, "DocumentUpload": DOCUMENT_UPLOAD,
            "VersionList": VERSION_LIST, "VersionSource": VERSION_SOURCE, "ChangeList": CHANGE_LIST,
            "RemovedList": REMOVED_LIST, "Editor": EDITOR, "FeedbackRequest": FEEDBACK_REQUEST,
            "FeedbackResponse": FEEDBACK_RESPONSE,
            "Insights": INSIGHTS, "InsightsExport": INSIGHTS_EXPORT, "HandledRequest": HANDLED_REQUEST,
            "HandledResponse": HANDLED_RESPONSE,
        }, "securitySchemes": {
            "adminToken": {"type": "http", "scheme": "bearer",
                           "description": "The server's QA_ADMIN_TOKEN, or a named editor's token of "
                                          "QA_ADMIN_TOKENS; writing is off while neither is set."},
        }},
    }
    document["paths"] = {path: {method: _at_the_door(operation) for method, operation in operations.items()}
                         for path, operations in document["paths"].items()}
    return document
