"""Word (.docx): a document's paragraphs (python-docx), its Heading 1..n paragraphs as headings, tables row by row."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from .blocks import RUN_IN_LEVEL, Block, Unreadable, heading

# A .docx is a zip archive: a small file can unpack to gigabytes. Past this, it is refused before it is parsed.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_HEADING_STYLE = re.compile(r"^Heading (\d+)$")
CELL_SEPARATOR = " | "
_LIST_STYLE = re.compile(r"^List(?: Bullet| Number| Paragraph| Continue)?(?: (\d))?$")


def read_docx(raw: bytes) -> tuple[str | None, list[Block]]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise Unreadable(f"the .docx unpacks to {unpacked} bytes, over the limit of {MAX_UNPACKED_BYTES}",
                             "too_large")
        document = docx.Document(io.BytesIO(raw))
        blocks = list(_blocks(document.iter_inner_content()))
        title = document.core_properties.title or None
    except Unreadable:
        raise
    except Exception as exc:
        # As with PDFs: a damaged archive or part fails inside zipfile, lxml or python-docx in many ways.
        raise Unreadable(f"not a readable Word (.docx) file ({type(exc).__name__}: {exc})", "unreadable") from exc
    title = title or next((b.text for b in blocks if b.level == 1), None)
    return title, blocks


def _blocks(items) -> list[Block]:
    for item in items:
        if isinstance(item, Table):
            yield from _rows(item)
        elif isinstance(item, Paragraph):
            text = " ".join(item.text.split())
            if not text:
                continue
            style = item.style.name if item.style is not None else ""
            level = _HEADING_STYLE.match(style)
            if style == "Title":
                yield heading(text, 1)
            elif level:
                yield heading(text, int(level.group(1)))
            elif text.endswith("?") and item.runs and all(run.bold for run in item.runs if run.text.strip()):
                # A question in bold on a line of its own: a FAQ entry written without heading styles.
                yield Block(text, RUN_IN_LEVEL, question=True)
            else:
                yield Block(text, item=_list_depth(item, style))


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
