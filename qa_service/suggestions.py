"""The questions the chat page suggests, taken from the corpus itself: whatever the documents are, a suggestion is
something they answer, never a list written for one document.

In order: the questions of FAQ entries (headings that ask, see sentences.Section), then section headings as they
stand (a short question is still a question), then "What is X?" for the names the documents define ("Keppra, also
known as levetiracetam", "antiepileptic drug (AED)"), the name a document uses most first. Only as many documents
are looked at as it takes, so a large corpus costs no more than a small one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .blocks import unnumbered
from .document_analysis import AnalysedDocument
from .sentences import names_a_topic

MAX_SUGGESTIONS = 4
MAX_HEADING_CHARS = 80


def suggested_questions(documents: Iterable[AnalysedDocument], limit: int = MAX_SUGGESTIONS) -> list[str]:
    documents = list(documents)
    chosen: list[str] = []
    for source in (faq_questions, headings, defined_names):
        for suggestion in source(documents):
            if len(chosen) == limit:
                return chosen
            if suggestion not in chosen:
                chosen.append(suggestion)
    return chosen


def faq_questions(documents: list[AnalysedDocument]) -> Iterator[str]:
    for doc in documents:
        for section in doc.sections:
            if section.question and len(section.path[-1]) <= MAX_HEADING_CHARS:
                yield unnumbered(section.path[-1])


def headings(documents: list[AnalysedDocument]) -> Iterator[str]:
    """The headings that the documents' formats mark (HTML, Markdown, Word): a plain text's are only lines that look
    like headings ("SHA: edfe02a4…", "REFERENCE", a sentence that lost its full stop), too often not one to offer."""
    for doc in documents:
        if not doc.document.headings:
            continue
        for section in doc.sections:
            text = unnumbered(section.path[-1])
            if not section.question and len(text) <= MAX_HEADING_CHARS and names_a_topic(text):
                yield text


def defined_names(documents: list[AnalysedDocument]) -> Iterator[str]:
    for doc in documents:
        names = {}
        for pair in doc.aliases:
            for side in pair:
                if len(side) == 1 and side[0] not in names:
                    # The name as the text writes it ("Keppra", "AED"), found from its index term; a name, so
                    # capitalised ("botulinum toxin (Botox)" defines Botox, not toxin).
                    found = re.search(rf"\b{re.escape(side[0])}\w*", doc.document.text, re.I)
                    if found and found.group(0)[:1].isupper():
                        names[side[0]] = found.group(0)
        for term in sorted(names, key=lambda t: -doc.surface_words.get(names[t].lower(), 0)):
            yield f"What is {names[term]}?"
