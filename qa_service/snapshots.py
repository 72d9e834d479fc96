"""Index snapshots: the built index saved, keyed by the corpus content, so a restart or another host loads it.

Analysing documents (splitting sentences, stemming every word) and embedding their sentences are most of the cost of
building an index; an unchanged corpus should not pay them again at every start, nor on every host of a deployment.
A snapshot holds one index and a header naming what it was built from: the content of every document, the code that
analysed them and the model that embedded them; beside the index, the store's lasting position its documents were read
at (DocumentStore.lasting_position), from which the next start asks the store only what changed. Where snapshots are
published is a `publications` place: the cache folder, or PostgreSQL with DATABASE_URL. A snapshot that is
unreadable, corrupt, made by other code or for other content is ignored, and the index is built as if it were absent.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import gc
import hashlib
import logging
import mmap
import os
import pickle
import platform
import socket
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nltk
import numpy as np
import regex

from . import (
    analysis,
    blocks,
    boxes,
    document_analysis,
    documents,
    formats,
    index,
    markdown,
    mdx,
    packed,
    payload,
    pdf,
    segments,
    sentence_vectors,
    sentences,
    shortcodes,
    spelling,
    vector_search,
    word,
)
from .document_analysis import AnalysedDocument
from .documents import Document
from .index import Index
from .publications import FolderPlace, Publication, PublicationUnreadable, SnapshotKey, SnapshotPlace
from .sentence_vectors import SavedRows, SentenceVectors
from .store.base import DocumentStore

log = logging.getLogger(__name__)

# 2: the payload holds the store's lasting position beside the index.
# 3: the payload's large arrays lie outside its pickles (payload.py), and the sentence vectors are saved as one matrix.
FORMAT = 3
# The model of an index without sentence vectors (QA_SEMANTIC=off).
WORDS_ONLY = "words"

# The modules whose code decides what an index holds, the readers of every format among them (a document's text is
# what its reader made of the file); editing any of them makes saved indexes stale.
_ANALYSIS_MODULES = (analysis, blocks, boxes, document_analysis, documents, formats, index, markdown, mdx, packed,
                     payload, pdf, segments, sentence_vectors, sentences, shortcodes, spelling, vector_search, word)
# What an index is made of besides the data classes of those modules; nothing else may be unpickled.
_ALLOWED_GLOBALS = frozenset({
    ("numpy", "dtype"),
    ("numpy._core.numeric", "_frombuffer"),
})


@functools.cache
def code_version() -> str:
    """A fingerprint of the analysing code and the libraries it relies on, as this process loaded them."""
    digest = hashlib.sha256(f"{FORMAT} {platform.python_version()} {np.__version__} {nltk.__version__} "
                            f"{regex.__version__}".encode())
    for module in _ANALYSIS_MODULES:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def content_key(docs: list[Document]) -> str:
    """A fingerprint of a corpus: every document's id, format and version (a hash of its title and text)."""
    digest = hashlib.sha256()
    for doc in docs:
        digest.update(f"{doc.id}\0{doc.format}\0{doc.version}\n".encode())
    return digest.hexdigest()


class _IndexUnpickler(pickle.Unpickler):
    """Unpickles only what an index is made of, so that a tampered file cannot make loading run code."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        if module in {m.__name__ for m in _ANALYSIS_MODULES}:
            found = super().find_class(module, name)
            if isinstance(found, type) and (dataclasses.is_dataclass(found) or _is_named_tuple(found)):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of an index")


def _is_named_tuple(cls: type) -> bool:
    """A class made by typing.NamedTuple: unpickling one only calls tuple.__new__ with its fields."""
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


@dataclass(frozen=True)
class Origin:
    """How this process came by the index it started with: `built` (analysed and indexed here), `loaded` (a
    snapshot of this very corpus) or `updated` (a snapshot of an earlier version, with the documents changed since
    analysed and indexed here); and who published the snapshot."""

    how: str
    published_by: str | None = None


BUILT = Origin("built")
ORIGINS = ("built", "loaded", "updated")


class IndexSnapshots:
    """The published index: loaded at start-up, and published when this process built or updated it.

    `folder` is this host's cache folder (the embeddings of documents are saved there too), and the place snapshots
    are published in unless `place` names another (PostgreSQL, for a deployment of several hosts). `model` names the
    sentence-embedding model of the index's vectors: only snapshots of this code and this model are looked for there.
    """

    def __init__(self, folder: Path | None, place: SnapshotPlace | None = None, model: str = WORDS_ONLY):
        self.folder = Path(folder) if folder is not None else None
        if place is None and self.folder is None:
            raise ValueError("index snapshots need a folder or a place to publish them in")
        self.place = place or FolderPlace(self.folder)
        self.model = model
        self.origin = BUILT
        # The loaded index, its header, and the lasting position of the store (DocumentStore.lasting_position) its
        # documents were read at.
        self._loaded: tuple[Index, dict, dict | None] | None = None
        # The store whose position the index published at start-up records.
        self._store: DocumentStore | None = None
        self._starting = True
        # Publications found untrustworthy: one of them holding this very corpus does not spare publishing it again.
        self._passed_over: set[str] = set()
        # The content (content_key) of the last index this process published, None before it publishes one.
        self.published_content: str | None = None

    def __repr__(self) -> str:
        return f"IndexSnapshots({self.place!r})"

    @contextlib.contextmanager
    def starting(self, store: DocumentStore | None = None) -> Iterator[dict[tuple[str, str], AnalysedDocument]]:
        """The published index's documents by (id, version), to reuse instead of analysing them again; the `store`
        is resumed from the position saved with them (DocumentStore.resume), so that it reads only what changed
        since, and its position is saved with the index `index_for` publishes.

        When nothing is published, this waits while another process of the deployment builds (the place's build
        lock), and then takes its publication; or, first to come, holds the lock until `index_for` has published, so
        that the others wait for this build instead of making the same one.
        """
        self._store = store
        self._loaded = self._newest()
        if self._loaded is not None:
            yield self._resumed(self._loaded[0], self._loaded[2])
            return
        with self.place.building(code_version(), self.model):
            self._loaded = self._newest()
            yield self._resumed(self._loaded[0], self._loaded[2]) if self._loaded else {}

    def _resumed(self, loaded: Index, store_position: dict | None) -> dict[tuple[str, str], AnalysedDocument]:
        """The loaded index's documents, once the store has been resumed from the position saved with them."""
        documents = self._documents_of(loaded)
        if self._store is not None and store_position is not None:
            resumed = self._store.resume(store_position, [doc.document for doc in documents.values()])
            log.info("reading %r from the position saved with the index%s", self._store,
                     "" if resumed else ": not this store's; reading every document")
        return documents

    @staticmethod
    def _documents_of(loaded: Index) -> dict[tuple[str, str], AnalysedDocument]:
        return {(doc.document.id, doc.document.version): doc for doc in loaded.documents}

    def index_for(self, analysed: list[AnalysedDocument], marker: object = "", publish_update: bool = True) -> Index:
        """The index of these documents: the loaded one if it holds exactly them, else the loaded one updated to
        them (indexing only the documents changed since it was published), else a new one.

        Only the index built at start-up is published, under the store's `marker` read before the build, with the
        store's lasting position its documents were read at (so that the next start reads only what changed since);
        an updated one only when `publish_update` (else the caller has it published by another process).
        Publishing a large index takes seconds, which a rebuild while serving would add to the request waiting for
        it; and the next start-up still reuses every document of the published index that has not changed since.
        """
        loaded, self._loaded = self._loaded, None
        starting, self._starting = self._starting, False
        if loaded is not None and len(loaded[0].documents) == len(analysed) and all(
                a is b for a, b in zip(loaded[0].documents, analysed, strict=True)):
            self.origin = Origin("loaded", loaded[1].get("published_by"))
            return loaded[0]
        if loaded is None:
            built, self.origin = Index.build(analysed), BUILT
        else:
            built, self.origin = loaded[0].updated(analysed), Origin("updated", loaded[1].get("published_by"))
        if starting and (publish_update or self.origin is BUILT):
            self.save(built, marker, self._store.lasting_position() if self._store else None)
        return built

    def load(self) -> Index | None:
        """The newest published index that can be trusted; None when there is none (the reason for each one passed
        over is logged)."""
        newest = self._newest()
        return newest[0] if newest else None

    def _newest(self) -> tuple[Index, dict, dict | None] | None:
        """The newest published index that can be trusted, with its header and the store position saved with it."""
        for publication in self.place.published(code_version(), self.model):
            unpacked = self._unpacked(publication)
            if unpacked is not None:
                index, store_position = unpacked
                return index, publication.header, store_position
            self._passed_over.add(publication.where)
        return None

    def _unpacked(self, publication: Publication) -> tuple[Index, dict | None] | None:
        """The publication's index and store position, or None when it cannot be trusted: then it is withdrawn if it
        is corrupt (not when it is only another code's or format's, which other processes may load, or cannot be
        read for now)."""
        header = publication.header
        if header.get("format") != FORMAT:
            log.warning("ignoring index snapshot %s: another snapshot format", publication.where)
            return None
        if header.get("code") != code_version():
            log.warning("ignoring index snapshot %s: made by other code", publication.where)
            return None
        try:
            data = publication.read_payload()
        except PublicationUnreadable as exc:
            log.warning("ignoring and withdrawing index snapshot %s: %s", publication.where, exc)
            self.place.withdraw(publication)
            return None
        except OSError as exc:
            log.warning("ignoring index snapshot %s for now: %s", publication.where, exc)
            return None
        try:
            index, store_position = self._index_of(header, data)
        except (PublicationUnreadable, ValueError) as exc:
            log.warning("ignoring and withdrawing index snapshot %s: %s", publication.where, exc)
            self.place.withdraw(publication)
            return None
        log.info("loaded index snapshot %s, published by %s: %d documents, %d passages", publication.where,
                 header.get("published_by", "an earlier run"), len(index.documents), index.passage_count)
        return index, store_position

    @staticmethod
    def _index_of(header: dict, data: bytes | memoryview) -> tuple[Index, dict | None]:
        """The index a payload holds and the store position saved with it; ValueError unless it matches its
        header's checksum and content. Its large arrays are views of `data` (payload.py)."""
        if header.get("crc32") != _checksum(data):
            raise ValueError("its content does not match its checksum")
        collecting = gc.isenabled()
        gc.disable()  # millions of new objects, none of them garbage: collecting while loading only wastes time
        try:
            saved = payload.Payload(data)
            # The corpus's sentence vectors first, as one matrix: the documents' own are rows of it.
            vectors = saved.load(0, _IndexUnpickler)
            if vectors is not None and not isinstance(vectors, SentenceVectors):
                raise ValueError("its vectors are not sentence vectors")
            loaded = saved.load(1, _IndexUnpickler)
            for doc in loaded["index"]["documents"]:
                if isinstance(doc.embeddings, SavedRows):
                    doc.embeddings = doc.embeddings.of(vectors)
            index = Index(**loaded["index"], saved_vectors=vectors)
            store_position = loaded["store_position"]
            # The pickles' pages of a mapped file are read once, for the objects they make (at a million passages
            # about 400 MiB): let go, like those the checksum read, so the process holds only the arrays it uses.
            _let_go(data)
            described = header.get("content") == content_key([doc.document for doc in index.documents])
        except Exception as exc:  # a corrupt payload can fail in many ways; all mean "build instead"
            raise ValueError(str(exc) or type(exc).__name__) from exc
        finally:
            if collecting:
                # The index's objects were all made while the collector was off, so they all wait in its youngest
                # generation: the first collections after this would go through every one of them, three times
                # over as they age (at 100,000 passages 0.4 s, a third of a restart), to find nothing. They live
                # as long as the index, so they leave the collector's generations at once.
                gc.freeze()
                gc.enable()
        if not described:
            raise ValueError("its header does not describe its documents")
        return index, store_position

    def save(self, built: Index, marker: object = "", store_position: dict | None = None) -> bool:
        """Publish the index, unless the newest publication holds this very corpus already; whether it was
        published. Failing to publish is logged, not raised."""
        content = content_key([doc.document for doc in built.documents])
        embedded = built.vectors is not None
        newest = next(iter(self.place.published(code_version(), self.model)), None)
        if newest is not None and newest.where not in self._passed_over and \
                newest.header.get("code") == code_version() and newest.header.get("content") == content and \
                newest.header.get("embedded", True) >= embedded:
            return False  # another process published this very corpus already (embedded, if this one is)
        fields = {f.name: getattr(built, f.name) for f in dataclasses.fields(Index)}
        # Saved as one matrix, documents in order, however many a corpus after writes reads them from.
        matrix = built.vectors.as_matrix() if embedded else None
        fields["documents"] = _naming_their_rows(built, matrix)
        pieces = payload.pieces([matrix, {"index": fields, "store_position": store_position}])
        # The corpus embedded later (LiveCorpus) is published under a key of its own beside its words-alone version.
        key = SnapshotKey(f"{marker} embedded" if embedded else str(marker), code_version(), self.model)
        header = {"format": FORMAT, "code": key.code, "model": key.model, "corpus": key.corpus, "content": content,
                  "crc32": _checksum(*pieces), "documents": len(built.documents), "passages": built.passage_count,
                  "embedded": embedded,
                  "published_by": f"{socket.gethostname()} (pid {os.getpid()})",
                  "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        started = time.perf_counter()
        try:
            published = self.place.publish(key, header, pieces)
        except OSError as exc:
            log.warning("cannot publish the index snapshot in %r: %s", self.place, exc)
            return False
        if published:
            self.published_content = content
            log.info("published index snapshot in %r (%d bytes) in %.2f s", self.place,
                     sum(memoryview(piece).nbytes for piece in pieces),
                     time.perf_counter() - started)
        return published


def _checksum(*pieces: bytes | memoryview) -> int:
    """The CRC-32 of these pieces one after another; a mapped file's pages read for it are let go after."""
    crc = 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
        _let_go(piece)
    return crc


def _let_go(data: bytes | memoryview) -> None:
    """Drop the pages of a mapped file that this process has read from its page tables: they stay in the kernel's
    page cache, and the arrays that are views of them read them again from there when they need them, so that the
    process holds (and its RSS and PSS count) only the pages its answers use. Nothing to do for bytes in memory."""
    mapped = data.obj if isinstance(data, memoryview) else None
    if isinstance(mapped, mmap.mmap):
        mapped.madvise(mmap.MADV_DONTNEED)


def _naming_their_rows(built: Index, matrix: SentenceVectors | None) -> list[AnalysedDocument]:
    """The index's documents, each one whose vectors are rows of the matrix saved as a copy naming those rows
    instead (SavedRows), so that the matrix is saved once (and mapped on load, not copied: payload.py). Copies, since
    answers read the documents themselves meanwhile. The matrix is the index's own, or one stacked from the
    documents' vectors in their order (`CorpusVectors.as_matrix`), whose rows they then are by construction."""
    if matrix is None:
        return built.documents
    stacked = matrix is not built.vectors
    steps = matrix.steps
    start, row_bytes = steps.__array_interface__["data"][0], steps.strides[0]
    named = []
    for doc, first, last in zip(built.documents, built.sentence_base[:-1].tolist(), built.sentence_base[1:].tolist(),
                                strict=True):
        rows = doc.embeddings
        if stacked or (rows is not None and len(rows) == last - first and rows.steps.strides == steps.strides and
                       rows.steps.__array_interface__["data"][0] == start + first * row_bytes):
            doc = copy.copy(doc)
            doc.embeddings = SavedRows(first, last)
        named.append(doc)
    return named
