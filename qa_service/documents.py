"""Documents: reading a source of any format (see formats) into clean text and a title, without page furniture."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from . import formats
from .blocks import Block, Unreadable

# The id rule, stated once: the stores, PostgreSQL's check on the id column, the OpenAPI document and the editor page
# all use this pattern. The hyphen is escaped so that the pattern means the same to Python, PostgreSQL, JSON Schema
# and a browser's pattern attribute (which reads it in the "v" mode, where a bare "-" in a class is an error). An id
# never starts with ".": the folder store keeps its own files under such names and never reads them as documents, so
# a document written under one would be served until the next start and then lost (and "." and ".." name folders).
ID_MAX_CHARS = 100
ID_CHARACTERS = r"A-Za-z0-9._\-"
ID_PATTERN = re.compile(rf"^[A-Za-z0-9_\-][{ID_CHARACTERS}]{{0,{ID_MAX_CHARS - 1}}}$")
ID_RULE = (f"a document id is 1 to {ID_MAX_CHARS} ASCII letters, digits, '.', '_' or '-', and does not start "
           "with '.'")


class DocumentRejected(ValueError):
    """A source that cannot become a document; the message says why, for the person who supplied it."""

    def __init__(self, message: str, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Heading:
    """A heading its format marks as one (HTML's <h2>, Markdown's "##", Word's Heading 2, a PDF's outline), as a span
    of the document's text; `level` 1 is the top (blocks.RUN_IN_LEVEL: a bold question line); `question`: it asks
    what its section answers (a FAQ entry). Its section runs to the next heading of the same or a higher level, or
    ends at the offset `until` when the source ends it before that (a disclosure widget's summary: blocks.Block.scope).
    """

    start: int
    end: int
    level: int
    question: bool = False
    until: int | None = None


@dataclass(frozen=True)
class Document:
    """One cleaned document. `text` is what every quote is a slice of; `version` is a hash of it and the title.

    `headings` are the headings the source marks as such, in order; `page_starts` the offset in `text` where each
    page starts, for a paged format (PDF): page n starts at page_starts[n - 1]. Both are empty when the format has
    none (plain text): sentences.outline then falls back on the lines that look like headings. `code` and `rows`
    are the (start, end) spans of the blocks the source sets as code and of its tables' rows, `items` the (start,
    end, depth) of the paragraphs of its lists' items (blocks.Block), in order.
    """

    id: str
    title: str
    text: str
    format: str = "text"
    headings: tuple[Heading, ...] = ()
    page_starts: tuple[int, ...] = ()
    code: tuple[tuple[int, int], ...] = ()
    rows: tuple[tuple[int, int], ...] = ()
    items: tuple[tuple[int, int, int], ...] = ()

    @cached_property
    def version(self) -> str:
        # Kept once worked out: every rebuild asks every document for it (twice), and hashing a large corpus's text
        # each time was most of what a write cost beyond the written document (a document never changes).
        digest = hashlib.sha256()
        digest.update(self.title.encode("utf-8"))
        digest.update(b"\0")
        digest.update(self.text.encode("utf-8"))
        return digest.hexdigest()[:16]


def is_valid_id(doc_id: str) -> bool:
    # fullmatch: with match, Python's "$" also matches before a final line break, which PostgreSQL's and JSON
    # Schema's do not ("lithium\n" would pass here and become the file "lithium\n.txt").
    return bool(ID_PATTERN.fullmatch(doc_id))


def read_document(path: Path, max_bytes: int) -> Document:
    """Read one corpus file; raises DocumentRejected (empty, too large, not UTF-8, no text, a PDF without a text
    layer) instead of crashing."""
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
    document_format = formats.named(fmt)
    if document_format is None:
        raise DocumentRejected(f"{source}: unknown format {fmt!r}; use {formats.one_of(formats.NAMES)}", "format")
    if document_format.binary:
        if isinstance(raw, str):
            raise DocumentRejected(f"{source}: a {fmt} document is sent as its own bytes, not as text", "format")
        if not raw:
            raise DocumentRejected(f"{source}: the document is empty", "empty")
        source_text: bytes | str = raw
    else:
        source_text = _decoded(raw, source)
    try:
        found_title, blocks = document_format.read(source_text)
    except Unreadable as exc:
        raise DocumentRejected(f"{source}: {exc}", exc.reason) from exc
    blocks = remove_furniture(blocks)
    if not blocks:
        raise DocumentRejected(f"{source}: no text left after cleaning", "no_text")
    if title is None:
        first = blocks[0]
        set_apart = first.code or first.row or first.item
        title = found_title or (first.text if looks_like_heading(first.text) and not set_apart else doc_id)
    title = " ".join(title.split())[:300] or doc_id
    return Document(id=doc_id, title=title, format=fmt, **_joined(blocks))


def _decoded(raw: bytes | str, source: str) -> str:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            looks = formats.of_signature(raw)
            hint = (f"; it looks like a {looks.extensions[0]} file, which is sent as {looks.media_types[0]} (or "
                    f"named {looks.extensions[0]})" if looks else "")
            raise DocumentRejected(f"{source}: not UTF-8 text (byte {exc.start}){hint}", "encoding") from exc
    raw = raw.removeprefix("\ufeff")
    if "\x00" in raw:
        raise DocumentRejected(f"{source}: contains NUL bytes, so it is not a text file", "encoding")
    if not raw.strip():
        raise DocumentRejected(f"{source}: the document is empty", "empty")
    return raw


PARAGRAPH_BREAK = "\n\n"
# Between two rows of a table: a line of its own, so that the table is one paragraph and a row is quoted with the
# next one when that one goes on with the question ("Children over 12 …", "Children under 12 …"), as sentences are.
ROW_BREAK = "\n"


def _joined(blocks: list[Block]) -> dict:
    """The Document's fields that its blocks make: the blocks as one text, paragraphs apart (a table's rows lines
    apart), with where each heading, each page, each block of code, each table row and each list's item stand in
    it, and where the sections that the source's elements end stop."""
    headings: list[tuple[Heading, int]] = []  # and the heading's scope (blocks.Block.scope)
    ends: dict[int, int] = {}  # scope -> where its section stops: the end of the last block its element holds
    page_starts: list[int] = []
    code: list[tuple[int, int]] = []
    rows: list[tuple[int, int]] = []
    items: list[tuple[int, int, int]] = []
    parts: list[str] = []
    offset = 0
    for k, block in enumerate(blocks):
        if k:
            parts.append(ROW_BREAK if block.row and blocks[k - 1].row else PARAGRAPH_BREAK)
            offset += len(parts[-1])
        if block.level:
            headings.append((Heading(offset, offset + len(block.text), block.level, block.question), block.scope))
        elif block.code:
            code.append((offset, offset + len(block.text)))
        elif block.row:
            rows.append((offset, offset + len(block.text)))
        elif block.item:
            items.append((offset, offset + len(block.text), block.item))
        while block.page > len(page_starts):
            # Pages without a block of their own (blank, or furniture only) start where the next text does.
            page_starts.append(offset)
        parts.append(block.text)
        offset += len(block.text)
        ends.update((scope, offset) for scope in block.closes)
    scoped = [dataclasses.replace(h, until=ends[scope]) if scope in ends else h for h, scope in headings]
    return {"text": "".join(parts), "headings": tuple(scoped), "page_starts": tuple(page_starts),
            "code": tuple(code), "rows": tuple(rows), "items": tuple(items)}


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
    r"labels?:.{0,200}|tags?:.{0,200}|categories:.{0,200}|"
    # a copyright line ("© 2026 Example News. All rights reserved.") and a manual's "Next: …, Previous: …, Up: …"
    r"(?:©|\(c\)|copyright\s*(?:©|\(c\))?)\s*\d{4}.{0,150}|.{0,150}\ball rights reserved\.?|"
    r"(?:(?:next|previous|prev|up)\s*:[^:]{1,120}){2,})\s*$",
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


def remove_furniture(blocks: list[Block]) -> list[Block]:
    """Drop date lines, a repeated title, share bars and everything from a comment widget on."""
    kept: list[Block] = []
    for block in blocks:
        line = block.text.strip()
        # Code is the text's own whatever it says (a program's "print", a log's date line): never the page's
        # furniture.
        if not block.code:
            if _END_OF_ARTICLE.match(line) and any(not looks_like_heading(k.text) for k in kept):
                break
            if _DATE_LINE.match(line) or _FURNITURE_LINE.match(line):
                continue
            # The title again under itself, as a saved blog page has it. Only the title: another short line said
            # twice is text said twice, such as a FAQ's command ("apt-get source foo") in two of its answers.
            if looks_like_heading(line) and kept and line == kept[0].text:
                continue
        kept.append(dataclasses.replace(block, text=line) if line != block.text else block)
    while (kept and _TRUNCATED_TEASER.search(kept[-1].text) and len(kept) > 1
           and looks_like_heading(kept[-2].text)):
        # A saved page often ends with the heading and cut-off first lines of the next post.
        kept = kept[:-2]
    return kept
