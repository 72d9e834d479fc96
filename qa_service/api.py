"""The JSON API: asking, reading the corpus, health, and the OpenAPI document that describes them."""

from __future__ import annotations

import time
import unicodedata

from flask import Blueprint, g, jsonify, request

from . import small_talk
from .analysis import term_spans
from .answering import MAX_QUOTES, Answer, AnswerSettings, answer, answering_model
from .citations import cited_document
from .config import MAX_DOCUMENT_FILTER, MAX_HISTORY
from .corpus import Corpus
from .errors import ApiError
from .json_input import parse_json
from .openapi import openapi_document
from .state import live_corpus, question_vectors, reader, recorder, settings

bp = Blueprint("api", __name__)


def read_json_body() -> dict:
    """The request's JSON object, within the body limit; each way it can be wrong has its own status."""
    limit = settings().qa_max_body_bytes
    request.max_content_length = limit
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the request body as JSON with "
                       "'Content-Type: application/json'.")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise ApiError(413, "too_large", f"The request body is over the limit of {limit} bytes.")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "The request body must be a JSON object.")
    g.json_body = body  # the request log reads the question from it, rather than parsing the body again
    return body


def parse_question(body: dict) -> tuple[str, list[str], list[str] | None, set[tuple[str, int, int]],
                                        list[tuple[str, int, int]]]:
    """The question, its earlier questions, the documents to search (None: all), the quotes already shown, and
    those of the last earlier turn, in its order."""
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ApiError(400, "missing_question", "Give a non-empty 'question' string.")
    # The limit counts characters as a reader sees them: an accent typed as a letter and a combining mark is one.
    limit, length = settings().qa_max_question_chars, len(unicodedata.normalize("NFC", question))
    if length > limit:
        raise ApiError(413, "question_too_long", f"The question is {length} characters long; the limit is "
                       f"{limit}.")
    history = body.get("history") or []
    if not isinstance(history, list) or len(history) > MAX_HISTORY:
        raise ApiError(400, "invalid_history", f"'history' must be a list of at most {MAX_HISTORY} earlier turns, "
                       "each {\"question\": str}.")
    earlier = []
    shown: set[tuple[str, int, int]] = set()
    last_shown: list[tuple[str, int, int]] = []
    for turn in history:
        text = turn.get("question") if isinstance(turn, dict) else turn
        if not isinstance(text, str):
            raise ApiError(400, "invalid_history", "Each turn of 'history' must be {\"question\": str}.")
        text = unicodedata.normalize("NFKC", text)
        quotes = turn.get("quotes") or [] if isinstance(turn, dict) else []
        if not isinstance(quotes, list) or len(quotes) > MAX_QUOTES or not all(
                isinstance(q, dict) and isinstance(q.get("document"), str)
                and all(isinstance(q.get(k), int) and not isinstance(q.get(k), bool) for k in ("start", "end"))
                for q in quotes):
            raise ApiError(400, "invalid_history", "The 'quotes' of a turn of 'history' must be a list of at most "
                           f"{MAX_QUOTES} {{\"document\": str, \"start\": int, \"end\": int}}, as answers give them.")
        shown.update((q["document"], q["start"], q["end"]) for q in quotes)
        if len(text) > limit:
            raise ApiError(413, "question_too_long", f"A question in 'history' is over the limit of {limit} "
                           "characters.")
        # Small talk ("Thanks!") is no question a follow-up could lean on, nor one whose quotes it goes on from.
        if text.strip() and small_talk.kind(text) is None:
            earlier.append(text)
            last_shown = [(q["document"], q["start"], q["end"]) for q in quotes]
    documents = body.get("documents")
    if documents is not None and (not isinstance(documents, list) or not all(isinstance(d, str) for d in documents)):
        raise ApiError(400, "invalid_documents", "'documents' must be a list of document ids (strings).")
    if documents is not None and len(documents) > MAX_DOCUMENT_FILTER:
        raise ApiError(400, "invalid_documents", f"'documents' names {len(documents)} documents; the limit is "
                       f"{MAX_DOCUMENT_FILTER}.")
    if documents == []:
        # Searching no document could only say that the source does not answer, which would not be true.
        raise ApiError(400, "invalid_documents", "'documents' is empty: name at least one document, or leave "
                       "'documents' out to ask all of them.")
    return question, earlier, documents, shown, last_shown


def quote_json(quote, corpus: Corpus, terms: set[str]) -> dict:
    doc = corpus.document(quote.document)
    context = doc.document.text[quote.context_start:quote.context_end]
    passage = corpus.index.passages[quote.passage]
    sentences = doc.sentences
    return {
        "text": quote.text,
        "document": quote.document,
        "document_version": doc.document.version,
        "title": quote.title,
        "start": quote.start,
        "end": quote.end,
        "score": quote.score,
        "passage": {"id": passage.id, "start": sentences[passage.first].start, "end": sentences[passage.last].end},
        "context": {"start": quote.context_start, "end": quote.context_end, "text": context},
        "highlights": [[s, e] for term, s, e in term_spans(quote.text) if term in terms],
        "section": list(quote.section),
        "page": quote.page,
    }


def answer_json(result: Answer, corpus: Corpus, question: str, took: float) -> dict:
    terms = set(result.query.terms)
    return {
        "question": question,
        "found": result.found,
        "message": result.message,
        "quotes": [quote_json(q, corpus, terms) for q in result.quotes],
        "confidence": round(result.confidence, 3),
        "corrections": result.query.corrections,
        "read_with": result.read_with,
        "small_talk": result.small_talk,
        "corpus_version": corpus.version,
        "took_ms": round(took * 1000, 2),
    }


@bp.post("/api/ask")
def ask():
    started = time.perf_counter()
    question, history, documents, shown, last_shown = parse_question(read_json_body())
    corpus = live_corpus().current()
    if documents is not None:
        unknown = [d for d in documents if d not in corpus.index.position]
        if unknown:
            raise ApiError(404, "unknown_document", f"No document with the id {', '.join(map(repr, unknown))}.")
    # Fullwidth letters ("Ｋｅｐｐｒａ") and other compatibility forms are the text's words; the reply and the records
    # keep the question as it was asked.
    result = answer(corpus.index, unicodedata.normalize("NFKC", question), history, documents,
                    AnswerSettings(min_confidence=settings().min_confidence, reader=reader()), question_vectors(),
                    shown, last_shown)
    reply = answer_json(result, corpus, question, time.perf_counter() - started)
    # The answer is final before it is recorded: recording queues it and cannot change it. Small talk is no question
    # the documents failed to answer, nor an answer to vote on.
    reply["answer_id"] = None if result.small_talk else recorder().answer_given(
        question, result.found, result.confidence, corpus.version, [(q.document, q.text) for q in result.quotes])
    return jsonify(reply)


def document_summary(doc) -> dict:
    return {
        "id": doc.document.id,
        "title": doc.document.title,
        "format": doc.document.format,
        "size": len(doc.document.text.encode("utf-8")),
        "sentences": len(doc.sentences),
        "passages": len(doc.windows),
        "version": doc.document.version,
    }


@bp.get("/api/documents")
def list_documents():
    corpus = live_corpus().current()
    return jsonify({
        "corpus_version": corpus.version,
        "documents": [document_summary(d) for d in corpus.index.documents],
        "skipped": [{"name": s.name, "reason": s.reason, "message": s.message} for s in corpus.skipped],
    })


@bp.get("/api/documents/<doc_id>")
def get_document(doc_id: str):
    # ?version=: the version a quote's document_version names, served or, since replaced or removed, still kept.
    version = request.args.get("version")
    cited = cited_document(doc_id, version)
    doc = cited.shown
    if version is not None and (doc is None or doc.document.version != version):
        raise ApiError(404, "unknown_version", f"No version {version!r} of the document {doc_id!r} is kept.")
    if doc is None:
        raise ApiError(404, "unknown_document", f"No document with the id {doc_id!r}.")
    response = jsonify({**document_summary(doc), "text": doc.document.text, "current": not cited.earlier})
    response.set_etag(doc.document.version)
    return response.make_conditional(request)


@bp.get("/api/corpus")
def corpus_status():
    corpus = live_corpus().current()
    return jsonify({
        "version": corpus.version,
        "documents": len(corpus.index.documents),
        "passages": corpus.index.passage_count,
        "built_in_seconds": round(corpus.built_in_seconds, 3),
        "skipped": len(corpus.skipped),
        "answering_by": answering_model(corpus.index, live_corpus().encoder, AnswerSettings(reader=reader()).reads),
        "index_origin": live_corpus().origin.how,
        "index_published_by": live_corpus().origin.published_by,
    })


@bp.get("/healthz")
def healthz():
    corpus = live_corpus().current()
    return jsonify({"status": "ok", "corpus_version": corpus.version, "documents": len(corpus.index.documents)})


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(openapi_document())
