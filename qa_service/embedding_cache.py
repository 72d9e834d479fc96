"""Saved sentence embeddings, one file per document content and model, so that a document is embedded once.

The index snapshot (snapshots.py) holds the embeddings of the index it saved, but it is keyed by the code that
analysed the corpus: a new release of the service would embed every document again. These files are keyed by the
model and the very sentences embedded, so they stay valid across releases as long as those do not change, and a
document changed back to an earlier version finds its embeddings too.

A file holds one record per sentence: the vector's scale and its int8 steps (sentence_vectors.py). Files of float16
vectors, as releases before the steps saved them, are read too: embedding a large corpus again takes hours.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .document_analysis import AnalysedDocument
from .sentence_vectors import SentenceVectors

log = logging.getLogger(__name__)


class EmbeddingCache:
    """A folder of `.npy` files of sentence vectors, named by a hash of the model and the sentences."""

    def __init__(self, folder: Path, model: str):
        self.folder = Path(folder)
        self.model = model

    def path(self, doc: AnalysedDocument) -> Path:
        digest = hashlib.sha256(self.model.encode())
        for i in range(len(doc.sentences)):
            digest.update(b"\0" + doc.sentence_text(i).encode("utf-8", "surrogatepass"))
        return self.folder / f"{digest.hexdigest()[:32]}.npy"

    @contextlib.contextmanager
    def computing(self, wait: bool = True) -> Iterator[None]:
        """Held while this process computes embeddings to save here: the gunicorn workers that find the same
        documents unembedded (a large corpus at start-up, a write) take turns, and the one that waited finds what
        the other saved instead of computing it again. A process that dies lets go. Without `wait`, a turn that is
        taken is not waited for (a start-up computing a few sentences must not wait for hours of another service's
        background work): both compute. Without a folder that can hold the lock, nobody waits."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = os.open(self.folder / ".computing.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            log.warning("computing embeddings without taking turns: %s", exc)
            yield
            return
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                log.info("another process is computing embeddings for %s: not waiting for it", self.folder)
            yield
        finally:
            os.close(handle)

    def get(self, doc: AnalysedDocument) -> SentenceVectors | None:
        """The document's saved vectors, or None when there are none or they do not fit it (logged)."""
        path = self.path(doc)
        try:
            vectors = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring saved embeddings %s: %s", path, exc)
            return None
        if len(vectors) != len(doc.sentences):
            log.warning("ignoring saved embeddings %s: %d rows for %d sentences", path, len(vectors),
                        len(doc.sentences))
            return None
        if vectors.dtype.names == ("scale", "steps") and vectors.ndim == 1:
            return SentenceVectors(np.ascontiguousarray(vectors["steps"]), np.ascontiguousarray(vectors["scale"]))
        if vectors.dtype == np.float16 and vectors.ndim == 2:
            return SentenceVectors.of(vectors)
        log.warning("ignoring saved embeddings %s: %s of shape %s are not sentence vectors", path, vectors.dtype,
                    vectors.shape)
        return None

    def put(self, doc: AnalysedDocument, vectors: SentenceVectors) -> None:
        """Save beside the final name and rename into place; failing to save is logged, not raised."""
        path = self.path(doc)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=self.folder)
            try:
                with os.fdopen(handle, "wb") as file:
                    np.save(file, _records(vectors), allow_pickle=False)
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:
            log.warning("cannot save embeddings %s: %s", path, exc)


def _records(vectors: SentenceVectors) -> np.ndarray:
    """The vectors as one record per sentence, a form `np.load` reads without pickle."""
    records = np.empty(len(vectors), np.dtype([("scale", "<f4"), ("steps", "i1", (vectors.width,))]))
    records["scale"] = vectors.scale
    records["steps"] = vectors.steps
    return records
