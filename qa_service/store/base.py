"""What every store is: the DocumentStore interface, its errors, and the checks every write makes the same way.

A store keeps each document's source as it was sent, in any of the formats (see formats) and parses it on reading, so a
document reads the same from any store; a binary format's (PDF, Word) bytes are kept exactly as received. A title
given with a document, rather than taken from its source, is kept beside the source (a PostgreSQL column, a file's
first line "% <title>", Pandoc's title line; a binary file in a folder has no such line, so it names its own title).
"""

from __future__ import annotations

import abc
import re
from dataclasses import dataclass

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
    """The outcome of a write: the document as it now reads, and whether it is new."""

    document: Document
    created: bool


class PreconditionFailed(Exception):
    """The stored document is not the one the writer expected; nothing was written."""

    def __init__(self, doc_id: str, current: str | None):
        super().__init__(f"{doc_id}: the stored version is {current or 'absent'}")
        self.current = current


class UnknownDocument(LookupError):
    """A document id that the store does not hold."""


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
    def signature(self) -> object:
        """A value that also changes when documents change behind the store's back (a file edited by hand)."""

    @abc.abstractmethod
    def load(self) -> tuple[list[Document], list[SkippedFile]]:
        """Every document served, and everything stored that is not served with the reason; never fails on one
        bad document."""

    @abc.abstractmethod
    def current(self, doc_id: str) -> Document | None:
        """The document served under this id, or None."""

    @abc.abstractmethod
    def put(self, doc_id: str, raw: bytes, fmt: str, title: str | None = None,
            precondition: Precondition = UNCONDITIONAL) -> Written:
        """Create or replace a document atomically and durably; nothing changes when it is rejected
        (DocumentRejected) or the precondition fails (PreconditionFailed)."""

    @abc.abstractmethod
    def delete(self, doc_id: str, precondition: Precondition = UNCONDITIONAL) -> None:
        """Remove a document; UnknownDocument when the store does not hold it."""


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
