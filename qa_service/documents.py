"""Documents: reading a source of any format (see formats) into clean text and a title, without page furniture."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from . import formats

# The id rule, stated once: the stores, PostgreSQL's check on the id column, the OpenAPI document and the editor page
# all use this pattern. The hyphen is escaped so that the pattern means the same to Python, PostgreSQL, JSON Schema
# and a browser's pattern attribute (which reads it in the "v" mode, where a bare "-" in a class is an error).
ID_MAX_CHARS = 100
ID_CHARACTERS = r"A-Za-z0-9._\-"
ID_PATTERN = re.compile(rf"^[{ID_CHARACTERS}]{{1,{ID_MAX_CHARS}}}$")
RESERVED_IDS = (".", "..")
ID_RULE = f"a document id is 1 to {ID_MAX_CHARS} letters, digits, '.', '_' or '-', and not '.' or '..'"


class DocumentRejected(ValueError):
    """A source that cannot become a document; the message says why, for the person who supplied it."""

    def __init__(self, message: str, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Document:
    """One cleaned document. `text` is what every quote is a slice of; `version` is a hash of it and the title."""

    id: str
    title: str
    text: str
    format: str = "text"

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.title.encode("utf-8"))
        digest.update(b"\0")
        digest.update(self.text.encode("utf-8"))
        return digest.hexdigest()[:16]


def is_valid_id(doc_id: str) -> bool:
    # fullmatch: with match, Python's "$" also matches before a final line break, which PostgreSQL's and JSON
    # Schema's do not ("lithium\n" would pass here and become the file "lithium\n.txt").
    return bool(ID_PATTERN.fullmatch(doc_id)) and doc_id not in RESERVED_IDS


def read_document(path: Path, max_bytes: int) -> Document:
    """Read one corpus file; raises DocumentRejected (empty, too large, not UTF-8, no text) instead of crashing."""
    fmt = formats.of_file(path)
    if fmt is None:
        raise DocumentRejected(f"{path.name}: not a {formats.file_kinds()} file", "format")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentRejected(f"{path.name}: {size} bytes is over the limit of {max_bytes} bytes", "too_large")
    return parse_document(path.stem, path.read_bytes(), fmt.name, source=path.name)


def parse_document(doc_id: str, raw: bytes | str, fmt: str = "text", title: str | None = None,
                   source: str | None = None) -> Document:
    """Turn raw bytes or text of the given format into a Document, or raise DocumentRejected.

    `source` names the file or upload in error messages (the id when not given).
    """
    source = source or doc_id
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentRejected(f"{source}: not UTF-8 text (byte {exc.start})", "encoding") from exc
    raw = raw.removeprefix("\ufeff")
    if "\x00" in raw:
        raise DocumentRejected(f"{source}: contains NUL bytes, so it is not a text file", "encoding")
    if not raw.strip():
        raise DocumentRejected(f"{source}: empty", "empty")
    document_format = formats.named(fmt)
    if document_format is None:
        raise DocumentRejected(f"{source}: unknown format {fmt!r}; use {formats.one_of(formats.NAMES)}", "format")
    found_title, blocks = document_format.read(raw)
    blocks = remove_furniture(blocks)
    if not blocks:
        raise DocumentRejected(f"{source}: no text left after cleaning", "no_text")
    if title is None:
        title = found_title or (blocks[0] if looks_like_heading(blocks[0]) else doc_id)
    title = " ".join(title.split())[:300] or doc_id
    return Document(id=doc_id, title=title, text="\n\n".join(blocks), format=fmt)


# --- page furniture -------------------------------------------------------------------------------------------

# Lines that blog and CMS templates put around an article: comment widgets, share bars, pagination.
# Everything from a comment widget on is furniture (the comments, then teasers of other posts).
_END_OF_ARTICLE = re.compile(
    r"^(?:\d+\s*)?(?:没有评论|发表评论|暂无评论|\d+\s*条评论|no comments?|post a comment|leave a (?:comment|reply)|"
    r"\d+ comments?|comments?|add (?:a )?comment|you may also like|related (?:posts|articles)|read more|"
    r"newer post|older post|share this(?: post| article)?|subscribe to:.*)\s*[:：]?\s*$",
    re.I,
)
_FURNITURE_LINE = re.compile(
    r"^(?:share|tweet|print|email|home|menu|search|skip to (?:main )?content|posted by .{0,60}|"
    r"labels?:.{0,200}|tags?:.{0,200}|categories:.{0,200})\s*$",
    re.I,
)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?"
_DATE_LINE = re.compile(
    r"^\s*(?:(?:posted|published|updated|last updated)(?:\s+on)?\s*:?\s+)?(?:"
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:星期.|周.)?"
    rf"|(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\.?,?\s+\d{{4}})"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"
    r")(?:[\s,]+(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)?\s*$",
    re.I,
)
_TRUNCATED_TEASER = re.compile(r"(?:\.\.\.|…)\s*$")


def looks_like_heading(block: str) -> bool:
    """A short single line without closing punctuation: a title or a section heading, not a sentence."""
    return "\n" not in block and len(block) <= 150 and not re.search(r"[.!?:;,…。！？]['\"”’)\]]*$", block)


def remove_furniture(blocks: list[str]) -> list[str]:
    """Drop date lines, repeated titles, share bars and everything from a comment widget on."""
    kept: list[str] = []
    for block in blocks:
        line = block.strip()
        if _END_OF_ARTICLE.match(line) and any(not looks_like_heading(k) for k in kept):
            break
        if _DATE_LINE.match(line) or _FURNITURE_LINE.match(line):
            continue
        if looks_like_heading(line) and line in kept:
            continue
        kept.append(line)
    while kept and _TRUNCATED_TEASER.search(kept[-1]) and len(kept) > 1 and looks_like_heading(kept[-2]):
        # A saved page often ends with the heading and cut-off first lines of the next post.
        kept = kept[:-2]
    return kept
