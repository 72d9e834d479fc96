"""What a citation names: a document at a version. The served document when that version is served; else, while the
store's history keeps it (a document since replaced or removed), that version, analysed as an index would analyse
it, so that the quote's offsets still mark the quote (`state.cited_versions()` keeps the ones read lately)."""

from __future__ import annotations

from typing import NamedTuple

from .document_analysis import AnalysedDocument, analyse
from .documents import DocumentRejected
from .state import cited_versions, live_corpus, store
from .store.base import StoreUnavailable, UnknownVersion


class Cited(NamedTuple):
    """The document a citation's page or request shows, and the one served under its id now (None: none)."""

    shown: AnalysedDocument | None
    served: AnalysedDocument | None

    @property
    def earlier(self) -> bool:
        """Whether what is shown is an earlier version than the one served (or than none, once removed)."""
        return self.shown is not self.served


def cited_document(doc_id: str, version: str | None) -> Cited:
    """The document at the version a citation names; the served document when no version is named or the history
    no longer keeps it."""
    served = live_corpus().current().document(doc_id)
    if version is None or (served is not None and served.document.version == version):
        return Cited(served, served)
    earlier = cited_versions().get((doc_id, version))
    if earlier is None:
        try:
            kept = store().version(doc_id, version)
        except (UnknownVersion, DocumentRejected, StoreUnavailable):
            return Cited(served, served)
        earlier = cited_versions().put((doc_id, version), analyse(kept.document))
    return Cited(earlier, served)
