"""Document formats: each one's name, file extensions, media types and reader, declared once in FORMATS.

Everything that names formats (the stores, PUT /api/documents, the `corpus add` command, the OpenAPI document, the
editor page) reads them from here, so a new format is a reader and one line in FORMATS. A reader turns a decoded
source into the title it names itself (None if it names none) and its blocks of text, markup taken out;
documents.parse_document does the rest (decoding, page furniture, the title's fallbacks).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# --- plain text -----------------------------------------------------------------------------------------------

_BLANK_LINES = re.compile(r"\n[ \t\r\f\v\u00a0\u3000]*\n")


def read_text(raw: str) -> tuple[str | None, list[str]]:
    """Paragraphs of a plain text: runs of lines between blank lines, each kept character for character."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return None, [block.strip() for block in _BLANK_LINES.split(raw) if block.strip()]


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


def read_markdown(raw: str) -> tuple[str | None, list[str]]:
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
    return None, [b for b in blocks if b]


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

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.title_parts = []
            return
        if tag in _HTML_SKIP and tag not in _VOID:
            self.skip_depth += 1
            return
        if tag in _HTML_BLOCK:
            self.flush()

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


def read_html(raw: str) -> tuple[str | None, list[str]]:
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


@dataclass(frozen=True)
class Format:
    name: str
    # The first extension is the one a store gives a file it writes; the others are read as this format too.
    extensions: tuple[str, ...]
    # The first media type is the one the editor page sends a file of this format as.
    media_types: tuple[str, ...]
    read: Callable[[str], tuple[str | None, list[str]]]


FORMATS = (
    Format("text", (".txt", ".text"), ("text/plain",), read_text),
    Format("markdown", (".md", ".markdown"), ("text/markdown",), read_markdown),
    Format("html", (".html", ".htm"), ("text/html",), read_html),
)
NAMES = tuple(f.name for f in FORMATS)
# The format of a document sent as JSON without a "format".
DEFAULT_NAME = "text"
_BY_NAME = {f.name: f for f in FORMATS}
_BY_EXTENSION = {extension: f for f in FORMATS for extension in f.extensions}
_BY_MEDIA_TYPE = {media_type: f for f in FORMATS for media_type in f.media_types}


def named(name: str) -> Format | None:
    return _BY_NAME.get(name)


def of_file(path: Path) -> Format | None:
    """The format a file's extension (in any case) says it has, or None."""
    return _BY_EXTENSION.get(path.suffix.lower())


def of_media_type(media_type: str) -> Format | None:
    return _BY_MEDIA_TYPE.get(media_type)


def media_types_by_extension() -> dict[str, str]:
    """Every extension read, in FORMATS order, with the media type a file of that extension is sent as."""
    return {extension: f.media_types[0] for extension, f in _BY_EXTENSION.items()}


def media_types() -> list[str]:
    """Every media type accepted, in FORMATS order."""
    return list(_BY_MEDIA_TYPE)


def one_of(words: Iterable[str]) -> str:
    """Words as a person lists alternatives: "a, b or c"."""
    words = list(words)
    return " or ".join(filter(None, (", ".join(words[:-1]), words[-1])))


def file_kinds() -> str:
    """The files read, as messages name them: ".txt, .md or .html"."""
    return one_of(f.extensions[0] for f in FORMATS)
