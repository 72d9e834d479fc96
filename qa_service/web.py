"""The web pages: the chat page a reader asks questions in, and the editor page (/admin)."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import formats
from .config import MAX_HISTORY
from .documents import ID_CHARACTERS, ID_MAX_CHARS, ID_PATTERN
from .state import live_corpus, settings
from .suggestions import suggested_questions

bp = Blueprint("web", __name__)

MAX_LISTED_TITLES = 5


@bp.get("/")
def chat():
    analysed = live_corpus().current().index.documents
    documents = [d.document for d in analysed]
    return render_template(
        "chat.html",
        titles=[d.title for d in documents[:MAX_LISTED_TITLES]],
        unlisted_count=max(0, len(documents) - MAX_LISTED_TITLES),
        suggestions=suggested_questions(analysed),
        notice=settings().qa_notice,
        max_question_chars=settings().qa_max_question_chars,
        max_history=MAX_HISTORY,
    )


@bp.get("/admin")
def admin():
    return render_template(
        "admin.html",
        max_document_bytes=settings().qa_max_document_bytes,
        file_kinds=formats.file_kinds(),
        media_types=formats.media_types_by_extension(),
        id_pattern=ID_PATTERN.pattern,
        id_characters=ID_CHARACTERS,
        id_max_chars=ID_MAX_CHARS,
    )
