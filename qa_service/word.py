"""Word (.docx): a document's paragraphs (python-docx), those inside content controls too, its Heading 1..n
paragraphs as headings, tables row by row, code as code, each footnote and endnote after the paragraph (or table)
that first refers to it; never its table of contents."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from .blocks import FIXED_WIDTH_FONT, RUN_IN_LEVEL, Block, Unreadable, heading, notes_placed

# A .docx is a zip archive: a small file can unpack to gigabytes. Past this, it is refused before it is parsed.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_HEADING_STYLE = re.compile(r"^Heading (\d+)$")
CELL_SEPARATOR = " | "
# The styles of a table of contents' lines and title, as Word ("TOC 1", "TOC Heading") and LibreOffice ("Contents 1",
# "Contents Heading") name them: its lines say what the headings say, each a page away from its text.
_CONTENTS_STYLE = re.compile(r"^(?:toc|contents) (?:\d|heading)$", re.I)
_CONTENTS_GALLERY = "Table of Contents"
_LIST_STYLE = re.compile(r"^List(?: Bullet| Number| Paragraph| Continue)?(?: (\d))?$")
# The paragraph styles code is set in: Word's own ("HTML Preformatted", "Macro Text", "Plain Text") and those that
# templates add ("Code", "Source Code", "Code Block").
_CODE_STYLE = re.compile(r"\b(?:code|preformatted|macro text|plain text)\b", re.I)
# Footnotes and endnotes: the part each kind lives in, its element there, and the mark that refers to one in the text.
_NOTE_KINDS = ((RELATIONSHIP_TYPE.FOOTNOTES, "w:footnote", "w:footnoteReference"),
               (RELATIONSHIP_TYPE.ENDNOTES, "w:endnote", "w:endnoteReference"))


def read_docx(raw: bytes) -> tuple[str | None, list[Block]]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise Unreadable(f"the .docx unpacks to {unpacked} bytes, over the limit of {MAX_UNPACKED_BYTES}",
                             "too_large")
        document = docx.Document(io.BytesIO(raw))
        # The notes where Word shows them, after the text, until notes_placed puts each after its first mark.
        blocks = notes_placed([*_blocks(_inner_content(document.element.body, document._body)), *(
            replace(block, note=name) for name, note in _notes(document).items() for block in _blocks(note))])
        title = document.core_properties.title or None
    except Unreadable:
        raise
    except Exception as exc:
        # As with PDFs: a damaged archive or part fails inside zipfile, lxml or python-docx in many ways.
        raise Unreadable(f"not a readable Word (.docx) file ({type(exc).__name__}: {exc})", "unreadable") from exc
    title = title or next((b.text for b in blocks if b.level == 1), None)
    return title, blocks


def _inner_content(element, parent):
    """The paragraphs and tables of a body, in order, with those inside content controls (`w:sdt`: a template's
    fields and sections) and custom XML, which python-docx's own walk leaves out; not a table of contents' control."""
    for child in element.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent)
        elif child.tag == qn("w:tbl"):
            yield Table(child, parent)
        elif child.tag == qn("w:customXml"):
            yield from _inner_content(child, parent)
        elif child.tag == qn("w:sdt") and not _is_contents(child):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _inner_content(content, parent)


def _is_contents(control) -> bool:
    """Whether a content control holds a table of contents (Word puts the one it makes in a control of that
    gallery)."""
    gallery = control.find(f"{qn('w:sdtPr')}/{qn('w:docPartObj')}/{qn('w:docPartGallery')}")
    return gallery is not None and gallery.get(qn("w:val")) == _CONTENTS_GALLERY


def _notes(document) -> dict[str, list[Paragraph]]:
    """The document's footnotes and endnotes, each one's paragraphs by its name (the mark that refers to it and its
    id, `_note_name`), in the order of their parts; not the separators Word keeps among them (notes with a type)."""
    notes: dict[str, list[Paragraph]] = {}
    for relationship, element, mark in _NOTE_KINDS:
        part = next((rel.target_part for rel in document.part.rels.values()
                     if rel.reltype == relationship and not rel.is_external), None)
        if part is None:
            continue
        for note in parse_xml(part.blob).iterchildren(qn(element)):
            if note.get(qn("w:type")) in (None, "normal"):
                notes[_note_name(mark, note)] = [Paragraph(p, document._body) for p in note.iterchildren(qn("w:p"))]
    return notes


def _note_name(mark: str, element) -> str:
    return f"{mark}:{element.get(qn('w:id'))}"


def _blocks(items):
    """The blocks of these paragraphs and tables, the last of each naming the notes it refers to (Block.refers)."""
    for item in items:
        blocks = _item_blocks(item)
        element = item._tbl if isinstance(item, Table) else item._p
        refers = tuple(_note_name(mark, reference)
                       for _, _, mark in _NOTE_KINDS for reference in element.iter(qn(mark)))
        if blocks and refers:
            blocks[-1] = replace(blocks[-1], refers=refers)
        yield from blocks


def _item_blocks(item) -> list[Block]:
    """A table's rows, or what a paragraph is: a heading, code, a FAQ entry's question or a paragraph (none for an
    empty one or a table of contents' line)."""
    if isinstance(item, Table):
        return list(_rows(item))
    text = " ".join(item.text.split())
    style = item.style.name if item.style is not None else ""
    if not text or _CONTENTS_STYLE.match(style):
        return []
    level = _HEADING_STYLE.match(style)
    if style == "Title":
        return [heading(text, 1)]
    if level:
        return [heading(text, int(level.group(1)))]
    if _is_code(item, style):
        # Its lines as the page shows them (a command each), as HTML's <pre>.
        lines = (" ".join(line.split()) for line in item.text.splitlines())
        return [Block("\n".join(line for line in lines if line), code=True)]
    if text.endswith("?") and item.runs and all(run.bold for run in item.runs if run.text.strip()):
        # A question in bold on a line of its own: a FAQ entry written without heading styles.
        return [Block(text, RUN_IN_LEVEL, question=True)]
    return [Block(text, item=_list_depth(item, style))]


def _is_code(paragraph: Paragraph, style: str) -> bool:
    """Code: a paragraph in a code style, or one whose every piece of text is set in a fixed-width font (the
    run's own, its character style's, or the paragraph style's). A word set in one within a sentence is prose."""
    if _CODE_STYLE.search(style):
        return True
    runs = [run for run in paragraph.runs if run.text.strip()]
    style_font = _style_font(paragraph.style)
    return bool(runs) and all(FIXED_WIDTH_FONT.search(run.font.name or _style_font(run.style) or style_font)
                              for run in runs)


def _style_font(style) -> str:
    """The font a style sets, its own or that of the style it is based on ("" for none)."""
    while style is not None:
        if style.font.name:
            return style.font.name
        style = style.base_style
    return ""


def _list_depth(paragraph: Paragraph, style: str) -> int:
    """How deep in lists a paragraph stands (blocks.Block.item): numbered or bulleted in its own properties, at
    their level (0 the top), or by a list style ("List Bullet", "List Number 2", "List Paragraph"), which is how
    Word's list buttons mark them; 0 for a paragraph of no list."""
    numbering = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    if numbering is not None and numbering.ilvl is not None:
        return numbering.ilvl.val + 1
    level = _LIST_STYLE.match(style)
    return int(level.group(1) or 1) if level or numbering is not None else 0


def _rows(table: Table):
    """Each row as one block, its cells in order (a merged cell once), separated by CELL_SEPARATOR."""
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        if cells:
            yield Block(CELL_SEPARATOR.join(cells), row=True)
