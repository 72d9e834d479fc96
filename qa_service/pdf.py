"""PDF: the text layer of a PDF (pypdf) as a document's blocks, in reading order, without the page furniture.

pypdf gives each page's text in the order the page draws it, which for the PDFs writers and word processors make is
reading order (a column before the next). Lines are joined back into paragraphs, a word hyphenated at a line's end
is joined again ("treat-" + "ment"), and what repeats at the top or bottom of the pages (running headers and
footers, page numbers) is dropped, and so is a table of contents. Headings are the PDF's outline (its bookmarks)
found on their pages; a question set in bold on lines of its own is a FAQ entry's question, and lines set wholly in
a fixed-width font are code. A PDF with no text layer (a scan) has nothing to quote from and is refused.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter
from typing import NamedTuple

from pypdf import PdfReader

from .blocks import FIXED_WIDTH_FONT, LIST_MARK, QUESTION_END, RUN_IN_LEVEL, Block, Unreadable, heading, unnumbered

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
    return title, _paragraphs(pages, outline, styles)


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


class _LineStyles(NamedTuple):
    """A page's lines set wholly in a fixed-width font (code, as a command or a program is printed) and wholly in
    bold (a leaflet's questions)."""

    fixed: set[str]
    bold: set[str]


def _read_page(page) -> tuple[list[str], _LineStyles]:
    """The page's lines, and their styles. pypdf hands each piece of text to the visitor with its font, in the
    order of the text it returns."""
    pieces: list[tuple[str, bool, bool]] = []
    styles_of: dict[int, tuple[bool, bool]] = {}  # by font: a page draws many pieces in few fonts

    def visit(text, _cm, _tm, font, _size):
        if text:
            style = styles_of.get(id(font))
            if style is None:
                style = styles_of[id(font)] = _font_style(font)
            pieces.append((text, *style))

    lines = _lines(page.extract_text(extraction_mode="plain", visitor_text=visit))
    styles = _LineStyles(set(), set())
    line: list[str] = []
    all_fixed = all_bold = True
    for text, fixed_width, bold in pieces + [("\n", True, True)]:
        for k, part in enumerate(text.split("\n")):
            if k:
                said = " ".join("".join(line).split())
                if said and all_fixed:
                    styles.fixed.add(said)
                if said and all_bold:
                    styles.bold.add(said)
                line, all_fixed, all_bold = [], True, True
            line.append(part)
            blank = not part.strip()
            all_fixed = all_fixed and (fixed_width or blank)
            all_bold = all_bold and (bold or blank)
    return lines, styles


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


def _paragraphs(pages: list[list[str]], outline: dict[tuple[int, str], int], styles: list[_LineStyles]
                ) -> list[Block]:
    """Lines joined into paragraphs (across a page break too), and the outline's headings as heading blocks. Lines
    of code (`styles`, by page) are blocks of code, a run of them one block, a line each, as HTML's <pre>; a question
    set in bold on lines of its own is a FAQ entry's question, as in a Word file or an HTML page.

    A line that opens with a list's mark ("- ", "• ", "1. ") opens a list's item, a block of its own (a leaflet's
    "Tell your doctor if you notice:" and its symptoms). A short line that ends no sentence ends its block when the
    next line starts a sentence ("Taking your tablets" above "Swallow them whole."; a list's last item above the
    next paragraph): a wrapped line runs to the margin, and a sentence wrapped after a short line goes on in lower
    case."""
    lengths = [len(line) for lines in pages for line in lines]
    # A full line's length: the longest lines run to the margin (a leaflet's many short list lines would pull a
    # median down to their own length).
    full = statistics.quantiles(lengths, n=10)[-1] if len(lengths) > 1 else sum(lengths)
    blocks: list[Block] = []
    current = ""
    page_of_current = 0
    item = False
    last_line = ""
    in_code = False  # the last line read was code: the next line of code goes on with its block

    def flush():
        nonlocal current
        if current:
            blocks.append(Block(current, page=page_of_current, item=int(item)))
        current = ""

    for page_number, lines in enumerate(pages, start=1):
        style = styles[page_number - 1]
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
            if current and (LIST_MARK.match(line) or line[:1].isupper() and len(last_line) < SHORT_LINE * full
                            and not _LINE_END_HYPHEN.search(last_line)):
                flush()
            last_line = line
            if not current:
                current, page_of_current, item = line, page_number, LIST_MARK.match(line) is not None
            elif _LINE_END_HYPHEN.search(current) and line[:1].islower():
                current = current[:-1] + line
            else:
                current = f"{current} {line}"
            if _SENTENCE_END.search(line) and len(line) < SHORT_LINE * full:
                flush()
        if current and _SENTENCE_END.search(current):
            flush()
    flush()
    return blocks
