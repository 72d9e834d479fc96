"""Documents: reading a text, Markdown or HTML source into clean text and a title, without page furniture."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
ID_RULE = "a document id is 1 to 100 letters, digits, '.', '_' or '-', and not '.' or '..'"


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
    return bool(ID_PATTERN.match(doc_id)) and doc_id not in {".", ".."}


def format_of(path: Path) -> str | None:
    return FORMATS.get(path.suffix.lower())


def read_document(path: Path, max_bytes: int) -> Document:
    """Read one corpus file; raises DocumentRejected (empty, too large, not UTF-8, no text) instead of crashing."""
    fmt = format_of(path)
    if fmt is None:
        raise DocumentRejected(f"{path.name}: not a .txt, .md or .html file", "format")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentRejected(f"{path.name}: {size} bytes is over the limit of {max_bytes} bytes", "too_large")
    return parse_document(path.stem, path.read_bytes(), fmt, source=path.name)


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
    if fmt == "html":
        found_title, blocks = html_blocks(raw)
    elif fmt == "markdown":
        found_title, blocks = None, markdown_blocks(raw)
    elif fmt == "text":
        found_title, blocks = None, text_blocks(raw)
    else:
        raise DocumentRejected(f"{source}: unknown format {fmt!r}; use text, markdown or html", "format")
    blocks = remove_furniture(blocks)
    if not blocks:
        raise DocumentRejected(f"{source}: no text left after cleaning", "no_text")
    if title is None:
        title = found_title or (blocks[0] if looks_like_heading(blocks[0]) else doc_id)
    title = " ".join(title.split())[:300] or doc_id
    return Document(id=doc_id, title=title, text="\n\n".join(blocks), format=fmt)


# --- plain text -----------------------------------------------------------------------------------------------

_BLANK_LINES = re.compile(r"\n[ \t\r\f\v\u00a0\u3000]*\n")


def text_blocks(raw: str) -> list[str]:
    """Paragraphs of a plain text: runs of lines between blank lines, each kept character for character."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return [block.strip() for block in _BLANK_LINES.split(raw) if block.strip()]


# --- Markdown -------------------------------------------------------------------------------------------------

_MD_FENCE = re.compile(r"^(```|~~~)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_QUOTE = re.compile(r"^\s*>\s?")
_MD_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
# A marker touching a letter or digit on its outer side is part of the text ("snake_case_name", "2*3*4").
_MD_EMPHASIS = re.compile(r"(?<![^\W_])(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?![^\W_])")
_MD_CODE = re.compile(r"`+([^`]+)`+")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HTML_TAG = re.compile(r"<[^>]+>")


def markdown_inline(line: str) -> str:
    line = _MD_IMAGE.sub(r"\1", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_REF_LINK.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    for _ in range(2):
        line = _MD_EMPHASIS.sub(r"\2", line)
    line = _HTML_TAG.sub("", line)
    return html.unescape(line)


def markdown_blocks(raw: str) -> list[str]:
    """Paragraphs of a Markdown text with the markup characters taken out; headings and list items stand alone."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush():
        if current:
            text = "\n".join(current).strip()
            if text:
                blocks.append(text)
            current.clear()

    for line in lines:
        if _MD_FENCE.match(line.strip()):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            current.append(line)
            continue
        if not line.strip() or _MD_RULE.match(line) or _MD_REF_DEF.match(line) or _MD_TABLE_RULE.match(line):
            flush()
            continue
        if _MD_SETEXT.match(line) and current:
            flush()
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            flush()
            blocks.append(markdown_inline(heading.group(1)).strip())
            continue
        if _MD_LIST.match(line):
            flush()
            line = _MD_LIST.sub("", line)
        line = _MD_QUOTE.sub("", line)
        if "|" in line and line.strip().startswith("|"):
            line = " ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        current.append(markdown_inline(line).strip())
    flush()
    return [b for b in blocks if b]


# --- HTML -----------------------------------------------------------------------------------------------------

_HTML_SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "button",
              "select", "svg", "iframe", "object", "head"}
_HTML_BLOCK = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
               "blockquote", "pre", "table", "tr", "td", "th", "dt", "dd", "dl", "figure", "figcaption", "br",
               "hr", "body", "html", "caption", "address", "details", "summary"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


class _HTMLText(HTMLParser):
    """Collects the text of an HTML page as blocks, skipping scripts, styles and navigation chrome."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.title_parts: list[str] | None = None
        self.title = ""
        self.h1 = ""
        self.in_h1 = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.title_parts = []
            return
        if tag in _HTML_SKIP and tag not in _VOID:
            self.skip_depth += 1
            return
        if tag in _HTML_BLOCK:
            self.flush()
        if tag == "h1":
            self.in_h1 = True

    def handle_endtag(self, tag):
        if tag == "title" and self.title_parts is not None:
            self.title = " ".join("".join(self.title_parts).split())
            self.title_parts = None
            return
        if tag in _HTML_SKIP and tag not in _VOID:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag in _HTML_BLOCK:
            if tag == "h1" and not self.h1:
                self.h1 = " ".join("".join(self.current).split())
            self.flush()
        if tag == "h1":
            self.in_h1 = False

    def handle_data(self, data):
        if self.title_parts is not None:
            self.title_parts.append(data)
        elif not self.skip_depth:
            self.current.append(data)

    def flush(self):
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []


def html_blocks(raw: str) -> tuple[str | None, list[str]]:
    """The title and text blocks of an HTML page; prefers <article> or <main> when the page has one."""
    focus = re.search(r"<(article|main)\b[^>]*>(.*)</\1\s*>", raw, re.S | re.I)
    parser = _HTMLText()
    parser.feed(focus.group(2) if focus else raw)
    parser.close()
    parser.flush()
    if focus:
        title_parser = _HTMLText()
        title_parser.feed(raw[: focus.start()])
        title_parser.close()
        title = title_parser.title
    else:
        title = parser.title
    return (parser.h1 or title or None), parser.blocks


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
