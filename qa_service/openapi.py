"""The OpenAPI document of the JSON API; tests validate real responses against its schemas."""

from __future__ import annotations

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

SPAN = {"type": "object", "required": ["start", "end"],
        "properties": {"start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0}}}

QUOTE = {
    "type": "object",
    "required": ["text", "document", "title", "start", "end", "score", "passage", "context", "highlights"],
    "properties": {
        "text": {"type": "string", "description": "Verbatim: the document's stored text[start:end]."},
        "document": {"type": "string"},
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
    },
}

ASK_REQUEST = {
    "type": "object",
    "required": ["question"],
    "properties": {
        "question": {"type": "string", "minLength": 1, "maxLength": 1000},
        "documents": {"type": ["array", "null"], "items": {"type": "string"},
                      "description": "Only search these document ids."},
        "history": {"type": ["array", "null"], "maxItems": 20,
                    "items": {"type": "object", "required": ["question"],
                              "properties": {"question": {"type": "string", "maxLength": 1000}}},
                    "description": "Earlier questions of the conversation, oldest first."},
    },
}

ASK_RESPONSE = {
    "type": "object",
    "required": ["question", "found", "message", "quotes", "coverage", "corrections", "corpus_version", "took_ms"],
    "properties": {
        "question": {"type": "string"},
        "found": {"type": "boolean"},
        "message": {"type": "string"},
        "quotes": {"type": "array", "items": QUOTE, "maxItems": 3},
        "coverage": {"type": "number", "minimum": 0, "maximum": 1},
        "corrections": {"type": "object", "additionalProperties": {"type": "string"}},
        "corpus_version": {"type": "string"},
        "took_ms": {"type": "number"},
    },
}

DOCUMENT_SUMMARY = {
    "type": "object",
    "required": ["id", "title", "format", "size", "sentences", "passages", "version"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "format": {"type": "string", "enum": ["text", "markdown", "html"]},
        "size": {"type": "integer"},
        "sentences": {"type": "integer"},
        "passages": {"type": "integer"},
        "version": {"type": "string"},
    },
}

DOCUMENT = {**DOCUMENT_SUMMARY, "required": DOCUMENT_SUMMARY["required"] + ["text"],
            "properties": {**DOCUMENT_SUMMARY["properties"], "text": {"type": "string"}}}

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
    "required": ["version", "documents", "passages", "built_in_seconds", "skipped"],
    "properties": {"version": {"type": "string"}, "documents": {"type": "integer"}, "passages": {"type": "integer"},
                   "built_in_seconds": {"type": "number"}, "skipped": {"type": "integer"}},
}

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


def openapi_document() -> dict:
    return {
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
                    "400": _error("Malformed JSON, or a missing or invalid field."),
                    "404": _error("A document id in 'documents' is unknown."),
                    "413": _error("The body or the question is over its limit."),
                    "415": _error("The body is not JSON."),
                },
            }},
            "/api/documents": {"get": {
                "operationId": "listDocuments", "summary": "The documents of the corpus.",
                "responses": {"200": _json("DocumentList", "Every document, and the files skipped.")},
            }},
            "/api/documents/{doc_id}": {"get": {
                "operationId": "getDocument", "summary": "One document with its stored text.",
                "parameters": [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json("Document", "The document; its version is also the ETag."),
                              "304": {"description": "Not modified: the If-None-Match header holds the ETag."},
                              "404": _error("No such document.")},
            }},
            "/api/corpus": {"get": {
                "operationId": "corpusStatus", "summary": "The corpus version and size.",
                "responses": {"200": _json("Corpus", "The corpus now served.")},
            }},
            "/healthz": {"get": {
                "operationId": "health", "summary": "Liveness and readiness.",
                "responses": {"200": _json("Health", "The service is up and has a corpus loaded.")},
            }},
        },
        "components": {"schemas": {
            "Error": ERROR, "Quote": QUOTE, "AskRequest": ASK_REQUEST, "AskResponse": ASK_RESPONSE,
            "DocumentSummary": DOCUMENT_SUMMARY, "Document": DOCUMENT, "DocumentList": DOCUMENT_LIST,
            "Corpus": CORPUS, "Health": HEALTH,
        }},
    }
