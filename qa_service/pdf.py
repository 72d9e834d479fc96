"""PDF: the text layer of a PDF (pypdf) as a document's blocks, in reading order, without the page furniture.

pypdf gives each page's text in the order the page draws it, which for the PDFs writers and word processors make is
reading order (a column before the next). Lines are joined back into paragraphs, a word hyphenated at a line's end
is joined again ("treat-" + "ment"), and what repeats at the top or bottom of the pages (running headers and
footers, page numbers) is dropped, and so is a table of contents. Headings are the PDF's outline (its bookmarks)
found on their pages; a question set in bold on lines of its own is a FAQ entry's question, and lines set wholly in
a fixed-width font are code. A PDF with no text layer (a scan) has nothing to quote from and is refused.

Footnotes are set in smaller type at the foot of the page, after the body text in the order pypdf reads; read with
the body, a note landed inside the paragraph that runs on to the next page ("…review of 1 A blood test… every
result."). The lines a page ends with in type smaller than the body's, the first opening with a mark ("1", "*",
"†"), are its notes: each a block of its own, placed after the paragraph whose small raised mark names it
(blocks.notes_placed), while that paragraph goes on across the page break.
"""

from __future__ import annotations

import io
import logging
import math
import re
import statistics
from collections import Counter
from typing import NamedTuple

from pypdf import PdfReader

from .blocks import (
    FIXED_WIDTH_FONT,
    LIST_MARK,
    QUESTION_END,
    RUN_IN_LEVEL,
    Block,
    Unreadable,
    heading,
    notes_placed,
    unnumbered,
)

# pypdf logs a warning for every small defect it works around; a document that reads is all that matters here.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# Lines at either end of a page that may be a running header or footer.
EDGE_LINES = 2
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,5}|[ivxlcdm]{1,8})(?:\s*(?:/|of)\s*\d{1,5})?$", re.I)
_SENTENCE_END = re.compile(r"[.!?:;…]['\"”’)\]]*$")
_LINE_END_HYPHEN = re.compile(r"(?<=[a-z])-$")
# A line this much shorter than a full line, ending a sentence, ends its paragraph.
SHORT_LINE = 0.8
# The FixedPitch and ForceBold flags of a font descriptor's /Flags (PDF 32000-1, 9.8.2).
_FIXED_PITCH, _FORCE_BOLD = 1, 1 << 18
# Bold fonts by name ("Helvetica-Bold", "ABCDEF+Calibri-Bold", "Arial,Black", "SourceSansPro-Semibold").
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.I)
# A question set in bold on lines of its own (a leaflet's FAQ) takes this many lines at most.
QUESTION_LINES = 3
# A table of contents' entry: a heading, dot leaders and its page number ("2.1 ASN.1 syntax . . . . . 2"), and its
# title line. Its lines say what the headings say, each a page away from its text: never an answer.
_CONTENTS_ENTRY = re.compile(r"(?:\.\s?){4,}\s*(?:\d{1,5}|[ivxlcdm]{1,8})$", re.I)
_CONTENTS_TITLE = re.compile(r"(?:table of )?contents", re.I)
# Type this much smaller than the body's (or, for a mark, than its own line's) is a footnote's, or a raised mark's:
# a footnote is set two or three points below a body of 10 to 12 (8 of 11 is 0.73), a raised mark about as much
# (Chromium's <sup> in 14 px type: 11.66, 0.83).
SMALL_TYPE = 0.9
# What names a footnote: a number, or one to three of the traditional symbols.
_NOTE_MARK = r"\d{1,3}|[*†‡§¶‖#]{1,3}"
_MARK = re.compile(rf"(?:{_NOTE_MARK})")
_OPENS_WITH_MARK = re.compile(rf"(?:{_NOTE_MARK})(?=\s*\S)")


def read_pdf(raw: bytes) -> tuple[str | None, list[Block]]:
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("the PDF is encrypted with a password; send it unencrypted", "encrypted")
        read = [_read_page(page) for page in reader.pages]
        pages = [lines for lines, _ in read]
        styles = [style for _, style in read]
        outline = _outline(reader)
        title = (reader.metadata.title if reader.metadata else None) or None
    except Unreadable:
        raise
    except Exception as exc:
        # A damaged or hostile file fails deep inside pypdf in many ways (its own errors, zlib's, struct's, ...);
        # each means the same to the sender, and none may become a server error.
        raise Unreadable(f"not a readable PDF ({type(exc).__name__}: {exc})", "unreadable") from exc
    if not any(re.search(r"\w", line) for lines in pages for line in lines):
        raise Unreadable(f"the PDF's {len(pages)} page(s) have no text layer (a scanned PDF?): there is no text to "
                         "quote from. Run OCR on it first (for example ocrmypdf) and send the result", "no_text_layer")
    pages = [_without_contents(lines) for lines in _without_running_lines(pages)]
    return title, notes_placed(_paragraphs(pages, outline, styles, _body_size(pages, styles)))


def _body_size(pages: list[list[str]], styles: list[_LineStyles]) -> float:
    """The size of the body's type: the size most of the text's characters are set in."""
    characters: Counter[float] = Counter()
    for lines, style in zip(pages, styles, strict=True):
        for line in lines:
            characters[round(style.sizes.get(line, 0.0), 1)] += len(line)
    return characters.most_common(1)[0][0] if characters else 0.0


class _Note(NamedTuple):
    name: str  # the page's number and the mark: notes are numbered by page or through the document, and set on
    # the page of their mark
    text: str


def _page_notes(lines: list[str], style: _LineStyles, body: float, page_number: int, last_note: _Note | None
                ) -> tuple[list[str], list[_Note]]:
    """A page's lines without its footnotes, and the notes. They are the lines the page ends with in type smaller
    than the body's, the first of them opening with a mark; a note that goes on from the page before (the last one
    there ends no sentence) may open them too, unmarked."""
    start = len(lines)
    while (start and 0 < style.sizes.get(lines[start - 1], body) < SMALL_TYPE * body
           and lines[start - 1] not in style.fixed):  # code is often set smaller, and a line of it may open "2 "
        start -= 1
    if start == 0:  # a page all in small type (a list of references, an appendix) has no body to annotate
        return lines, []
    notes: list[_Note] = []
    for line in lines[start:]:
        mark = _OPENS_WITH_MARK.match(line)
        if mark:
            notes.append(_Note(f"{page_number}:{mark.group()}", line))
        elif notes:
            notes[-1] = _Note(notes[-1].name, _joined(notes[-1].text, line))
        elif last_note is not None and not _SENTENCE_END.search(last_note.text):
            notes.append(_Note(last_note.name, line))
        else:
            return lines, []
    return lines[:start], notes


def _ends_a_block(last_line: str, line: str, wrapped: float) -> bool:
    """Whether a full line ending a sentence ends its block before a short line that ends none: a paragraph's own last
    line ends with its stop, so the short line is a title or a table's heading row ("Age Dose How often")."""
    return bool(_SENTENCE_END.search(last_line)) and len(line) < wrapped and not _SENTENCE_END.search(line)


def _joined(text: str, line: str) -> str:
    """A line added to the text before it, a word hyphenated at the line's end joined again."""
    if _LINE_END_HYPHEN.search(text) and line[:1].islower():
        return text[:-1] + line
    return f"{text} {line}"


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


class _LineStyles(NamedTuple):
    """A page's lines set wholly in a fixed-width font (code, as a command or a program is printed) and wholly in
    bold (a leaflet's questions); the size of each line's largest type, and the raised marks each line holds (pieces
    that are a footnote's mark, in type smaller than the line's)."""

    fixed: set[str]
    bold: set[str]
    sizes: dict[str, float]
    marks: dict[str, tuple[str, ...]]


def _read_page(page) -> tuple[list[str], _LineStyles]:
    """The page's lines, and their styles. pypdf hands each piece of text to the visitor with its font, in the
    order of the text it returns."""
    pieces: list[tuple[str, bool, bool, float]] = []
    styles_of: dict[int, tuple[bool, bool]] = {}  # by font: a page draws many pieces in few fonts

    def visit(text, cm, tm, font, size):
        if text:
            style = styles_of.get(id(font))
            if style is None:
                style = styles_of[id(font)] = _font_style(font)
            pieces.append((text, *style, _type_size(size, cm, tm)))

    lines = _lines(page.extract_text(extraction_mode="plain", visitor_text=visit))
    styles = _LineStyles(set(), set(), {}, {})
    line: list[str] = []
    sized: list[tuple[str, float]] = []  # the line's pieces that hold text, with their type's size
    all_fixed = all_bold = True
    for text, fixed_width, bold, size in pieces + [("\n", True, True, 0.0)]:
        for k, part in enumerate(text.split("\n")):
            if k:
                said = " ".join("".join(line).split())
                if said and all_fixed:
                    styles.fixed.add(said)
                if said and all_bold:
                    styles.bold.add(said)
                if said and sized:
                    largest = max(size for _, size in sized)
                    styles.sizes[said] = max(largest, styles.sizes.get(said, 0.0))
                    marks = tuple(piece.strip() for piece, size in sized
                                  if size < SMALL_TYPE * largest and _MARK.fullmatch(piece.strip()))
                    if marks:
                        styles.marks[said] = marks
                line, sized, all_fixed, all_bold = [], [], True, True
            line.append(part)
            blank = not part.strip()
            if not blank:
                sized.append((part, size))
            all_fixed = all_fixed and (fixed_width or blank)
            all_bold = all_bold and (bold or blank)
    return lines, styles


def _type_size(size: float, cm, tm) -> float:
    """The height of a piece's type on the page: its font size scaled by the text and current matrices (some
    writers set every font at size 1 and scale it with the text matrix)."""
    c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
    return abs(size) * math.hypot(c, d)


def _font_style(font) -> tuple[bool, bool]:
    """Whether a font is fixed-width, and whether it is bold."""
    if not font:
        return False, False
    name = str(font.get("/BaseFont", ""))
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    flags = int(descriptor.get("/Flags", 0))
    weight = float(descriptor.get("/FontWeight", 0))
    # A font's name says it is fixed-width where its descriptor does not (the standard 14 fonts have none, TeX's
    # say "symbolic").
    return (bool(flags & _FIXED_PITCH or FIXED_WIDTH_FONT.search(name)),
            bool(flags & _FORCE_BOLD or weight >= 600 or _BOLD_FONT.search(name)))


def _bold_question(lines: list[str], k: int, bold: set[str], wrapped: float) -> int:
    """How many lines from line k make a question set in bold on lines of its own (at most QUESTION_LINES, the
    last ending with a question mark, the others wrapped: at least `wrapped` long); 0 when they do not. A short bold
    line before a bold question is a title of its own."""
    for count in range(1, QUESTION_LINES + 1):
        if k + count > len(lines) or lines[k + count - 1] not in bold:
            return 0
        if QUESTION_END.search(lines[k + count - 1]):
            return count
        if len(lines[k + count - 1]) < wrapped:
            return 0
    return 0


def _outline(reader: PdfReader) -> dict[tuple[int, str], int]:
    """The outline's entries as (page number from 1, title with white space folded) -> level (1 the top); each also
    by its title without its numbering, since a manual's outline often leaves out the number its page prints ("Invoking
    asn1Coding" for "3.2 Invoking asn1Coding")."""
    entries: dict[tuple[int, str], int] = {}

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            page = reader.get_destination_page_number(item)
            if page is not None and page >= 0 and item.title:
                title = " ".join(str(item.title).split())
                entries.setdefault((page + 1, title), level)
                entries.setdefault((page + 1, unnumbered(title)), level)

    walk(reader.outline, 1)
    return entries


def _edge_key(line: str) -> str:
    """A line as it repeats on every page: numbers (the page's own) and case left out."""
    return re.sub(r"\d+", "#", line.lower())


def _without_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """The pages without their page numbers and the lines repeated at the top or bottom of most pages."""
    edge_positions = [set(range(min(EDGE_LINES, len(lines)))) | set(range(max(0, len(lines) - EDGE_LINES), len(lines)))
                      for lines in pages]
    seen = Counter(key for lines, edges in zip(pages, edge_positions, strict=True)
                   for key in {_edge_key(lines[i]) for i in edges})
    running = {key for key, count in seen.items() if len(pages) >= 2 and count >= max(2, len(pages) / 2)}
    return [[line for i, line in enumerate(lines)
             if not (i in edges and (_PAGE_NUMBER.match(line) or _edge_key(line) in running))]
            for lines, edges in zip(pages, edge_positions, strict=True)]


def _without_contents(lines: list[str]) -> list[str]:
    """A page's lines without its table of contents' entries, and without the title of a table of contents that
    the next line's entry shows it is."""
    kept = []
    for i, line in enumerate(lines):
        if _CONTENTS_ENTRY.search(line):
            continue
        if _CONTENTS_TITLE.fullmatch(line) and i + 1 < len(lines) and _CONTENTS_ENTRY.search(lines[i + 1]):
            continue
        kept.append(line)
    return kept


def _paragraphs(pages: list[list[str]], outline: dict[tuple[int, str], int], styles: list[_LineStyles],
                body: float) -> list[Block]:
    """Lines joined into paragraphs (across a page break too), and the outline's headings as heading blocks. Lines
    of code (`styles`, by page) are blocks of code, a run of them one block, a line each, as HTML's <pre>; a question
    set in bold on lines of its own is a FAQ entry's question, as in a Word file or an HTML page.

    A line that opens with a list's mark ("- ", "• ", "1. ") opens a list's item, a block of its own (a leaflet's
    "Tell your doctor if you notice:" and its symptoms). A short line that ends no sentence ends its block when the
    next line starts a sentence ("Taking your tablets" above "Swallow them whole."; a list's last item above the
    next paragraph): a wrapped line runs to the margin, and a sentence wrapped after a short line goes on in lower
    case. A short line that ends no sentence, after a line that ends one, starts a block (`_ends_a_block`). A page's
    footnotes (`_page_notes`, by the size of the `body` type) follow the paragraph open at the page's end, which goes
    on across the page break; a paragraph refers to the notes whose raised marks it holds."""
    lengths = [len(line) for lines in pages for line in lines]
    # A full line's length: the longest lines run to the margin (a leaflet's many short list lines would pull a
    # median down to their own length).
    full = statistics.quantiles(lengths, n=10)[-1] if len(lengths) > 1 else sum(lengths)
    blocks: list[Block] = []
    current = ""
    page_of_current = 0
    item = False
    refers: list[str] = []  # the notes whose marks the current paragraph holds
    notes: list[Block] = []  # a page's notes, waiting for the paragraph open at its end
    last_note: _Note | None = None
    last_line = ""
    in_code = False  # the last line read was code: the next line of code goes on with its block

    def flush():
        nonlocal current, refers, notes
        if current:
            blocks.append(Block(current, page=page_of_current, item=int(item), refers=tuple(refers)))
        blocks.extend(notes)
        current, refers, notes = "", [], []

    for page_number, lines in enumerate(pages, start=1):
        style = styles[page_number - 1]
        lines, page_notes = _page_notes(lines, style, body, page_number, last_note)
        last_note = page_notes[-1] if page_notes else None  # a note goes on only to the next page
        asked = 0  # lines left of a bold question already read
        for k, line in enumerate(lines):
            if asked:
                asked -= 1
                continue
            level = outline.get((page_number, line)) or outline.get((page_number, unnumbered(line)))
            if level is not None:
                flush()
                blocks.append(heading(line, level, page_number))
                in_code = False
                continue
            if asked := _bold_question(lines, k, style.bold, SHORT_LINE * full):
                flush()
                blocks.append(Block(" ".join(lines[k:k + asked]), RUN_IN_LEVEL, question=True, page=page_number))
                last_line, in_code, asked = lines[k + asked - 1], False, asked - 1
                continue
            if line in style.fixed:
                flush()
                if in_code:
                    blocks[-1] = Block(f"{blocks[-1].text}\n{line}", page=blocks[-1].page, code=True)
                else:
                    blocks.append(Block(line, page=page_number, code=True))
                last_line, in_code = line, True
                continue
            in_code = False
            if current and (LIST_MARK.match(line) or line[:1].isupper() and (
                    len(last_line) < SHORT_LINE * full and not _LINE_END_HYPHEN.search(last_line)
                    or _ends_a_block(last_line, line, SHORT_LINE * full))):
                flush()
            last_line = line
            if not current:
                current, page_of_current, item = line, page_number, LIST_MARK.match(line) is not None
            else:
                current = _joined(current, line)
            refers += [f"{page_number}:{mark}" for mark in style.marks.get(line, ())]
            if _SENTENCE_END.search(line) and len(line) < SHORT_LINE * full:
                flush()
        notes += [Block(note.text, page=page_number, note=note.name) for note in page_notes]
        if not current or _SENTENCE_END.search(current):
            flush()
    flush()
    return blocks
