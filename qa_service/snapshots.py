"""Index snapshots: the built index saved in a file, keyed by the corpus content, so a restart loads it.

Analysing documents (splitting sentences, stemming every word) is most of the cost of building an index; an
unchanged corpus should not pay it again at every start. The file holds one index and a header naming what it
was built from: the content of every document and the code that analysed them. A file that is unreadable,
corrupt, made by other code or for other content is ignored, and the index is built as if it were absent.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import io
import json
import logging
import os
import pickle
import platform
import tempfile
import zlib
from pathlib import Path

import nltk
import numpy as np

from . import analysis, blocks, document_analysis, documents, formats, index, pdf, segments, sentences, word
from .document_analysis import AnalysedDocument
from .documents import Document
from .index import Index

log = logging.getLogger(__name__)

FILE_NAME = "index.snapshot"
FORMAT = 1
MAGIC = b"qa-index-snapshot\n"
MAX_HEADER_BYTES = 4096

# The modules whose code decides what an index holds; editing any of them makes saved indexes stale.
_ANALYSIS_MODULES = (analysis, blocks, document_analysis, documents, formats, index, pdf, segments, sentences,
                     word)
# What an index is made of besides the data classes of those modules; nothing else may be unpickled.
_ALLOWED_GLOBALS = frozenset({
    ("collections", "Counter"),
    ("numpy", "dtype"),
    ("numpy._core.numeric", "_frombuffer"),
})


@functools.cache
def code_version() -> str:
    """A fingerprint of the analysing code and the libraries it relies on, as this process loaded them."""
    digest = hashlib.sha256(f"{FORMAT} {platform.python_version()} {np.__version__} {nltk.__version__}".encode())
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
            if isinstance(found, type) and dataclasses.is_dataclass(found):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of an index")


class IndexSnapshots:
    """The saved index in one folder: loaded at start-up, and saved again when the corpus has changed since."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME
        self._loaded: Index | None = None
        self._starting = True

    def __repr__(self) -> str:
        return f"IndexSnapshots({str(self.folder)!r})"

    def analysed_documents(self) -> dict[tuple[str, str], AnalysedDocument]:
        """The saved index's documents by (id, version), to reuse instead of analysing them again."""
        self._loaded = self.load()
        if self._loaded is None:
            return {}
        return {(doc.document.id, doc.document.version): doc for doc in self._loaded.documents}

    def index_for(self, analysed: list[AnalysedDocument]) -> Index:
        """The index of these documents: the loaded one if it holds exactly them, else the loaded one updated to
        them (indexing only the documents changed since it was saved), else a new one.

        Only the index built at start-up is saved. Saving a large index takes seconds, which a rebuild while
        serving would add to the request waiting for it; and the next start-up still reuses every document of
        the saved index that has not changed since, so it only analyses what changed.
        """
        loaded, self._loaded = self._loaded, None
        starting, self._starting = self._starting, False
        if loaded is not None and len(loaded.documents) == len(analysed) and all(
                a is b for a, b in zip(loaded.documents, analysed, strict=True)):
            return loaded
        built = Index.build(analysed) if loaded is None else loaded.updated(analysed)
        if starting:
            self.save(built)
        return built

    def load(self) -> Index | None:
        """The saved index, or None when there is none or it cannot be trusted (the reason is logged)."""
        try:
            header, payload = self._read()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring index snapshot %s: %s", self.path, exc)
            return None
        collecting = gc.isenabled()
        gc.disable()  # millions of new objects, none of them garbage: collecting while loading only wastes time
        try:
            loaded = _IndexUnpickler(io.BytesIO(payload)).load()
            # The vectors are the documents' embeddings stacked: saved once, with the documents.
            index = Index(**loaded)
            described = header.get("content") == content_key([doc.document for doc in index.documents])
        except Exception as exc:  # a corrupt payload can fail in many ways; all mean "build instead"
            log.warning("ignoring index snapshot %s: %s", self.path, exc)
            return None
        finally:
            if collecting:
                gc.enable()
        if not described:
            log.warning("ignoring index snapshot %s: its header does not describe its documents", self.path)
            return None
        log.info("loaded index snapshot %s: %d documents, %d passages", self.path, len(index.documents),
                 index.passage_count)
        return index

    def save(self, built: Index) -> None:
        """Write the index beside the old file and rename it into place; failing to save is logged, not raised."""
        content = content_key([doc.document for doc in built.documents])
        try:
            if self._read()[0].get("content") == content:
                return  # another process saved this very corpus already
        except (OSError, ValueError):
            pass
        fields = {f.name: getattr(built, f.name) for f in dataclasses.fields(Index)}
        payload = pickle.dumps(fields, protocol=5)
        header = {"format": FORMAT, "code": code_version(), "content": content, "crc32": zlib.crc32(payload),
                  "documents": len(built.documents), "passages": built.passage_count}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(MAGIC + json.dumps(header).encode() + b"\n")
                    file.write(payload)
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:
            log.warning("cannot save index snapshot %s: %s", self.path, exc)
            return
        log.info("saved index snapshot %s (%d bytes)", self.path, len(payload))

    def _read(self) -> tuple[dict, bytes]:
        """The file's header and payload; ValueError unless this code wrote them and the checksum holds."""
        with self.path.open("rb") as file:
            if file.read(len(MAGIC)) != MAGIC:
                raise ValueError("not an index snapshot")
            line = file.readline(MAX_HEADER_BYTES)
            if not line.endswith(b"\n"):
                raise ValueError("header cut short")
            header = json.loads(line)
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ValueError("another snapshot format")
            payload = file.read()
        if header.get("code") != code_version():
            raise ValueError("made by other code")
        if header.get("crc32") != zlib.crc32(payload):
            raise ValueError("its content does not match its checksum")
        return header, payload
