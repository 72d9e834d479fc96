"""Snapshots published in PostgreSQL (with DATABASE_URL), so that every host of a deployment loads one build.

A snapshot can be hundreds of MB, over what one bytea value should hold and far over what one message should carry:
its payload is stored as a row of metadata and chunks of CHUNK_BYTES, all inserted in one transaction, so another
host sees a publication whole or not at all. The chunks are stored uncompressed (the pickled index barely
compresses, and compressing hundreds of MB would only slow the publishing host). Reading checks that the chunks add
up to the recorded size; snapshots.py then checks the payload's checksum and content, as for a file.

A payload read is written chunk by chunk into a nameless file in the spool folder (the host's cache folder) and
mapped into memory, as a folder's snapshot is read: the index's large arrays are then pages of that file, shared by
the workers, and the reading host never holds the whole payload in its heap (1.3 GB at a million passages).
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from ..payload import mapped
from .base import Publication, PublicationUnreadable, SnapshotKey, SnapshotPlace

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 * 1024 * 1024
# Publications kept, newest first, whatever code or model made them: during a rolling release the hosts of the old
# code and of the new one each find their own, and a publication being read by a starting host is not the one pruned.
KEPT = 4
SCHEMA = """
CREATE TABLE IF NOT EXISTS qa_index_snapshots (
    id bigserial PRIMARY KEY,
    corpus text NOT NULL,
    code text NOT NULL,
    model text NOT NULL,
    header jsonb NOT NULL,
    size bigint NOT NULL,
    chunks integer NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (corpus, code, model)
);
CREATE TABLE IF NOT EXISTS qa_index_snapshot_chunks (
    snapshot bigint NOT NULL REFERENCES qa_index_snapshots (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (snapshot, seq)
);
ALTER TABLE qa_index_snapshot_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
"""
# Any constants: the key of the advisory lock that lets one process create the tables, and the class of those that
# let one process at a time build the index of one code and model (hashed into the second half of the key).
SET_UP_LOCK = 7_146_025_119
BUILDING_LOCKS = 714_602_512


class PostgresPlace(SnapshotPlace):
    """Publications as rows of `qa_index_snapshots`, their payloads in `qa_index_snapshot_chunks`.

    Each operation opens its own connection and closes it, so nothing stays open across gunicorn's fork: the place
    is used while a process starts, not while it serves.
    """

    def __init__(self, url: str, spool: Path | None = None):
        self.url = url
        # Where a payload read is written to be mapped (a nameless file, gone once unmapped); None: the system's
        # temporary folder.
        self.spool = spool

    def __repr__(self) -> str:
        return f"PostgresPlace({psycopg.conninfo.conninfo_to_dict(self.url).get('dbname')!r})"

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def set_up(self) -> None:
        with self._connect() as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (SET_UP_LOCK,))
            connection.execute(SCHEMA)

    def published(self, code: str, model: str) -> Iterator[Publication]:
        try:
            with self._connect() as connection:
                rows = connection.execute(
                    "SELECT id, header FROM qa_index_snapshots WHERE code = %s AND model = %s ORDER BY id DESC",
                    (code, model)).fetchall()
        except psycopg.Error as exc:
            log.warning("cannot list the index snapshots published in %r: %s", self, exc)
            return
        for snapshot, header in rows:
            yield Publication(f"{self!r} #{snapshot}", snapshot, header,
                              lambda snapshot=snapshot: self._payload(snapshot))

    def _payload(self, snapshot: int) -> memoryview:
        """The chunks in order, written to a nameless file that is then mapped; PublicationUnreadable unless they
        are all there."""
        if self.spool is not None:
            self.spool.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=self.spool) as spooled:
            try:
                with self._connect() as connection, connection.transaction():
                    # One snapshot of the database for the row and its chunks: a prune that commits meanwhile does
                    # not take chunks away half-way.
                    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    row = connection.execute("SELECT size, chunks FROM qa_index_snapshots WHERE id = %s",
                                             (snapshot,)).fetchone()
                    if row is None:
                        raise PublicationUnreadable("it was pruned")
                    size, count = row
                    read = written = 0
                    cursor = connection.cursor(name="snapshot_chunks", binary=True)
                    cursor.itersize = 1  # one chunk in memory at a time
                    cursor.execute("SELECT seq, data FROM qa_index_snapshot_chunks WHERE snapshot = %s ORDER BY seq",
                                   (snapshot,))
                    for seq, data in cursor:
                        if seq != read:
                            raise PublicationUnreadable(f"chunk {read} is missing")
                        spooled.write(data)
                        read += 1
                        written += len(data)
                    cursor.close()
            except psycopg.Error as exc:
                raise OSError(f"PostgreSQL: {exc}") from exc
            if read != count or written != size:
                raise PublicationUnreadable(f"{read} chunks of {written} bytes, not {count} of {size}")
            # The mapping keeps the file's pages once the file is closed (and, nameless, removed).
            return mapped(spooled)

    def publish(self, key: SnapshotKey, header: dict, payload: list[bytes | memoryview]) -> bool:
        size = sum(memoryview(piece).nbytes for piece in payload)
        starts = range(0, size, CHUNK_BYTES)
        try:
            with self._connect() as connection, connection.transaction():
                # A second publisher of the same key waits here for the first one's commit, then inserts nothing.
                row = connection.execute(
                    "INSERT INTO qa_index_snapshots (corpus, code, model, header, size, chunks) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (corpus, code, model) DO NOTHING RETURNING id",
                    (key.corpus, key.code, key.model, Jsonb(header), size, len(starts))).fetchone()
                if row is None:
                    return False
                for seq, chunk in enumerate(_chunks(payload)):
                    connection.execute(
                        "INSERT INTO qa_index_snapshot_chunks (snapshot, seq, data) VALUES (%s, %s, %b)",
                        (row[0], seq, chunk))
                connection.execute(
                    "DELETE FROM qa_index_snapshots WHERE id NOT IN "
                    "(SELECT id FROM qa_index_snapshots ORDER BY id DESC LIMIT %s)", (KEPT,))
        except psycopg.Error as exc:
            raise OSError(f"PostgreSQL: {exc}") from exc
        return True

    def withdraw(self, publication: Publication) -> None:
        try:
            with self._connect() as connection:
                connection.execute("DELETE FROM qa_index_snapshots WHERE id = %s", (publication.handle,))
        except psycopg.Error as exc:
            log.warning("cannot remove the corrupt index snapshot %s: %s", publication.where, exc)

    @contextlib.contextmanager
    def building(self, code: str, model: str) -> Iterator[None]:
        """A session-level advisory lock on a connection of its own, held until the build is published."""
        try:
            connection = self._connect()
        except psycopg.Error as exc:
            log.warning("building without the deployment's build lock: %s", exc)
            yield
            return
        try:
            key = (BUILDING_LOCKS, f"{code} {model}")
            if not connection.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", key).fetchone()[0]:
                log.info("another host is building this corpus's index: waiting for its snapshot in %r", self)
                connection.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
            yield
        finally:
            connection.close()


def _chunks(payload: list[bytes | memoryview]) -> Iterator[bytes | memoryview]:
    """The payload's bytes in chunks of CHUNK_BYTES (the last one shorter), whatever its pieces' sizes."""
    gathered: list[memoryview] = []
    size = 0
    for piece in payload:
        view = memoryview(piece).cast("B")
        while view.nbytes:
            part, view = view[:CHUNK_BYTES - size], view[CHUNK_BYTES - size:]
            gathered.append(part)
            size += part.nbytes
            if size == CHUNK_BYTES:
                yield gathered[0] if len(gathered) == 1 else b"".join(gathered)
                gathered, size = [], 0
    if gathered:
        yield b"".join(gathered)
