"""Sentences: paragraphs and sentences of a document's text as character spans, split with nltk's Punkt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

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

_HEADING_END = re.compile(r"[.!?:;,…。！？]['\"”’)\]]*$")
_FRAGMENT = re.compile(r"^[\W\d_]*$")
_CITATION_ONLY = re.compile(r"^(?:\[[\d,\s–-]+\]\s*)+$")
_LEADING_CITATIONS = re.compile(r"^(?:\[[\d,\s–-]+\])(?:\s*\[[\d,\s–-]+\])*")


@dataclass(frozen=True)
class Sentence:
    """A sentence as a span of its document's text; `paragraph` is the index of the paragraph holding it."""

    start: int
    end: int
    paragraph: int
    heading: bool = False


@dataclass(frozen=True)
class Paragraph:
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
            or re.match(r"^(?:[-*•·]|\d+[.)])\s", nxt)
            or (_is_heading_line(line) and nxt[:1].isupper())
            or (line.endswith((".", "!", "?", ":")) and len(line) < 60 and nxt[:1].isupper())
        )
        if ends_here:
            pieces.append((block_start, le))
            block_start = None
    return pieces


def _is_heading_line(line: str) -> bool:
    return len(line) <= 120 and not _HEADING_END.search(line) and not line[:1].islower()


def split_sentences(text: str) -> tuple[list[Paragraph], list[Sentence]]:
    """All paragraphs and sentences of a text. A heading or date line is its own sentence, never glued on."""
    paras = paragraphs(text)
    sentences: list[Sentence] = []
    punkt = tokenizer()
    for p_index, para in enumerate(paras):
        for block_start, block_end in _lines(text, para.start, para.end):
            block = text[block_start:block_end]
            if _is_heading_line(block.strip()) and "\n" not in block.strip():
                sentences.append(Sentence(block_start, block_end, p_index, heading=True))
                continue
            spans = [(s + block_start, e + block_start) for s, e in punkt.span_tokenize(block)]
            for s, e in _merge_fragments(text, spans):
                sentences.append(Sentence(s, e, p_index))
    return paras, sentences


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
