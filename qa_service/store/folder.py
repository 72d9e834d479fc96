"""The folder store: each document a file in one folder, written atomically and durably."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from .. import formats
from ..documents import Document, DocumentRejected, is_valid_id, parse_document
from .base import (
    TITLE_LINE,
    UNCONDITIONAL,
    DocumentStore,
    Precondition,
    SkippedFile,
    StoreUnavailable,
    UnknownDocument,
    Written,
    check_id,
    given_title,
    prepare_write,
    split_title_line,
)

log = logging.getLogger(__name__)


class FolderStore(DocumentStore):
    """Documents as files in one folder; a document's id is its file name without the extension.

    Writers take an exclusive lock on `.qa-lock` in the folder (so processes take turns), write a temporary file
    beside the target, fsync it, rename it into place and fsync the folder; then they replace `.qa-version`, a
    marker that readers compare on every request. Readers take the shared lock while loading.
    """

    LOCK_NAME = ".qa-lock"
    MARKER_NAME = ".qa-version"
    TEMPORARY_PREFIX = ".qa-tmp-"

    def __init__(self, folder: Path, max_document_bytes: int):
        self.folder = Path(folder)
        self.max_document_bytes = max_document_bytes
        self._parsed: dict[tuple, Document | DocumentRejected] = {}

    def __repr__(self) -> str:
        return f"FolderStore({str(self.folder)!r})"

    # reading

    def files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(
            (entry for entry in self.folder.iterdir()
             if entry.is_file() and not entry.name.startswith(".") and formats.of_file(entry) is not None),
            key=lambda p: p.name,
        )

    def signature(self) -> tuple:
        """A cheap fingerprint of the folder (names, sizes, modification times): it changes when a file does."""
        try:
            with os.scandir(self.folder) as entries:
                return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns)
                                    for e in entries if e.is_file() and not e.name.startswith(".")))
        except FileNotFoundError:
            return ()

    def marker(self) -> str:
        """What the last write through a store left in the marker file: one small read, done on every request."""
        try:
            return (self.folder / self.MARKER_NAME).read_text(encoding="ascii")
        except (FileNotFoundError, NotADirectoryError):
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreUnavailable(f"cannot read {self.folder / self.MARKER_NAME}: {exc}") from exc

    def load(self) -> tuple[list[Document], list[SkippedFile]]:
        """Every readable document, and every file skipped with the reason; a bad file is logged, never fatal.

        A file whose name, size, modification time and inode are unchanged since the last load is not read again.
        """
        documents: dict[str, Document] = {}
        skipped: list[SkippedFile] = []
        parsed: dict[tuple, Document | DocumentRejected] = {}
        with self._lock(fcntl.LOCK_SH):
            for path in self.files():
                doc_id = path.stem
                if not is_valid_id(doc_id):
                    skipped.append(SkippedFile(path.name, "bad_id", f"{path.name}: file name is not a valid id"))
                elif doc_id in documents:
                    skipped.append(SkippedFile(path.name, "duplicate_id",
                                               f"{path.name}: another file already has the id {doc_id!r}"))
                else:
                    try:
                        key, outcome = self._read_cached(path)
                    except OSError as exc:
                        skipped.append(SkippedFile(path.name, "unreadable", f"{path.name}: {exc.strerror}"))
                    else:
                        parsed[key] = outcome
                        if isinstance(outcome, Document):
                            documents[doc_id] = outcome
                            continue
                        skipped.append(SkippedFile(path.name, outcome.reason, str(outcome)))
                log.warning("skipping corpus file: %s", skipped[-1].message)
        self._parsed = parsed
        return list(documents.values()), skipped

    def _read_cached(self, path: Path) -> tuple[tuple, Document | DocumentRejected]:
        status = path.stat()
        key = (path.name, status.st_size, status.st_mtime_ns, status.st_ino)
        outcome = self._parsed.get(key)
        if outcome is None:
            try:
                outcome = self.read(path)
            except DocumentRejected as exc:
                outcome = exc
        return key, outcome

    def read(self, path: Path) -> Document:
        """One corpus file as a document; raises DocumentRejected (too large, not UTF-8, no text, ...)."""
        fmt = formats.of_file(path)
        if fmt is None:
            raise DocumentRejected(f"{path.name}: not a {formats.file_kinds()} file", "format")
        size = path.stat().st_size
        if size > self.max_document_bytes:
            raise DocumentRejected(f"{path.name}: {size} bytes is over the limit of {self.max_document_bytes} "
                                   "bytes", "too_large")
        raw = path.read_bytes()
        title, body = (None, raw) if fmt.binary else split_title_line(raw)
        return parse_document(path.stem, body, fmt.name, title, source=path.name)

    def document_files(self, doc_id: str) -> list[Path]:
        """The files that hold (or would hold) this id, in the order load() considers them."""
        return [p for p in self.files() if p.stem == doc_id]

    def current(self, doc_id: str) -> Document | None:
        """The document served under this id, as load() would choose it, or None."""
        for path in self.document_files(doc_id):
            try:
                return self.read(path)
            except (DocumentRejected, OSError):
                continue
        return None

    # writing

    def put(self, doc_id: str, raw: bytes, fmt: str, title: str | None = None,
            precondition: Precondition = UNCONDITIONAL) -> Written:
        """Create or replace a document atomically and durably; nothing changes when it is rejected."""
        if formats.named(fmt) is not None and formats.named(fmt).binary and given_title(title) is not None:
            # A binary file is kept byte for byte, so there is no first line to hold a title in: it names its own.
            raise DocumentRejected(f"{doc_id}: a {fmt} document in a corpus folder takes its title from the file "
                                   "itself; send it without a title", "format")
        title, raw, document = prepare_write(doc_id, raw, fmt, title, self.max_document_bytes)
        stored = TITLE_LINE + title.encode("utf-8") + b"\n" + raw if title else raw
        with self._writing():
            previous = self.current(doc_id)
            precondition.check(doc_id, previous)
            self._remove_temporary_files()
            target = self.folder / f"{doc_id}{formats.named(fmt).extensions[0]}"
            self._write_file(target, stored)
            # Only now that the new file is in place: a crash before this line leaves the old one whole.
            for other in self.document_files(doc_id):
                if other != target:
                    other.unlink()
            self._sync_folder()
            self._advance_marker()
        return Written(document, created=previous is None)

    def delete(self, doc_id: str, precondition: Precondition = UNCONDITIONAL) -> None:
        """Remove a document: every file holding its id, even one that is skipped as unreadable."""
        check_id(doc_id)
        with self._writing():
            files = self.document_files(doc_id)
            previous = self.current(doc_id)
            if previous is None and not files:
                raise UnknownDocument(doc_id)
            precondition.check(doc_id, previous)
            for path in files:
                path.unlink()
            self._sync_folder()
            self._advance_marker()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The folder's write lock; a folder that cannot be written (read-only, full, gone) is an unavailable store."""
        try:
            with self._lock(fcntl.LOCK_EX, create=True):
                yield
        except OSError as exc:
            raise StoreUnavailable(f"cannot write to the corpus folder {self.folder}: {exc.strerror or exc}") from exc

    @contextlib.contextmanager
    def _lock(self, kind: int, create: bool = False) -> Iterator[None]:
        """Hold the folder's lock file; a reader of a folder it cannot write to goes without (no writer can)."""
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.folder / self.LOCK_NAME, os.O_RDWR | os.O_CREAT if create else os.O_RDONLY,
                                 0o644)
        except OSError as exc:
            if create or exc.errno not in (errno.ENOENT, errno.EACCES, errno.EROFS, errno.ENOTDIR):
                raise
            yield
            return
        try:
            fcntl.flock(descriptor, kind)
            yield
        finally:
            os.close(descriptor)

    def _write_file(self, target: Path, content: bytes) -> None:
        temporary = self.folder / f"{self.TEMPORARY_PREFIX}{uuid.uuid4().hex}"
        try:
            with open(temporary, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _sync_folder(self) -> None:
        # The rename is durable only once the folder's own entry list is on disk.
        descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _advance_marker(self) -> None:
        self._write_file(self.folder / self.MARKER_NAME, uuid.uuid4().hex.encode("ascii"))
        self._sync_folder()

    def _remove_temporary_files(self) -> None:
        # Left by a writer that was killed; no other writer can be running while we hold the lock.
        for leftover in self.folder.glob(f"{self.TEMPORARY_PREFIX}*"):
            leftover.unlink(missing_ok=True)

    def sources(self) -> Iterator[tuple[str, bytes, str]]:
        """(id, raw source, format) of every file load() serves: what a PostgreSQL store is seeded with."""
        documents, _ = self.load()
        served = {d.id for d in documents}
        for path in self.files():
            if path.stem in served:
                served.discard(path.stem)
                yield path.stem, path.read_bytes(), formats.of_file(path).name
