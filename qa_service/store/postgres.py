"""The PostgreSQL store: each document a row, every write one transaction that moves the corpus revision."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

import psycopg

from .. import formats
from ..documents import ID_PATTERN, Document, DocumentRejected, parse_document
from . import base
from .folder import FolderStore
from .view import StoreView

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
    id text PRIMARY KEY CHECK (id ~ {sql_literals([ID_PATTERN.pattern])}),
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
CREATE TABLE IF NOT EXISTS qa_document_versions (
    id text NOT NULL,
    version text NOT NULL,
    format text NOT NULL,
    title text,
    source text,
    original bytea,
    document_title text NOT NULL,
    size bigint NOT NULL,
    stored_at timestamptz NOT NULL,
    stored_by text,
    replaced_at timestamptz,
    PRIMARY KEY (id, version)
);
ALTER TABLE qa_document_versions ADD COLUMN IF NOT EXISTS original bytea;
ALTER TABLE qa_document_versions ALTER COLUMN source DROP NOT NULL;
CREATE INDEX IF NOT EXISTS qa_document_versions_replaced_at ON qa_document_versions (replaced_at);
CREATE TABLE IF NOT EXISTS qa_changes (
    seq bigserial PRIMARY KEY,
    id text NOT NULL,
    action text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    editor text,
    from_version text,
    to_version text
);
CREATE INDEX IF NOT EXISTS qa_changes_id ON qa_changes (id, seq);
CREATE INDEX IF NOT EXISTS qa_documents_revision ON qa_documents (revision);
CREATE TABLE IF NOT EXISTS qa_removed (
    id text PRIMARY KEY,
    revision bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS qa_removed_revision ON qa_removed (revision);
"""
# Any constant: the key of the advisory lock that lets only one process create the tables and seed them.
SET_UP_LOCK = 7_146_025_118


MARKER_QUERY = "SELECT revision FROM qa_corpus"


class PostgresStore(base.DocumentStore):
    """Documents as rows of `qa_documents`; `qa_corpus.revision` goes up by one in every write's transaction.

    `title` holds a title given with the document (NULL: taken from the source); `version` is the document's
    version when it was written; `revision` is the corpus revision of that write, which is what tells a reader
    that a row changed. Writers take turns by locking the one `qa_corpus` row. Each thread keeps one
    connection, for the revision check that every request makes.

    What changed since a revision (changes_since) is the rows of a later revision, and the ids in `qa_removed`
    (each removed id with the revision of its removal) of a later one.

    The history is `qa_document_versions` (each kept version, its source, when and by whom it was written, when
    it was replaced) and the audit log `qa_changes`, both written in the write's own transaction.
    """

    def __init__(self, url: str, max_document_bytes: int, history_days: float = 30.0):
        self.url = url
        self.max_document_bytes = max_document_bytes
        self.history_days = history_days
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._connections_lock = threading.Lock()
        self._parsed: dict[str, tuple[int, Document | DocumentRejected]] = {}  # id -> the revision read, as parsed
        # What this handle last saw (changes_since), and the corpus revision it saw it at (None: never read).
        self._view = StoreView()
        self._view_lock = threading.Lock()
        self._seen_revision: int | None = None
        _OPEN_STORES.add(self)

    def __repr__(self) -> str:
        return f"PostgresStore({psycopg.conninfo.conninfo_to_dict(self.url).get('dbname')!r})"

    def _connection(self) -> psycopg.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed or connection.broken:
            try:
                connection = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.OperationalError as exc:
                raise base.StoreUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc
            self._local.connection = connection
            with self._connections_lock:
                self._connections = [c for c in self._connections if not c.closed] + [connection]
        return connection

    def _live_connection(self) -> psycopg.Connection:
        """This thread's connection, checked by a round trip: a connection the server dropped (it restarted) fails
        only once it is used, and a transaction cannot be tried again once its work has begun, so it is replaced
        before the transaction starts rather than failing the write."""
        connection = self._connection()
        try:
            connection.execute("SELECT 1")
        except psycopg.OperationalError as exc:
            if not connection.broken:
                raise base.StoreUnavailable(f"PostgreSQL: {exc}") from exc
            connection = self._connection()
        return connection

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        connection = self._live_connection()
        try:
            with connection.transaction():
                yield connection
        except psycopg.OperationalError as exc:
            raise base.StoreUnavailable(f"PostgreSQL: {exc}") from exc

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
                title, body = (None, raw) if formats.named(fmt).binary else base.split_title_line(raw)
                try:
                    document = base.check_document(doc_id, body, fmt, title, self.max_document_bytes)
                except DocumentRejected as error:
                    log.warning("not seeding %s: %s", doc_id, error)
                    continue
                self._upsert(connection, document, body, title, revision=1)
                count += 1
            log.info("PostgreSQL store set up, seeded with %d documents from %s", count, seed)

    def marker(self) -> int:
        """The corpus revision: one indexed single-row read, done on every request.

        A connection that the server dropped (it restarted) fails once it is used: the read is tried again on a new
        connection, so the first request after a restart sees the store, and the rest of this thread's work uses
        the new connection."""
        connection = self._connection()
        try:
            row = connection.execute(MARKER_QUERY).fetchone()
        except psycopg.OperationalError as exc:
            if not connection.broken:
                raise base.StoreUnavailable(f"PostgreSQL: {exc}") from exc
            try:
                row = self._connection().execute(MARKER_QUERY).fetchone()
            except psycopg.OperationalError as again:
                raise base.StoreUnavailable(f"PostgreSQL: {again}") from again
        return row[0] if row else 0

    def load(self) -> tuple[list[Document], list[base.SkippedFile]]:
        """Every stored document by id, parsed; rows unchanged since this handle last read them are not fetched
        again."""
        with self._view_lock:
            self._refresh(everything=True)
            return sorted(self._view.documents.values(), key=lambda d: d.id), list(self._view.skipped())

    def changes_since(self, position: object | None, look_behind: bool = False) -> base.StoreChanges:
        """The documents of the rows written, and the ids removed, since the revision this handle last read.
        PostgreSQL is only changed through a store's writes, which all move the revision, so there is nothing
        behind the store's back to look for."""
        with self._view_lock:
            self._refresh(everything=False)
            return self._view.changes_since(position)

    def lasting_position(self) -> dict | None:
        """The database (its name and the identity of the documents' table) and, for each document served, the
        revision of its row and the version it was read as."""
        with self._view_lock:
            if self._seen_revision is None:
                return None
            database = self._identity()
            documents = {doc_id: [revision, outcome.version] for doc_id, (revision, outcome) in self._parsed.items()
                         if isinstance(outcome, Document) and self._view.documents.get(doc_id) is outcome}
            return {"store": "postgres", "database": database, "documents": documents}

    def resume(self, position: dict, documents: Iterable[Document]) -> bool:
        """Take each document the position names as read at its row's revision, as the document of that id and
        version among `documents`: the next refresh lists every row's id and revision (no source) and fetches only
        the rows written since, or not named; an id no longer listed was removed."""
        with self._view_lock:
            if self._seen_revision is not None or self._parsed:
                return False
            try:
                if position["store"] != "postgres" or position["database"] != self._identity():
                    return False
                recorded = {doc_id: (revision, version) for doc_id, (revision, version)
                            in position["documents"].items()}
            except (KeyError, TypeError, ValueError, AttributeError):
                log.warning("ignoring a saved position of %r that is not one of this code", self)
                return False
            served = {document.id: document for document in documents}
            for doc_id, (revision, version) in recorded.items():
                document = served.get(doc_id)
                if document is not None and document.version == version:
                    self._parsed[doc_id] = (revision, document)
                    self._view.set(doc_id, document)
            return True

    def _identity(self) -> list:
        """The database's name and the identity (oid) of its documents' table: a table made anew, or another
        database, gets another."""
        with self._transaction() as connection:
            name, table = connection.execute(
                "SELECT current_database(), 'qa_documents'::regclass::oid::bigint").fetchone()
        return [name, table]

    def _refresh(self, everything: bool) -> None:
        """Bring the view up to the stored revision: every row, or only those written since the revision seen."""
        with self._transaction() as connection:
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            revision = connection.execute(MARKER_QUERY).fetchone()
            revision = revision[0] if revision else 0
            # A revision lower than the one seen: the database was set up anew.
            whole = everything or self._seen_revision is None or self._seen_revision > revision
            if whole:
                rows = connection.execute("SELECT id, revision FROM qa_documents").fetchall()
                removed = set(self._view.documents) | self._view.skipped_ids()
            else:
                rows = connection.execute("SELECT id, revision FROM qa_documents WHERE revision > %s",
                                          (self._seen_revision,)).fetchall()
                removed = {doc_id for (doc_id,) in connection.execute(
                    "SELECT id FROM qa_removed WHERE revision > %s", (self._seen_revision,))}
            missing = [doc_id for doc_id, row_revision in rows
                       if self._parsed.get(doc_id, (None,))[0] != row_revision]
            fetched = connection.execute(
                "SELECT id, revision, format, title, source, original FROM qa_documents WHERE id = ANY(%s)",
                (missing,)).fetchall() if missing else []
        for doc_id, row_revision, fmt, title, source, original in fetched:
            try:
                outcome = parse_document(doc_id, _stored(source, original), fmt, title)
            except DocumentRejected as exc:
                outcome = exc
            self._parsed[doc_id] = (row_revision, outcome)
        for doc_id in removed - {doc_id for doc_id, _ in rows}:
            self._parsed.pop(doc_id, None)
            self._view.set(doc_id, None)
        for doc_id, _ in rows:
            outcome = self._parsed[doc_id][1]
            if isinstance(outcome, Document):
                self._view.set(doc_id, outcome)
            else:
                skipped = (base.SkippedFile(doc_id, outcome.reason, str(outcome)),)
                if skipped != self._view.skipped_of(doc_id):
                    log.warning("skipping stored document: %s", outcome)
                self._view.set(doc_id, None, skipped)
        self._seen_revision = revision

    def current(self, doc_id: str) -> Document | None:
        with self._transaction() as connection:
            return self._current(connection, doc_id, lock=False)

    def _current(self, connection: psycopg.Connection, doc_id: str, lock: bool) -> Document | None:
        served = self._served_row(connection, doc_id, lock)
        return served[0] if served else None

    @staticmethod
    def _served_row(connection: psycopg.Connection, doc_id: str, lock: bool
                    ) -> tuple[Document, str | None, str, datetime] | None:
        """The served document, its given title, its source (text, or a binary format's bytes) and when it was written;
        None when there is none."""
        row = connection.execute(
            "SELECT format, title, source, original, updated_at FROM qa_documents WHERE id = %s"
            + (" FOR UPDATE" if lock else ""), (doc_id,)).fetchone()
        if row is None:
            return None
        fmt, title, source, original, updated_at = row
        stored = _stored(source, original)
        try:
            return parse_document(doc_id, stored, fmt, title), title, stored, updated_at
        except DocumentRejected:
            return None

    def put(self, doc_id: str, raw: bytes, fmt: str, title: str | None = None,
            precondition: base.Precondition = base.UNCONDITIONAL, editor: str | None = None,
            action: str | None = None) -> base.Written:
        """Create or replace a document in one transaction; nothing changes when it is rejected."""
        title, raw, document = base.prepare_write(doc_id, raw, fmt, title, self.max_document_bytes)
        with self._transaction() as connection:
            revision = self._next_revision(connection)
            served = self._served_row(connection, doc_id, lock=True)
            previous = served[0] if served else None
            precondition.check(doc_id, previous)
            if served is not None:
                self._keep_version(connection, *served, stored_by=None)
                if previous.version != document.version:
                    self._mark_replaced(connection, doc_id, previous.version)
            self._upsert(connection, document, raw, title, revision)
            connection.execute(
                "INSERT INTO qa_document_versions (id, version, format, title, source, original, document_title, "
                "size, stored_at, stored_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now(), %s) "
                "ON CONFLICT (id, version) DO "
                "UPDATE SET stored_at = now(), stored_by = excluded.stored_by, replaced_at = NULL",
                (doc_id, document.version, document.format, title, *_columns(document.format, raw), document.title,
                 len(document.text.encode("utf-8")), editor))
            self._log_change(connection, doc_id, base.write_action(action, previous), editor,
                             previous.version if previous else None, document.version)
            self._drop_expired(connection)
        return base.Written(document, created=previous is None)

    def delete(self, doc_id: str, precondition: base.Precondition = base.UNCONDITIONAL,
               editor: str | None = None) -> tuple[str, ...]:
        """Remove a document in one transaction; a database holds no unserved files, so none is set aside."""
        base.check_id(doc_id)
        with self._transaction() as connection:
            revision = self._next_revision(connection)
            if connection.execute("SELECT 1 FROM qa_documents WHERE id = %s FOR UPDATE", (doc_id,)).fetchone() is None:
                raise base.UnknownDocument(doc_id)
            served = self._served_row(connection, doc_id, lock=False)
            previous = served[0] if served else None
            precondition.check(doc_id, previous)
            if served is not None:
                self._keep_version(connection, *served, stored_by=None)
                self._mark_replaced(connection, doc_id, previous.version)
            connection.execute("DELETE FROM qa_documents WHERE id = %s", (doc_id,))
            connection.execute("INSERT INTO qa_removed (id, revision) VALUES (%s, %s) "
                               "ON CONFLICT (id) DO UPDATE SET revision = excluded.revision", (doc_id, revision))
            self._log_change(connection, doc_id, "delete", editor, previous.version if previous else None, None)
            self._drop_expired(connection)
        return ()

    # history

    @staticmethod
    def _keep_version(connection: psycopg.Connection, document: Document, title: str | None, source: str | bytes,
                      stored_at: datetime, stored_by: str | None) -> None:
        """Keep the served version when the history does not hold it yet (it was seeded, or written before the
        history existed)."""
        raw = source if isinstance(source, bytes) else source.encode("utf-8")
        connection.execute(
            "INSERT INTO qa_document_versions (id, version, format, title, source, original, document_title, size, "
            "stored_at, stored_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id, version) "
            "DO NOTHING",
            (document.id, document.version, document.format, title, *_columns(document.format, raw),
             document.title, len(document.text.encode("utf-8")), stored_at, stored_by))

    @staticmethod
    def _mark_replaced(connection: psycopg.Connection, doc_id: str, version: str) -> None:
        connection.execute("UPDATE qa_document_versions SET replaced_at = now() WHERE id = %s AND version = %s",
                           (doc_id, version))

    @staticmethod
    def _log_change(connection: psycopg.Connection, doc_id: str, action: str, editor: str | None,
                    from_version: str | None, to_version: str | None) -> None:
        connection.execute("INSERT INTO qa_changes (id, action, editor, from_version, to_version) "
                           "VALUES (%s, %s, %s, %s, %s)", (doc_id, action, editor, from_version, to_version))

    def _drop_expired(self, connection: psycopg.Connection) -> int:
        before = connection.execute("SELECT now() - %s", (timedelta(days=self.history_days),)).fetchone()[0]
        return self._drop_before(connection, before)

    @staticmethod
    def _drop_before(connection: psycopg.Connection, before: datetime) -> int:
        dropped = connection.execute("DELETE FROM qa_document_versions WHERE replaced_at < %s", (before,)).rowcount
        connection.execute("DELETE FROM qa_changes WHERE changed_at < %s", (before,))
        return dropped

    def purge_history(self, before: datetime) -> int:
        with self._transaction() as connection:
            return self._drop_before(connection, before)

    # A document no write has replaced yet (the seed corpus) is its own first version: the versions are the
    # kept ones and the served row, once.
    VERSIONS = (
        "SELECT version, format, document_title, size, stored_at, stored_by, replaced_at, title, source, original "
        "FROM qa_document_versions WHERE id = %(id)s UNION ALL "
        "SELECT d.version, d.format, NULL, NULL, d.updated_at, NULL, NULL, d.title, d.source, d.original "
        "FROM qa_documents d "
        "WHERE d.id = %(id)s AND NOT EXISTS (SELECT 1 FROM qa_document_versions v WHERE v.id = d.id AND "
        "v.version = d.version)")

    def _kept(self, doc_id: str, version: str | None) -> list[base.VersionSource]:
        base.check_id(doc_id)
        query = f"SELECT * FROM ({self.VERSIONS}) kept" + (" WHERE version = %(version)s" if version else "")
        with self._transaction() as connection:
            rows = connection.execute(query + " ORDER BY stored_at DESC", {"id": doc_id, "version": version}
                                      ).fetchall()
        kept = []
        for version_of, fmt, document_title, size, stored_at, stored_by, replaced_at, title, source, original in rows:
            stored_source = _stored(source, original)
            try:
                document = parse_document(doc_id, stored_source, fmt, title)
            except DocumentRejected:
                continue
            stored = base.StoredVersion(doc_id, version_of, fmt, document_title or document.title,
                                   size if size is not None else len(document.text.encode("utf-8")), stored_at,
                                   stored_by, replaced_at)
            raw = stored_source if isinstance(stored_source, bytes) else stored_source.encode("utf-8")
            kept.append(base.VersionSource(stored, raw, title, document))
        return kept

    def versions(self, doc_id: str) -> list[base.StoredVersion]:
        return [kept.stored for kept in self._kept(doc_id, None)]

    def version(self, doc_id: str, version: str) -> base.VersionSource:
        kept = self._kept(doc_id, version)
        if not kept:
            raise base.UnknownVersion(f"{doc_id}: no version {version!r} is kept")
        return kept[0]

    def changes(self, doc_id: str | None = None, limit: int | None = None) -> list[base.Change]:
        with self._transaction() as connection:
            rows = connection.execute(
                "SELECT id, action, changed_at, editor, from_version, to_version FROM qa_changes "
                + ("WHERE id = %(id)s " if doc_id is not None else "") + "ORDER BY seq DESC LIMIT %(limit)s",
                {"id": doc_id, "limit": limit}).fetchall()
        return [base.Change(*row) for row in rows]

    @staticmethod
    def _next_revision(connection: psycopg.Connection) -> int:
        # The row lock makes writers take turns until commit; readers are never blocked by it.
        row = connection.execute("UPDATE qa_corpus SET revision = revision + 1, updated_at = now() "
                                 "RETURNING revision").fetchone()
        if row is None:
            raise base.StoreUnavailable("the qa_corpus table is empty: the store was not set up")
        return row[0]

    @staticmethod
    def _upsert(connection: psycopg.Connection, document: Document, raw: bytes, title: str | None,
                revision: int) -> None:
        source, original = _columns(document.format, raw)
        connection.execute(
            "INSERT INTO qa_documents (id, format, title, source, original, version, revision) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET format = excluded.format, title = excluded.title, "
            "source = excluded.source, original = excluded.original, version = excluded.version, "
            "revision = excluded.revision, updated_at = now()",
            (document.id, document.format, title, source, original, document.version, revision))


def _columns(fmt: str, raw: bytes) -> tuple[str | None, bytes | None]:
    """A document's (source, original) columns: a text format's text, or a binary format's bytes as received."""
    return (None, raw) if formats.named(fmt).binary else (raw.decode("utf-8"), None)


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
