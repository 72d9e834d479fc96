"""The corpus store: where documents live (a folder, or PostgreSQL), how writes reach it, and what changed in it.

Both stores keep each document's source as it was sent (text, Markdown or HTML) and parse it on reading, so a
document reads the same from either. A title given with a document, rather than taken from its source, is kept
beside the source: a column in PostgreSQL, a first line "% <title>" in a file (Pandoc's title line).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import threading
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .config import Settings
from .documents import ID_RULE, Document, DocumentRejected, format_of, is_valid_id, parse_document

log = logging.getLogger(__name__)

EXTENSIONS = {"text": ".txt", "markdown": ".md", "html": ".html"}
TITLE_LINE = b"% "
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class SkippedFile:
    """A file (or stored row) that is not served, and why."""

    name: str
    reason: str
    message: str


@dataclass(frozen=True)
class Written:
    """The outcome of a write: the document as it now reads, and whether it is new."""

    document: Document
    created: bool


@dataclass(frozen=True)
class Precondition:
    """What the stored document must be for a write to go ahead: HTTP's If-Match and If-None-Match.

    Each is a set of versions, "*" meaning any version; None means the header was not sent."""

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None

    def allows(self, current: str | None) -> bool:
        if self.if_match is not None and (current is None or ("*" not in self.if_match
                                                              and current not in self.if_match)):
            return False
        return not (self.if_none_match is not None and current is not None
                    and ("*" in self.if_none_match or current in self.if_none_match))


class PreconditionFailed(Exception):
    """The stored document is not the one the writer expected; nothing was written."""

    def __init__(self, doc_id: str, current: str | None):
        super().__init__(f"{doc_id}: the stored version is {current or 'absent'}")
        self.current = current


class UnknownDocument(LookupError):
    """A document id that the store does not hold."""


class StoreUnavailable(RuntimeError):
    """The store cannot be read or written now (the database is unreachable, say)."""


def split_title_line(raw: bytes) -> tuple[str | None, bytes]:
    """A leading "% <title>" line, decoded, and the source after it; (None, raw) when there is none."""
    body = raw.removeprefix(b"\xef\xbb\xbf")
    if not body.startswith(TITLE_LINE):
        return None, raw
    line, _, rest = body.partition(b"\n")
    try:
        title = line[len(TITLE_LINE):].decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, raw
    return (title or None), rest


def given_title(title: str | None) -> str | None:
    """A title given with a document, on one line (a file keeps it on its first line); None when blank."""
    return " ".join(title.split()) or None if title is not None else None


def prepare_write(doc_id: str, raw: bytes, fmt: str, title: str | None, max_bytes: int
                  ) -> tuple[str | None, bytes, Document]:
    """The title, source and checked document of a write: a given title wins over a "% title" first line."""
    title = given_title(title)
    if title is None:
        title, raw = split_title_line(raw)
    return title, raw, check_document(doc_id, raw, fmt, title, max_bytes)


def check_document(doc_id: str, raw: bytes, fmt: str, title: str | None, max_bytes: int,
                   source: str | None = None) -> Document:
    """The document a write would store, or DocumentRejected (reason bad_id, too_large, format, encoding, ...)."""
    if not is_valid_id(doc_id):
        raise DocumentRejected(f"{doc_id!r} is not a valid id: {ID_RULE}", "bad_id")
    if len(raw) > max_bytes:
        raise DocumentRejected(f"{source or doc_id}: {len(raw)} bytes is over the limit of {max_bytes} bytes",
                               "too_large")
    if fmt not in EXTENSIONS:
        raise DocumentRejected(f"{source or doc_id}: unknown format {fmt!r}; use text, markdown or html", "format")
    document = parse_document(doc_id, raw, fmt, title, source=source)
    if not _WORD.search(document.text):
        raise DocumentRejected(f"{source or doc_id}: no sentence with a word in it is left after cleaning", "no_text")
    return document


def open_store(settings: Settings) -> FolderStore | PostgresStore:
    """PostgreSQL when DATABASE_URL is set (seeded from QA_CORPUS while it holds no corpus), else the folder."""
    if settings.database_url:
        store = PostgresStore(settings.database_url, settings.qa_max_document_bytes)
        store.set_up(seed=FolderStore(settings.corpus_path, settings.qa_max_document_bytes))
        return store
    return FolderStore(settings.corpus_path, settings.qa_max_document_bytes)


# --- the folder ---------------------------------------------------------------------------------------------

class FolderStore:
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
             if entry.is_file() and not entry.name.startswith(".") and format_of(entry) is not None),
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
        fmt = format_of(path)
        if fmt is None:
            raise DocumentRejected(f"{path.name}: not a .txt, .md or .html file", "format")
        size = path.stat().st_size
        if size > self.max_document_bytes:
            raise DocumentRejected(f"{path.name}: {size} bytes is over the limit of {self.max_document_bytes} "
                                   "bytes", "too_large")
        title, body = split_title_line(path.read_bytes())
        return parse_document(path.stem, body, fmt, title, source=path.name)

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
            precondition: Precondition = Precondition()) -> Written:
        """Create or replace a document atomically and durably; nothing changes when it is rejected."""
        title, raw, document = prepare_write(doc_id, raw, fmt, title, self.max_document_bytes)
        stored = TITLE_LINE + title.encode("utf-8") + b"\n" + raw if title else raw
        with self._writing():
            previous = self.current(doc_id)
            if not precondition.allows(previous.version if previous else None):
                raise PreconditionFailed(doc_id, previous.version if previous else None)
            self._remove_temporary_files()
            target = self.folder / f"{doc_id}{EXTENSIONS[fmt]}"
            self._write_file(target, stored)
            # Only now that the new file is in place: a crash before this line leaves the old one whole.
            for other in self.document_files(doc_id):
                if other != target:
                    other.unlink()
            self._sync_folder()
            self._advance_marker()
        return Written(document, created=previous is None)

    def delete(self, doc_id: str, precondition: Precondition = Precondition()) -> None:
        """Remove a document: every file holding its id, even one that is skipped as unreadable."""
        if not is_valid_id(doc_id):
            raise DocumentRejected(f"{doc_id!r} is not a valid id: {ID_RULE}", "bad_id")
        with self._writing():
            files = self.document_files(doc_id)
            previous = self.current(doc_id)
            if previous is None and not files:
                raise UnknownDocument(doc_id)
            if not precondition.allows(previous.version if previous else None):
                raise PreconditionFailed(doc_id, previous.version if previous else None)
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
                yield path.stem, path.read_bytes(), format_of(path)


# --- PostgreSQL ---------------------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS qa_documents (
    id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,100}$' AND id NOT IN ('.', '..')),
    format text NOT NULL CHECK (format IN ('text', 'markdown', 'html')),
    title text,
    source text NOT NULL,
    version text NOT NULL,
    revision bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS qa_corpus (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""
# Any constant: the key of the advisory lock that lets only one process create the tables and seed them.
SET_UP_LOCK = 7_146_025_118


class PostgresStore:
    """Documents as rows of `qa_documents`; `qa_corpus.revision` goes up by one in every write's transaction.

    `title` holds a title given with the document (NULL: taken from the source); `version` is the document's
    version when it was written; `revision` is the corpus revision of that write, which is what tells a reader
    that a row changed. Writers take turns by locking the one `qa_corpus` row. Each thread keeps one
    connection, for the revision check that every request makes.
    """

    def __init__(self, url: str, max_document_bytes: int):
        self.url = url
        self.max_document_bytes = max_document_bytes
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._connections_lock = threading.Lock()
        self._parsed: dict[tuple[str, int], Document | DocumentRejected] = {}
        _OPEN_STORES.add(self)

    def __repr__(self) -> str:
        return f"PostgresStore({psycopg.conninfo.conninfo_to_dict(self.url).get('dbname')!r})"

    def _connection(self) -> psycopg.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.broken:
            try:
                connection = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.OperationalError as exc:
                raise StoreUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc
            self._local.connection = connection
            with self._connections_lock:
                self._connections = [c for c in self._connections if not c.closed] + [connection]
        return connection

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        connection = self._connection()
        try:
            with connection.transaction():
                yield connection
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"PostgreSQL: {exc}") from exc

    def close(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    def set_up(self, seed: FolderStore | None = None) -> None:
        """Create the tables when missing and, the first time, copy the seed folder's documents in."""
        with self._transaction() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (SET_UP_LOCK,))
            connection.execute(SCHEMA)
            if connection.execute("SELECT 1 FROM qa_corpus").fetchone():
                return
            connection.execute("INSERT INTO qa_corpus (revision) VALUES (1)")
            count = 0
            for doc_id, raw, fmt in (seed.sources() if seed else ()):
                title, body = split_title_line(raw)
                try:
                    document = check_document(doc_id, body, fmt, title, self.max_document_bytes)
                except DocumentRejected as error:
                    log.warning("not seeding %s: %s", doc_id, error)
                    continue
                self._upsert(connection, document, body, title, revision=1)
                count += 1
            log.info("PostgreSQL store set up, seeded with %d documents from %s", count, seed)

    def signature(self) -> int:
        return self.marker()

    def marker(self) -> int:
        """The corpus revision: one indexed single-row read, done on every request."""
        try:
            row = self._connection().execute("SELECT revision FROM qa_corpus").fetchone()
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"PostgreSQL: {exc}") from exc
        return row[0] if row else 0

    def load(self) -> tuple[list[Document], list[SkippedFile]]:
        """Every stored document, parsed; rows unchanged since the last load are not fetched again."""
        with self._transaction() as connection:
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            rows = connection.execute("SELECT id, revision FROM qa_documents ORDER BY id").fetchall()
            missing = [doc_id for doc_id, revision in rows if (doc_id, revision) not in self._parsed]
            fetched = connection.execute(
                "SELECT id, revision, format, title, source FROM qa_documents WHERE id = ANY(%s)", (missing,)
            ).fetchall() if missing else []
        parsed = {key: self._parsed[key] for key in ((d, r) for d, r in rows) if key in self._parsed}
        for doc_id, revision, fmt, title, source in fetched:
            try:
                parsed[(doc_id, revision)] = parse_document(doc_id, source, fmt, title)
            except DocumentRejected as exc:
                parsed[(doc_id, revision)] = exc
        self._parsed = parsed
        documents, skipped = [], []
        for key in rows:
            outcome = parsed.get(tuple(key))
            if isinstance(outcome, Document):
                documents.append(outcome)
            elif outcome is not None:
                skipped.append(SkippedFile(key[0], outcome.reason, str(outcome)))
                log.warning("skipping stored document: %s", outcome)
        return documents, skipped

    def current(self, doc_id: str) -> Document | None:
        with self._transaction() as connection:
            return self._current(connection, doc_id, lock=False)

    def _current(self, connection: psycopg.Connection, doc_id: str, lock: bool) -> Document | None:
        row = connection.execute(
            "SELECT format, title, source FROM qa_documents WHERE id = %s" + (" FOR UPDATE" if lock else ""),
            (doc_id,)).fetchone()
        if row is None:
            return None
        fmt, title, source = row
        try:
            return parse_document(doc_id, source, fmt, title)
        except DocumentRejected:
            return None

    def put(self, doc_id: str, raw: bytes, fmt: str, title: str | None = None,
            precondition: Precondition = Precondition()) -> Written:
        """Create or replace a document in one transaction; nothing changes when it is rejected."""
        title, raw, document = prepare_write(doc_id, raw, fmt, title, self.max_document_bytes)
        with self._transaction() as connection:
            revision = self._next_revision(connection)
            previous = self._current(connection, doc_id, lock=True)
            if not precondition.allows(previous.version if previous else None):
                raise PreconditionFailed(doc_id, previous.version if previous else None)
            self._upsert(connection, document, raw, title, revision)
        return Written(document, created=previous is None)

    def delete(self, doc_id: str, precondition: Precondition = Precondition()) -> None:
        """Remove a document in one transaction."""
        if not is_valid_id(doc_id):
            raise DocumentRejected(f"{doc_id!r} is not a valid id: {ID_RULE}", "bad_id")
        with self._transaction() as connection:
            self._next_revision(connection)
            if connection.execute("SELECT 1 FROM qa_documents WHERE id = %s FOR UPDATE", (doc_id,)).fetchone() is None:
                raise UnknownDocument(doc_id)
            previous = self._current(connection, doc_id, lock=False)
            if not precondition.allows(previous.version if previous else None):
                raise PreconditionFailed(doc_id, previous.version if previous else None)
            connection.execute("DELETE FROM qa_documents WHERE id = %s", (doc_id,))

    @staticmethod
    def _next_revision(connection: psycopg.Connection) -> int:
        # The row lock makes writers take turns until commit; readers are never blocked by it.
        row = connection.execute("UPDATE qa_corpus SET revision = revision + 1, updated_at = now() "
                                 "RETURNING revision").fetchone()
        if row is None:
            raise StoreUnavailable("the qa_corpus table is empty: the store was not set up")
        return row[0]

    @staticmethod
    def _upsert(connection: psycopg.Connection, document: Document, raw: bytes, title: str | None,
                revision: int) -> None:
        source = raw.decode("utf-8")
        connection.execute(
            "INSERT INTO qa_documents (id, format, title, source, version, revision) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET format = excluded.format, title = excluded.title, "
            "source = excluded.source, version = excluded.version, revision = excluded.revision, updated_at = now()",
            (document.id, document.format, title, source, document.version, revision))


# A PostgreSQL connection belongs to one process: close the parent's before a fork (gunicorn --preload), so a
# worker opens its own instead of sharing a socket.
_OPEN_STORES: weakref.WeakSet[PostgresStore] = weakref.WeakSet()


def _close_before_fork() -> None:
    for store in list(_OPEN_STORES):
        store.close()


os.register_at_fork(before=_close_before_fork)
