"""The served corpus: an immutable snapshot (documents, index, version) and the live reference that swaps it."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from .index import AnalysedDocument, Index, analyse
from .store import FolderStore, SkippedFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Corpus:
    """What questions are answered from. Never changed once built; an update builds a new one."""

    index: Index
    version: str
    skipped: tuple[SkippedFile, ...]
    built_in_seconds: float

    def document(self, doc_id: str) -> AnalysedDocument | None:
        position = self.index.position.get(doc_id)
        return None if position is None else self.index.documents[position]


def corpus_version(documents: list[AnalysedDocument]) -> str:
    digest = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.document.id):
        digest.update(f"{doc.document.id}\0{doc.document.version}\n".encode())
    return digest.hexdigest()[:16]


class LiveCorpus:
    """Holds the current Corpus and replaces it when the store changes; readers never wait for a rebuild."""

    def __init__(self, store: FolderStore, reload_seconds: float):
        self.store = store
        self.reload_seconds = reload_seconds
        self._analysed: dict[tuple[str, str], AnalysedDocument] = {}
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._signature = store.signature()
        self._current = self._build()

    def current(self) -> Corpus:
        """The corpus to answer from now; checks the store at most every `reload_seconds`."""
        now = time.monotonic()
        if now - self._checked_at >= self.reload_seconds and self._lock.acquire(blocking=False):
            try:
                self._checked_at = now
                signature = self.store.signature()
                if signature != self._signature:
                    self._signature = signature
                    self._current = self._build()
            finally:
                self._lock.release()
        return self._current

    def _build(self) -> Corpus:
        started = time.perf_counter()
        documents, skipped = self.store.load()
        analysed = []
        reused: dict[tuple[str, str], AnalysedDocument] = {}
        for document in documents:
            key = (document.id, document.version)
            cached = self._analysed.get(key)
            if cached is None or cached.document != document:
                cached = analyse(document)
            reused[key] = cached
            analysed.append(cached)
        self._analysed = reused
        index = Index.build(analysed)
        corpus = Corpus(index, corpus_version(analysed), tuple(skipped), time.perf_counter() - started)
        log.info("corpus %s: %d documents, %d passages, built in %.2f s", corpus.version, len(analysed),
                 index.passage_count, corpus.built_in_seconds)
        return corpus
