"""What a citation names: a document at a version. The served document when that version is served; else, while the
store's history keeps it (a document since replaced or removed), that version, analysed as an index would analyse
it, so that the quote's offsets still mark the quote (`state.cited_versions()` keeps the ones read lately)."""

from __future__ import annotations

from .document_analysis import AnalysedDocument, analyse
from .documents import DocumentRejected
from .state import cited_versions, live_corpus, store
from .store.base import StoreUnavailable, UnknownVersion


def cited_document(doc_id: str, version: str | None) -> tuple[AnalysedDocument | None, bool]:
    """The document at the version a citation names, and whether that is an earlier version than the one served;
    the served document (None: none) when no version is named or the history no longer keeps it."""
    served = live_corpus().current().document(doc_id)
    if version is None or (served is not None and served.document.version == version):
        return served, False
    earlier = cited_versions().get((doc_id, version))
    if earlier is None:
        try:
            kept = store().version(doc_id, version)
        except (UnknownVersion, DocumentRejected, StoreUnavailable):
            return served, False
        earlier = cited_versions().put((doc_id, version), analyse(kept.document))
    return earlier, True
