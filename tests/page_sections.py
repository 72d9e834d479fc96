"""What the Markdown tests read back from a page: each sentence with the headings it stands under."""

from __future__ import annotations

from qa_service.document_analysis import analyse
from qa_service.documents import parse_document


def sections(page: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each sentence of a Markdown page, in order, with its section path (the document's title left out)."""
    document = analyse(parse_document("help", page, "markdown"))
    return [(document.sentence_text(i), document.section_path(i)) for i in range(len(document.sentences))]
