"""What every store is: the DocumentStore interface, its errors, and the checks every write makes the same way.

A store keeps each document's source as it was sent, in any of the formats (see formats) and parses it on reading, so a
document reads the same from any store; a binary format's (PDF, Word) bytes are kept exactly as received. A title
given with a document, rather than taken from its source, is kept beside the source (a PostgreSQL column, a file's
first line "% <title>", Pandoc's title line; a binary file in a folder has no such line, so it names its own title).
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .. import formats
from ..documents import ID_RULE, Document, DocumentRejected, is_valid_id, parse_document

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
    """The outcome of a write: the document as it now reads, whether it is new, and the names of files holding its
    id that were not served (skipped: unreadable, too large, a second file of the id) and that the write moved into
    the history's set-aside folder rather than deleting them."""

    document: Document
    created: bool
    set_aside: tuple[str, ...] = ()


class PreconditionFailed(Exception):
    """The stored document is not the one the writer expected; nothing was written."""

    def __init__(self, doc_id: str, current: str | None):
        super().__init__(f"{doc_id}: the stored version is {current or 'absent'}")
        self.current = current


class UnknownDocument(LookupError):
    """A document id that the store does not hold."""


class UnknownVersion(LookupError):
    """A version of a document that the store's history does not hold (never written, or purged)."""


@dataclass(frozen=True)
class StoredVersion:
    """One version of a document that the store keeps: what it was, when it was written and by whom.

    `replaced_at` is None while the version is the one served; the history keeps a replaced version (and the last
    version of a removed document) for the retention period counted from then."""

    doc_id: str
    version: str
    format: str
    title: str
    size: int
    stored_at: datetime
    stored_by: str | None
    replaced_at: datetime | None

    @property
    def current(self) -> bool:
        return self.replaced_at is None


@dataclass(frozen=True)
class VersionSource:
    """A kept version with its source, as a write would send it again: restoring it is putting this back."""

    stored: StoredVersion
    raw: bytes
    given_title: str | None
    document: Document


@dataclass(frozen=True)
class Change:
    """One line of the audit log: who changed which document when, from which version to which.

    `action` is "create", "replace", "restore" or "delete"; a version is None where there was none (before a
    create, after a delete)."""

    doc_id: str
    action: str
    at: datetime
    by: str | None
    from_version: str | None
    to_version: str | None


@dataclass(frozen=True)
class StoreChanges:
    """What a store changed since a position it gave out: the document served now under each id that changed (None:
    none is served any more), every stored thing skipped now, and the position to ask from next time.

    `complete` changes list every document served (the first time, or when the store cannot tell what changed
    since that position): an id not in them is not served."""

    position: object
    documents: dict[str, Document | None]
    skipped: tuple[SkippedFile, ...]
    complete: bool


class StoreUnavailable(RuntimeError):
    """The store cannot be read or written now (the database is unreachable, say)."""


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

    def check(self, doc_id: str, stored: Document | None) -> None:
        """Raise PreconditionFailed unless the stored document (None: there is none) lets the write go ahead."""
        current = stored.version if stored is not None else None
        if not self.allows(current):
            raise PreconditionFailed(doc_id, current)


# A write without If-Match or If-None-Match: it goes ahead whatever is stored.
UNCONDITIONAL = Precondition()


class DocumentStore(abc.ABC):
    """Where documents live. Every store is safe to share between threads and between processes.

    A write either happens whole or not at all, and is seen by every reader (any handle, any process) once it
    returns: it moves the marker, which readers compare on every request.
    """

    @abc.abstractmethod
    def marker(self) -> object:
        """A value that every write through any handle on this store changes; read on every request, so cheap."""

    @abc.abstractmethod
    def load(self) -> tuple[list[Document], list[SkippedFile]]:
        """Every document served, in the order of their ids, and everything stored that is not served with the
        reason; never fails on one bad document."""

    def not_documents(self) -> list[SkippedFile]:
        """What the store holds that is never read as a document, with why (a folder's sub-folders, files of other
        kinds, links to nothing): what `corpus check` names so that an operator is not left guessing. None here."""
        return []

    @abc.abstractmethod
    def changes_since(self, position: object | None, look_behind: bool = False) -> StoreChanges:
        """What changed since a position this store gave out (None: everything): every write through any handle,
        in any process, made before the call. With `look_behind`, also what changed behind the store's back (a file
        edited by hand), which costs more. Costs what changed, not the
        corpus, once the handle has seen the store."""

    @abc.abstractmethod
    def lasting_position(self) -> dict | None:
        """What this handle last saw of the store, in a form that outlives the process: saved with an index snapshot
        of the documents served now, so that a later process handed it back (`resume`) reads only what changed
        since. Plain data (dicts, lists, strings, numbers), so that it pickles without classes of its own. None: this
        store cannot say (always correct: a start then reads every document)."""

    @abc.abstractmethod
    def resume(self, position: dict, documents: Iterable[Document]) -> bool:
        """Start this handle's view from a lasting position an earlier process saved and the documents it served
        then, instead of from nothing: the next `changes_since` then reads only what changed since (every document
        it cannot vouch for is read again), and answers as if it had read the whole store. False, and the view is
        left empty, when the position is not this store's (another folder or database, another kind of store) or
        this handle has read the store already (always correct: the view is then filled by reading everything)."""

    @abc.abstractmethod
    def current(self, doc_id: str) -> Document | None:
        """The document served under this id, or None."""

    @abc.abstractmethod
    def put(self, doc_id: str, raw: bytes, fmt: str, title: str | None = None,
            precondition: Precondition = UNCONDITIONAL, editor: str | None = None,
            action: str | None = None) -> Written:
        """Create or replace a document atomically and durably; nothing changes when it is rejected
        (DocumentRejected) or the precondition fails (PreconditionFailed).

        The history keeps the new version and the one it replaces; the audit log records the write by `editor`
        (a token's name; None when unknown) as `action` (default "create" or "replace"). History older than the
        retention period is dropped on the way."""

    @abc.abstractmethod
    def delete(self, doc_id: str, precondition: Precondition = UNCONDITIONAL,
               editor: str | None = None) -> tuple[str, ...]:
        """Remove a document; UnknownDocument when the store does not hold it. Its last version stays in the
        history for the retention period, so that the removal can be undone by restoring it. Returns the files
        holding the id that were not served and were set aside rather than deleted (`Written.set_aside`)."""

    @abc.abstractmethod
    def versions(self, doc_id: str) -> list[StoredVersion]:
        """The kept versions of a document (served or removed), newest first; [] when there are none."""

    @abc.abstractmethod
    def version(self, doc_id: str, version: str) -> VersionSource:
        """One kept version with its source; UnknownVersion when the history does not hold it."""

    @abc.abstractmethod
    def changes(self, doc_id: str | None = None, limit: int | None = None) -> list[Change]:
        """The audit log, newest first: every change, or the changes of one document."""

    @abc.abstractmethod
    def purge_history(self, before: datetime) -> int:
        """Drop the versions replaced (or removed) before that time and the audit lines older than it; the
        versions served stay. Returns how many versions were dropped."""

    def restore(self, doc_id: str, version: str, precondition: Precondition = UNCONDITIONAL,
                editor: str | None = None) -> Written:
        """Bring a kept version back as a new write (so the version it replaces is kept in turn)."""
        kept = self.version(doc_id, version)
        return self.put(doc_id, kept.raw, kept.stored.format, kept.given_title, precondition, editor, "restore")

    def removed(self) -> list[Change]:
        """The removals that can still be undone, newest first: the document is not served and the version it
        had is kept."""
        undoable = []
        seen = set()
        for change in self.changes():
            if change.doc_id in seen:
                continue
            seen.add(change.doc_id)
            if change.action == "delete" and self.current(change.doc_id) is None and any(
                    v.version == change.from_version for v in self.versions(change.doc_id)):
                undoable.append(change)
        return undoable


def write_action(action: str | None, previous: Document | None) -> str:
    return action or ("create" if previous is None else "replace")


def check_id(doc_id: str) -> None:
    if not is_valid_id(doc_id):
        raise DocumentRejected(f"{doc_id!r} is not a valid id: {ID_RULE}", "bad_id")


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
    document_format = formats.named(fmt)
    if title is None and not (document_format and document_format.binary):
        title, raw = split_title_line(raw)
    return title, raw, check_document(doc_id, raw, fmt, title, max_bytes)


def check_document(doc_id: str, raw: bytes, fmt: str, title: str | None, max_bytes: int) -> Document:
    """The document a write would store, or DocumentRejected (reason bad_id, too_large, format, encoding, ...)."""
    check_id(doc_id)
    if len(raw) > max_bytes:
        raise DocumentRejected(f"{doc_id}: {len(raw)} bytes is over the limit of {max_bytes} bytes", "too_large")
    if formats.named(fmt) is None:
        raise DocumentRejected(f"{doc_id}: unknown format {fmt!r}; use {formats.one_of(formats.NAMES)}", "format")
    document = parse_document(doc_id, raw, fmt, title)
    if not _WORD.search(document.text):
        raise DocumentRejected(f"{doc_id}: no sentence with a word in it is left after cleaning", "no_text")
    return document
