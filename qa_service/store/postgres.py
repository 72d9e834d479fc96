"""The PostgreSQL store: each document a row, every write one transaction that moves the corpus revision."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Iterable, Iterator

import psycopg

from .. import formats
from ..documents import ID_PATTERN, RESERVED_IDS, Document, DocumentRejected, parse_document
from .base import (
    UNCONDITIONAL,
    DocumentStore,
    Precondition,
    SkippedFile,
    StoreUnavailable,
    UnknownDocument,
    Written,
    check_document,
    check_id,
    prepare_write,
    split_title_line,
)
from .folder import FolderStore

log = logging.getLogger(__name__)


def sql_literals(values: Iterable[str]) -> str:
    """Constants of the code (the id pattern, format names) as SQL string literals, for the schema's checks."""
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


# CREATE TABLE IF NOT EXISTS leaves a table made earlier as it is: a database set up before a format was added to
# formats.FORMATS needs its format check replaced by hand (ALTER TABLE qa_documents DROP CONSTRAINT ..., ADD CHECK ...).
# A text format's source is kept in `source`, a binary format's (PDF, Word) bytes as received in `original`; the
# ALTERs bring a table made before binary formats up to that.
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS qa_documents (
    id text PRIMARY KEY CHECK (id ~ {sql_literals([ID_PATTERN.pattern])} AND id NOT IN ({sql_literals(RESERVED_IDS)})),
    format text NOT NULL CHECK (format IN ({sql_literals(formats.NAMES)})),
    title text,
    source text,
    original bytea,
    version text NOT NULL,
    revision bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE qa_documents ADD COLUMN IF NOT EXISTS original bytea;
ALTER TABLE qa_documents ALTER COLUMN source DROP NOT NULL;
CREATE TABLE IF NOT EXISTS qa_corpus (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""
# Any constant: the key of the advisory lock that lets only one process create the tables and seed them.
SET_UP_LOCK = 7_146_025_118


class PostgresStore(DocumentStore):
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
                title, body = (None, raw) if formats.named(fmt).binary else split_title_line(raw)
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
                "SELECT id, revision, format, title, source, original FROM qa_documents WHERE id = ANY(%s)",
                (missing,)).fetchall() if missing else []
        parsed = {key: self._parsed[key] for key in ((d, r) for d, r in rows) if key in self._parsed}
        for doc_id, revision, fmt, title, source, original in fetched:
            try:
                parsed[(doc_id, revision)] = parse_document(doc_id, _stored(source, original), fmt, title)
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
            "SELECT format, title, source, original FROM qa_documents WHERE id = %s" + (" FOR UPDATE" if lock else ""),
            (doc_id,)).fetchone()
        if row is None:
            return None
        fmt, title, source, original = row
        try:
            return parse_document(doc_id, _stored(source, original), fmt, title)
        except DocumentRejected:
            return None

    def put(self, doc_id: str, raw: bytes, fmt: str, title: str | None = None,
            precondition: Precondition = UNCONDITIONAL) -> Written:
        """Create or replace a document in one transaction; nothing changes when it is rejected."""
        title, raw, document = prepare_write(doc_id, raw, fmt, title, self.max_document_bytes)
        with self._transaction() as connection:
            revision = self._next_revision(connection)
            previous = self._current(connection, doc_id, lock=True)
            precondition.check(doc_id, previous)
            self._upsert(connection, document, raw, title, revision)
        return Written(document, created=previous is None)

    def delete(self, doc_id: str, precondition: Precondition = UNCONDITIONAL) -> None:
        """Remove a document in one transaction."""
        check_id(doc_id)
        with self._transaction() as connection:
            self._next_revision(connection)
            if connection.execute("SELECT 1 FROM qa_documents WHERE id = %s FOR UPDATE", (doc_id,)).fetchone() is None:
                raise UnknownDocument(doc_id)
            previous = self._current(connection, doc_id, lock=False)
            precondition.check(doc_id, previous)
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
        binary = formats.named(document.format).binary
        source, original = (None, raw) if binary else (raw.decode("utf-8"), None)
        connection.execute(
            "INSERT INTO qa_documents (id, format, title, source, original, version, revision) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET format = excluded.format, title = excluded.title, "
            "source = excluded.source, original = excluded.original, version = excluded.version, "
            "revision = excluded.revision, updated_at = now()",
            (document.id, document.format, title, source, original, document.version, revision))


def _stored(source: str | None, original: bytes | None) -> str | bytes:
    """A row's source: the text of a text format, or a binary format's bytes as received."""
    return source if source is not None else bytes(original or b"")


# A PostgreSQL connection belongs to one process: close the parent's before a fork (gunicorn --preload), so a
# worker opens its own instead of sharing a socket.
_OPEN_STORES: weakref.WeakSet[PostgresStore] = weakref.WeakSet()


def _close_before_fork() -> None:
    for store in list(_OPEN_STORES):
        store.close()


os.register_at_fork(before=_close_before_fork)
