"""The web pages: the chat page a reader asks questions in, and the editor page (/admin)."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import formats
from .config import MAX_HISTORY
from .documents import ID_CHARACTERS, ID_MAX_CHARS, ID_PATTERN
from .state import live_corpus, settings

bp = Blueprint("web", __name__)

# Suggestions name what one document says, so they are offered only while that document is in the corpus:
# a suggestion the corpus cannot answer would greet a first-time reader with a refusal.
SUGGESTED_QUESTIONS = {
    "keppra-article": (
        "What are the common side effects of Keppra?",
        "Is Keppra approved for treating migraines?",
        "How is Keppra dosed for migraine prevention?",
        "How does Keppra help prevent migraines?",
    ),
}
MAX_SUGGESTIONS = 4
MAX_LISTED_TITLES = 5


@bp.get("/")
def chat():
    documents = [d.document for d in live_corpus().current().index.documents]
    suggestions = [q for d in documents for q in SUGGESTED_QUESTIONS.get(d.id, ())][:MAX_SUGGESTIONS]
    return render_template(
        "chat.html",
        titles=[d.title for d in documents[:MAX_LISTED_TITLES]],
        unlisted_count=max(0, len(documents) - MAX_LISTED_TITLES),
        suggestions=suggestions,
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
