"""The web pages: the chat page a reader asks questions in, the document a quote comes from, and the editor page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, request

from .api import MAX_HISTORY, live_corpus
from .errors import error_response
from .index import AnalysedDocument

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
FAVICON_MAX_AGE_SECONDS = 24 * 3600


@bp.get("/")
def chat():
    documents = [d.document for d in live_corpus().current().index.documents]
    suggestions = [q for d in documents for q in SUGGESTED_QUESTIONS.get(d.id, ())][:MAX_SUGGESTIONS]
    return render_template(
        "chat.html",
        titles=[d.title for d in documents[:MAX_LISTED_TITLES]],
        unlisted_count=max(0, len(documents) - MAX_LISTED_TITLES),
        suggestions=suggestions,
        documents=documents,
        max_question_chars=current_app.extensions["qa_settings"].qa_max_question_chars,
        max_history=MAX_HISTORY,
    )


@dataclass(frozen=True)
class DocumentBlock:
    """One paragraph of a document as the reader page shows it, with its place in the stored text."""

    start: int
    end: int
    text: str
    heading: bool


def document_blocks(doc: AnalysedDocument) -> list[DocumentBlock]:
    """The document's paragraphs; a paragraph that is one heading line is shown as a heading."""
    all_headings: dict[int, bool] = {}
    for sentence in doc.sentences:
        all_headings[sentence.paragraph] = all_headings.get(sentence.paragraph, True) and sentence.heading
    blocks = []
    for i, paragraph in enumerate(doc.paragraphs):
        text = doc.document.text[paragraph.start:paragraph.end]
        heading = all_headings.get(i, False) and "\n" not in text
        blocks.append(DocumentBlock(paragraph.start, paragraph.end, text, heading))
    return blocks


@bp.get("/documents/<doc_id>")
def document_page(doc_id: str):
    doc = live_corpus().current().document(doc_id)
    if doc is None:
        message = f"No document with the id {doc_id!r}. It may have been removed since the answer was given."
        # A reader following a citation gets a page; a program asking for JSON gets the one JSON error shape.
        if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
            return error_response(404, "unknown_document", message)
        return render_template("document-missing.html", message=message), 404
    blocks = document_blocks(doc)
    # The title is usually the document's first line: shown once, as the page's heading, still markable.
    title_block = blocks[0] if blocks and blocks[0].heading and blocks[0].text == doc.document.title else None
    # A citation names the version its offsets count in: if the document has changed since, the page says so.
    cited_version = request.args.get("version")
    return render_template("document.html", document=doc.document, title_block=title_block,
                           blocks=blocks[1:] if title_block else blocks,
                           changed=cited_version is not None and cited_version != doc.document.version)


@bp.get("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico wherever no page has named an icon (a JSON reply opened in a tab, say).
    response = current_app.send_static_file("favicon.svg")
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = FAVICON_MAX_AGE_SECONDS
    return response


@bp.get("/admin")
def admin():
    return render_template("admin.html",
                           max_document_bytes=current_app.extensions["qa_settings"].qa_max_document_bytes)
