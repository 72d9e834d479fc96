"""Blocks: what a format's reader makes of a source, before documents.parse_document joins them into the text."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# The level of a heading that is not marked as one but stands alone in bold and asks a question (a FAQ entry written
# as "<p><strong>How do I ...?</strong></p>"): below every real heading level, so it nests under the last of them.
RUN_IN_LEVEL = 10
QUESTION_END = re.compile(r"\?[!?]*['\"”’)\]]*$")
# A line's list mark ("- ", "* ", "• ", "1. ", "2) "), as a plain text or a PDF's text layer writes a list's items.
LIST_MARK = re.compile(r"(?:[-*•·]|\d+[.)])\s")
# "1.2.", "3", "IV.", "(13)", "13)": the number of a heading or of a FAQ's entry, which a reader does not type.
NUMBERING = re.compile(r"\d+(?:\.\d+)*\.?|[IVXLC]+\.|\(\d+\)|\d+\)")
_HEADING_NUMBER = re.compile(rf"^(?:{NUMBERING.pattern})\s+")
# Fixed-width fonts by name, in which code is set ("Courier New", "Consolas", "DejaVuSansMono", a PDF subset's
# "ABCDEF+Consolas", TeX's typewriter "CMTT10", "NimbusMonL"), for the Word and PDF readers.
FIXED_WIDTH_FONT = re.compile(r"courier|consolas|inconsolata|mono|nimbusmon|menlo|monaco|lucida[ -]?console|"
                              r"lucida sans typewriter|\+cm(?:sl|i)?tt|\+sftt|\bcm(?:sl|i)?tt", re.I)


@dataclass(frozen=True)
class Block:
    """A block of a document's text as its reader found it: a paragraph, a table row, or a heading.

    `level` is a heading's depth (1 the top; 0 for anything that is not a heading). `question` marks a heading that
    asks what the text under it answers (a FAQ entry). `page` is the page the block starts on in a paged format
    (PDF), 0 elsewhere. `code` marks text the source sets apart as code (Markdown's code blocks, HTML's <pre>): a
    command, a program or its output, which is read as one piece and never as a heading or as prose, however it
    looks ("% make 32bit", ">>> x = 1.2"). `row` marks a table's row, its cells in order on one line ("Linux GCC >=
    10.1", "Adults 500 mg twice a day"): one piece too, never a heading, as short and unpunctuated as it is. `item`
    marks a paragraph of a list's item (Markdown's "1." and "-", HTML's <li>, Word's list paragraphs) with how deep
    in lists it stands (1 in a list, 2 in a list inside an item, 0 outside lists): what a sentence ending in a colon
    introduces when the list's items are whole sentences ("To reset it:" "Open the sign-in page." "Enter your
    address."), and only a list deeper than the sentence's own.

    `scope` and `closes` say where a heading's section ends when the source's element ends it before the next
    heading does: a disclosure widget's summary, an accordion's button or a glossary's term heads only what its
    widget, panel or description holds, and the text after that is back under the headings above. The heading
    carries a number (`scope`, above 0) and the last block its element holds lists that number (`closes`).

    `note` names the footnote a block belongs to and `refers` the footnotes whose marks stand in it: a reader who
    wants a note looks for it where its mark is, so `notes_placed` moves each note there.
    """

    text: str
    level: int = 0
    question: bool = False
    page: int = 0
    code: bool = False
    row: bool = False
    item: int = 0
    scope: int = 0
    closes: tuple[int, ...] = ()
    note: str = ""
    refers: tuple[str, ...] = ()


def notes_placed(blocks: list[Block]) -> list[Block]:
    """The blocks with each footnote's (`Block.note`) after the block that first refers to it (`Block.refers`), or
    after the table or list that block stands in, so that its section is that block's; a note's paragraphs are no
    list's items there. A note that nothing outside the notes refers to stays where the source has it."""
    # (A note's marks in another note, or in itself, place nothing: the note holding them is moved itself.)
    referred = {name for block in blocks if not block.note for name in block.refers}
    notes: dict[str, list[Block]] = {}
    for block in blocks:
        if block.note in referred:
            notes.setdefault(block.note, []).append(replace(block, item=0))
    if not notes:
        return blocks
    moved = set(notes)
    kept = [block for block in blocks if block.note not in moved]
    placed: list[Block] = []
    waiting: list[str] = []
    for k, block in enumerate(kept):
        placed.append(block)
        for name in block.refers:
            if name in notes and name not in waiting:
                waiting.append(name)
        after = kept[k + 1] if k + 1 < len(kept) else None
        if waiting and not (after is not None and (block.row and after.row or block.item and after.item)):
            for name in waiting:
                placed += notes.pop(name)
            waiting = []
    return placed


def heading(text: str, level: int, page: int = 0) -> Block:
    """A heading block; one that ends with a question mark is a question its section answers."""
    return Block(text, level, bool(QUESTION_END.search(text)), page)


def unnumbered(heading: str) -> str:
    """A heading's words without its numbering ("1.2. Summary" → "Summary", "(13) Can I…?" → "Can I…?")."""
    return _HEADING_NUMBER.sub("", heading).strip()


class Unreadable(ValueError):
    """A source its format's reader cannot turn into text; the message says why, `reason` is a stable code."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason
