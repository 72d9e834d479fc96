"""Sentences: paragraphs and sentences of a document's text as character spans, split with nltk's Punkt."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

from .analysis import is_stop_word
from .blocks import LIST_MARK, QUESTION_END, RUN_IN_LEVEL

if TYPE_CHECKING:
    from .documents import Heading

# Punkt learns abbreviations from training text; with no data download possible, the common ones are shipped
# here (lower case, without the final period, as Punkt stores them). Units ("500 mg."), acronyms that share a
# spelling ("MS.") and plain words ("sat.", "sun.") are left out: they end sentences far more often than not.
ABBREVIATIONS = frozenset("""
e.g i.e etc vs cf al approx appx ca est fig figs eq eqs no nos vol vols pp p ch sec secs ref refs
dr mr mrs prof rev hon sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep pres
inc ltd co corp dept univ assn bros
jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri
avg tab tabs inj susp soln
u.s u.k u.n e.u a.m p.m b.c a.d ph.d m.d b.a m.a b.sc m.sc d.c n.b
viz resp incl esp var spp sp subsp
""".split())

# A plain FAQ's question line, its reply on the lines after it ("Q: Can I change my username?" "A: No. …").
_FAQ_QUESTION = re.compile(r"(?:Q|Question)\s*[:.]\s+\S.*\?['\"”’)\]]*", re.I)
# A plain FAQ without those marks: a question that is a paragraph of its own, one line of at most this many
# characters, above a paragraph that answers it; a text with at least FAQ_QUESTIONS of them is such a FAQ.
FAQ_QUESTION_CHARS = 150
FAQ_QUESTIONS = 2
_HEADING_END = re.compile(r"[.!?:;,…。！？]['\"”’)\]]*$")
_FRAGMENT = re.compile(r"^[\W\d_]*$")
_CITATION_ONLY = re.compile(r"^(?:\[[\d,\s–-]+\]\s*)+$")
_LEADING_CITATIONS = re.compile(r"^(?:\[[\d,\s–-]+\])(?:\s*\[[\d,\s–-]+\])*")
# A sentence's end with a note's or a citation's number set right after it, as a page shows a superscript mark in
# its text ("… the minimum mark.1 Never fill …", "… can occur.8 Disease modelers …"): the word before the stop, the
# number (or numbers), and the capital that opens the next sentence. Punkt reads "mark.1" as one token and so sees
# no sentence end there. A word in capitals before it is a name with its version ("ASN.1 BIO"), not a sentence.
_NUMBER_AFTER_STOP = re.compile(r"\b([A-Za-z]*[a-z])[.!?][\"”’)]?(\d{1,3}(?:[,–-]\d{1,3})*)\s+(?=[A-Z])")


class Sentence(NamedTuple):
    """A sentence as a span of its document's text; `paragraph` is the index of the paragraph holding it.

    `heading`: a heading (one the format marks, or a line that looks like one) or a date line, standing alone.
    `question`: a heading that asks what the text under it answers, a FAQ entry's question (marked, or a plain
    FAQ's "Q: …?" line).
    `code`: a paragraph of a block the format sets as code (documents.Document.code), whole.

    A named tuple of integers, as Paragraph: an analysed document keeps its sentences packed in one array
    (packed.PackedRows) and makes a Sentence when one is read."""

    start: int
    end: int
    paragraph: int
    heading: bool = False
    question: bool = False
    code: bool = False


CUT_LINE_WORDS = 6  # a line this long that ends in a function word is text cut off, not a heading
# A token no reader would ask about: a checksum or an identifier (letters and digits run together), or an address.
_CODE = re.compile(r"(?=[\w-]*\d)(?=[\w-]*[^\W\d])[\w-]{12,}|://|www\.", re.I)


def names_a_topic(heading: str) -> bool:
    """Whether a heading reads as a topic a reader could ask about: mostly words ("Sequences (Tuples/Lists)",
    "COVID-19 in 2020"), not a record's field ("SHA: edfe02a438fa9b66…"), a table's column heads ("Type of inhibition
    Ki (mM) IC 50 (mM)"), a label in brackets ("(DOC)"), or a line of text cut off after a function word ("There was
    season-to-season variability in the leading causes of")."""
    tokens = heading.split()
    if not tokens or _CODE.search(heading) or re.fullmatch(r"\(.*\)|\[.*\]", heading):
        return False
    plain = [re.sub(r"\W+", "", t).lower() for t in tokens]
    wordy = sum(1 for t, p in zip(tokens, plain, strict=True) if re.search(r"[^\W\d]{3}", t) or is_stop_word(p))
    cut = len(tokens) >= CUT_LINE_WORDS and plain[-1].isalpha() and is_stop_word(plain[-1])
    return 2 * wordy >= len(tokens) and not cut


def is_cited_section(heading: str, marked: bool) -> bool:
    """Whether a citation names this heading as a section, and the document page shows it as one: any heading the
    format marks (`marked`: an API reference's "ffi_type_sint16", a glossary's term are what a reader asks about),
    and a line of plain text that only looks like a heading when it reads as a topic (names_a_topic)."""
    return marked or names_a_topic(heading)


@dataclass(frozen=True)
class Section:
    """A heading and the sentences under it, up to the next heading of the same or a higher level.

    `path` is the headings' text from the top level down to this section's own (the document's title left out:
    every sentence is under it); `heading` the index of the heading's sentence; `question`: the heading asks what
    the section answers (a FAQ entry).
    """

    path: tuple[str, ...]
    heading: int
    question: bool = False


class Paragraph(NamedTuple):
    start: int
    end: int


@lru_cache(maxsize=1)
def tokenizer() -> PunktSentenceTokenizer:
    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def paragraphs(text: str) -> list[Paragraph]:
    """Blank-line separated paragraphs as spans, without their surrounding white space."""
    spans = []
    for match in re.finditer(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", text, re.S):
        spans.append(Paragraph(match.start(), match.end()))
    return spans


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a paragraph where a line break ends a heading or starts a list item; keep wrapped prose together."""
    pieces: list[tuple[int, int]] = []
    line_spans = [(m.start() + start, m.end() + start) for m in re.finditer(r"[^\n]+", text[start:end])]
    block_start = None
    for i, (ls, le) in enumerate(line_spans):
        line = text[ls:le].strip()
        if block_start is None:
            block_start = ls
        nxt = text[line_spans[i + 1][0]:line_spans[i + 1][1]].strip() if i + 1 < len(line_spans) else ""
        ends_here = (
            not nxt
            or LIST_MARK.match(nxt)
            or (_is_heading_line(line) and nxt[:1].isupper())
            or _FAQ_QUESTION.fullmatch(line)
            or (line.endswith((".", "!", "?", ":")) and len(line) < 60 and nxt[:1].isupper())
        )
        if ends_here:
            pieces.append((block_start, le))
            block_start = None
    return pieces


def _is_heading_line(line: str) -> bool:
    return len(line) <= 120 and not _HEADING_END.search(line) and not line[:1].islower()


def split_sentences(text: str, headings: Sequence[Heading] = (), code: Sequence[tuple[int, int]] = (),
                    rows: Sequence[tuple[int, int]] = (), items: Sequence[tuple[int, int, int]] = ()
                    ) -> tuple[list[Paragraph], list[Sentence]]:
    """All paragraphs and sentences of a text. A heading or date line is its own sentence, never glued on; a heading
    the format marks (a paragraph of its own, see documents.Heading) is one sentence whatever its punctuation, and
    so is each paragraph of a block the format sets as code and each row of a table (`code`, `rows`: spans in
    order; a table's rows are one paragraph, a line each): a command or a row is neither a heading nor prose to
    split at its dots. A plain FAQ's question line ("Q: Can I …?") is a heading that asks (`Sentence.question`),
    its reply ("A: …") on the lines after it. A paragraph of a list's item (`items`, spans and depths in order) is
    never a heading, short and unpunctuated as it may be ("PayPal", "Bank transfer, for yearly plans only")."""
    paras = paragraphs(text)
    sentences: list[Sentence] = []
    punkt = tokenizer()
    marked = {(h.start, h.end): h for h in headings}
    asked = _question_paragraphs(text, paras, headings, code, rows, items)
    next_code = next_row = 0
    item_starts = {start for start, _, _ in items}
    for p_index, para in enumerate(paras):
        known = marked.get((para.start, para.end))
        if known is not None or p_index in asked:
            question = known.question if known is not None else True
            sentences.append(Sentence(para.start, para.end, p_index, heading=True, question=question))
            continue
        while next_code < len(code) and code[next_code][1] < para.end:
            next_code += 1
        if next_code < len(code) and code[next_code][0] <= para.start:
            sentences.append(Sentence(para.start, para.end, p_index, code=True))
            continue
        while next_row < len(rows) and rows[next_row][0] < para.start:
            next_row += 1
        if next_row < len(rows) and rows[next_row][1] <= para.end:
            while next_row < len(rows) and rows[next_row][1] <= para.end:
                sentences.append(Sentence(*rows[next_row], p_index))
                next_row += 1
            continue
        item = para.start in item_starts
        for block_start, block_end in _lines(text, para.start, para.end):
            block = text[block_start:block_end]
            if not item and _is_heading_line(block.strip()) and "\n" not in block.strip():
                sentences.append(Sentence(block_start, block_end, p_index, heading=True))
                continue
            if _FAQ_QUESTION.fullmatch(block.strip()):
                sentences.append(Sentence(block_start, block_end, p_index, heading=True, question=True))
                continue
            spans = [(s + block_start, e + block_start) for s, e in punkt.span_tokenize(block)]
            for s, e in _merge_fragments(text, _split_after_numbers(text, spans)):
                sentences.append(Sentence(s, e, p_index))
    return paras, sentences


def marks_levels(headings: Sequence[Heading]) -> bool:
    """Whether the format marks headings of levels of their own (HTML's <h2>, Markdown's "##", Word's Heading 2, a
    PDF's outline), not only run-in questions (blocks.RUN_IN_LEVEL) or none: where it does not, a text's heading
    lines and its plain FAQ's questions are read as headings too."""
    return any(h.level < RUN_IN_LEVEL for h in headings)


def _question_paragraphs(text: str, paras: list[Paragraph], headings: Sequence[Heading],
                         code: Sequence[tuple[int, int]], rows: Sequence[tuple[int, int]],
                         items: Sequence[tuple[int, int, int]]) -> set[int]:
    """The paragraphs of a plain FAQ that are its questions ("How do I reset my password?" above "Open Settings…"),
    when the format marks no heading of a level of its own (plain text, a PDF without an outline, a page without
    headings): paragraphs of one short line that ask, each above one that does not, at least FAQ_QUESTIONS of them;
    never the first paragraph (a title that asks, "WHO's Next?"), nor a marked block (a heading, code, a row or a
    list's item). None for any other text: a lone question in prose is prose."""
    if marks_levels(headings):
        return set()
    set_apart = {(h.start, h.end) for h in headings} | set(code) | set(rows) | {(s, e) for s, e, _ in items}

    def asks(k: int) -> bool:
        start, end = paras[k]
        if end - start > FAQ_QUESTION_CHARS:
            return False
        said = text[start:end]
        return "\n" not in said and bool(QUESTION_END.search(said)) and (start, end) not in set_apart

    questions = {k for k in range(1, len(paras) - 1) if asks(k) and not asks(k + 1)}
    return questions if len(questions) >= FAQ_QUESTIONS else set()


def _split_after_numbers(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each span split after a sentence's end that a note's number follows ("mark.1 Never"; the number stays with
    the sentence it marks), unless the word before the stop is an abbreviation ("Fig.1 Shows") or in capitals
    ("ASN.1 BIO")."""
    split: list[tuple[int, int]] = []
    for s, e in spans:
        start = s
        for match in _NUMBER_AFTER_STOP.finditer(text, s, e):
            if match.group(1).lower() not in ABBREVIATIONS and len(match.group(1)) > 1:
                split.append((start, match.end(2)))
                start = match.end()
        split.append((start, e))
    return split


def _merge_fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Glue citation markers and punctuation-only pieces to the sentence before them."""
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        piece = text[s:e]
        if merged and (_CITATION_ONLY.match(piece) or _FRAGMENT.match(piece)):
            merged[-1] = (merged[-1][0], e)
            continue
        markers = _LEADING_CITATIONS.match(piece) if merged else None
        if markers:
            # "… patients. [1] [2] Others …": Punkt starts the next sentence at the markers, but they cite this one.
            merged[-1] = (merged[-1][0], s + markers.end())
            s = e - len(piece[markers.end():].lstrip())
        merged.append((s, e))
    return merged


def outline(text: str, paras: list[Paragraph], sentences: list[Sentence], headings: Sequence[Heading],
            title: str) -> tuple[tuple[Section, ...], np.ndarray]:
    """The sections of a document and, for every sentence, the index of the innermost section holding it (-1 before
    the first heading): one small integer per sentence, however many there are.

    The headings are those the format marks; a text with none of a level of its own (plain text, a PDF without an
    outline) has its heading lines, each a paragraph of its own, and its FAQ question lines ("Q: …?", its reply on
    the next lines), as headings of one level. A heading that repeats the title opens no section. A section whose
    source element ends before the next heading (documents.Heading.until: a disclosure widget's, a glossary term's)
    stops there, and what follows stands under the headings above it again.
    """
    levels = {(h.start, h.end): h.level for h in headings}
    untils = {(h.start, h.end): h.until for h in headings if h.until is not None}
    if not marks_levels(headings):
        # The format marks no heading of a level of its own (plain text; a PDF without an outline, whose questions
        # in bold it marks): its heading lines are headings too, of one level, above those questions.
        levels |= {(s.start, s.end): 1 for s in sentences if s.heading and (s.start, s.end) not in levels and (
            s.question or (s.start, s.end) == (paras[s.paragraph].start, paras[s.paragraph].end))}
    title = " ".join(title.split())
    sections: list[Section] = []
    # (level, section, where it stops or None) of the headings the next sentence stands under
    opened: list[tuple[int, int, int | None]] = []
    membership = np.empty(len(sentences), dtype=np.int32)
    for i, sentence in enumerate(sentences):
        if untils:
            stopped = next((k for k, (_, _, until) in enumerate(opened)
                            if until is not None and until <= sentence.start), None)
            if stopped is not None:
                del opened[stopped:]  # and the sections opened inside it stop with it
        level = levels.get((sentence.start, sentence.end))
        if level is not None:
            words = " ".join(text[sentence.start:sentence.end].split())
            while opened and opened[-1][0] >= level:
                opened.pop()
            if words != title:
                path = (sections[opened[-1][1]].path if opened else ()) + (words,)
                sections.append(Section(path, i, sentence.question))
                opened.append((level, len(sections) - 1, untils.get((sentence.start, sentence.end))))
        membership[i] = opened[-1][1] if opened else -1
    return tuple(sections), membership
