"""The web pages: the chat page a reader asks questions in, the document a quote comes from, and the editor page."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from flask import Blueprint, current_app, jsonify, render_template, request

from . import formats
from .citations import cited_document
from .config import MAX_FEEDBACK_COMMENT, MAX_HISTORY
from .document_analysis import AnalysedDocument
from .documents import ID_CHARACTERS, ID_MAX_CHARS, ID_PATTERN
from .errors import error_response
from .sentences import is_cited_section
from .state import live_corpus, settings
from .suggestions import suggested_questions

bp = Blueprint("web", __name__)

MAX_LISTED_TITLES = 5
FAVICON_MAX_AGE_SECONDS = 24 * 3600
# The document page sends the first section of a document with the page and each later one when it is needed (the
# one holding the quote first): a 5 MB document opens at its quote as fast as a short one.
SECTION_CHARS = 40_000


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
        documents=documents,
        max_question_chars=settings().qa_max_question_chars,
        max_history=MAX_HISTORY,
        max_feedback_comment=MAX_FEEDBACK_COMMENT,
    )


@dataclass(frozen=True)
class DocumentBlock:
    """One paragraph of a document as the reader page shows it, with its place in the stored text."""

    start: int
    end: int
    text: str
    heading: bool


def document_blocks(doc: AnalysedDocument, first: int, stop: int) -> list[DocumentBlock]:
    """Paragraphs first..stop-1 of the document; a paragraph that is one heading line is shown as a heading."""
    # Sentences are in document order: those of the wanted paragraphs are found by bisection, not by a full walk.
    sentences = doc.sentences
    index = bisect.bisect_left(sentences, first, key=lambda sentence: sentence.paragraph)
    all_headings: dict[int, bool] = {}
    while index < len(sentences) and sentences[index].paragraph < stop:
        sentence = sentences[index]
        all_headings[sentence.paragraph] = all_headings.get(sentence.paragraph, True) and sentence.heading
        index += 1
    blocks = []
    marked = {(heading.start, heading.end) for heading in doc.document.headings}
    for i in range(first, stop):
        paragraph = doc.paragraphs[i]
        text = doc.document.text[paragraph.start:paragraph.end]
        # Shown as the citations name sections: a line that only looks like a heading ("SHA: edfe02a4…") is text.
        blocks.append(DocumentBlock(paragraph.start, paragraph.end, text, all_headings.get(i, False)
                                    and "\n" not in text
                                    and is_cited_section(text, (paragraph.start, paragraph.end) in marked)))
    return blocks


@dataclass(frozen=True)
class DocumentSection:
    """Consecutive paragraphs (first..stop-1) of about SECTION_CHARS characters, sent to the page together."""

    number: int
    first: int
    stop: int
    start: int  # offsets in the stored text
    end: int

    @property
    def chars(self) -> int:
        return self.end - self.start


def title_block(doc: AnalysedDocument) -> DocumentBlock | None:
    """The title is usually the document's first line: shown once, as the page's heading, still markable."""
    if not doc.paragraphs:
        return None
    [first] = document_blocks(doc, 0, 1)
    return first if first.heading and first.text == doc.document.title else None


def document_sections(doc: AnalysedDocument, first: int) -> list[DocumentSection]:
    """The paragraphs from `first` on, in sections; only their spans are read, so this is quick for any size."""
    sections: list[DocumentSection] = []
    section_first = first
    for i in range(first, len(doc.paragraphs)):
        start, end = doc.paragraphs[section_first].start, doc.paragraphs[i].end
        if end - start >= SECTION_CHARS or i == len(doc.paragraphs) - 1:
            sections.append(DocumentSection(len(sections), section_first, i + 1, start, end))
            section_first = i + 1
    return sections


def unknown_document(doc_id: str):
    message = f"No document with the id {doc_id!r}. It may have been removed since the answer was given."
    # A reader following a citation gets a page (browsers name text/html); any other client, one that accepts
    # anything included, gets the one JSON error shape.
    if not any(kind == "text/html" and quality > 0 for kind, quality in request.accept_mimetypes):
        return error_response(404, "unknown_document", message)
    return render_template("document-missing.html", message=message), 404


@bp.get("/documents/<doc_id>")
def document_page(doc_id: str):
    cited_version = request.args.get("version")
    cited = cited_document(doc_id, cited_version)
    doc = cited.shown
    if doc is None:
        return unknown_document(doc_id)
    title = title_block(doc)
    sections = document_sections(doc, 1 if title else 0)
    first_blocks = document_blocks(doc, sections[0].first, sections[0].stop) if sections else []
    # Document.version hashes the whole text: worked out once here, not once per section link.
    version = doc.document.version
    # A citation names the version its offsets count in: if the document has changed since and that version is no
    # longer kept, the page shows the served one and says so.
    return render_template("document.html", document=doc.document, version=version, title_block=title,
                           first_blocks=first_blocks, later_sections=sections[1:], earlier=cited.earlier,
                           removed=cited.served is None,
                           changed=not cited.earlier and cited_version is not None and cited_version != version)


@bp.get("/documents/<doc_id>/sections/<int:number>")
def document_section(doc_id: str, number: int):
    """One section of the document page, as JSON: the page inserts its text as text."""
    asked = request.args.get("version")
    doc = cited_document(doc_id, asked).shown
    if doc is None:
        return error_response(404, "unknown_document", f"No document with the id {doc_id!r}.")
    version = doc.document.version
    if asked is not None and asked != version:
        # Offsets of another version would mark the wrong characters: the page asks the reader to reload instead.
        return error_response(409, "document_changed", "The document has changed since this page was opened; "
                              "reload the page to read the new version.")
    sections = document_sections(doc, 1 if title_block(doc) else 0)
    if not 0 <= number < len(sections):
        return error_response(404, "unknown_section", f"The document {doc_id!r} has {len(sections)} sections, "
                              f"numbered from 0.")
    section = sections[number]
    return jsonify({
        "document": doc.document.id,
        "version": version,
        "section": number,
        "blocks": [{"start": b.start, "end": b.end, "text": b.text, "heading": b.heading}
                   for b in document_blocks(doc, section.first, section.stop)],
    })



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
    return render_template(
        "admin.html",
        max_document_bytes=settings().qa_max_document_bytes,
        file_kinds=formats.file_kinds(),
        media_types=formats.media_types_by_extension(),
        id_pattern=ID_PATTERN.pattern,
        id_characters=ID_CHARACTERS,
        id_max_chars=ID_MAX_CHARS,
    )
