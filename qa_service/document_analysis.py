"""Document analysis: a document as paragraphs, sentences with their terms and traits, passage windows, the
sections sentences stand under, and the names its text says are aliases. Built once per document version.

The index (index.py) is built from analysed documents; ranking reads their sentences' terms and traits.
"""

from __future__ import annotations

import dataclasses
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .analysis import NOT_A_NAME, is_stop_word, terms, words
from .blocks import LIST_MARK
from .documents import Document
from .meaning import SentenceEncoder
from .packed import PackedCounts, PackedRows, PackedTerms
from .recent import Recent
from .sentence_vectors import SentenceVectors
from .sentences import Paragraph, Section, Sentence, outline, split_sentences

PASSAGE_SENTENCES = 3  # sentences per passage window
PASSAGE_STRIDE = 1  # so every sentence is seen with the sentence before and the one after it

# What a sentence holds, for the kind of answer a question asks for (questions.ANSWER_KINDS). Each kind is decided
# from the sentence's words where a word decides it, and a pattern is run only on a sentence that holds what the
# pattern needs (a digit, "percent", a word of a phrase): Python's re tries a long alternation at every position of
# the text, and four such patterns on every candidate sentence were most of what a new question's answer cost.
_DIGIT = re.compile(r"\d")
_PERCENT = re.compile(r"\d\s*(?:%|percent\b|per cent\b)|\bpercent", re.I)
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
                          "hundred thousand million billion dozen half quarter once twice".split())
# Whole words that name a date as they are written (case matters: "May" is a month, "may" is not).
_DATE_WORDS = frozenset("century centuries decade decades January February March April May June July August "
                        "September October November December BC AD BCE CE".split())
_DATE_NUMBER = re.compile(r"\b(?:1\d{3}|20\d{2})s?\b|\b\d{1,2}(?:st|nd|rd|th)\b")  # "1990s", "21st"
_DATE_PHRASE = re.compile(r"\b(?:in|since|until|by|after|before|during) the \w+s\b")  # "in the sixties"
_DATE_PHRASE_OPENERS = frozenset({"in", "since", "until", "by", "after", "before", "during"})
_CONDITION_WORDS = frozenset({"when", "whenever", "if", "unless", "once", "after", "until"})
_CONDITION_PHRASE = re.compile(r"\b(?:in case of|in patients (?:who|with))\b", re.I)
_CAPITALISED_NAME = re.compile(
    rf"\b{NOT_A_NAME}[A-Z][\w'’-]*[a-z][\w'’-]*(?:\s+(?:of|de|von|van|the)?\s*{NOT_A_NAME}[A-Z][\w'’-]*)*")
# A run of word characters: a sentence's runs are the whole words a question may repeat (SentenceTraits.runs).
PLAIN_WORD = re.compile(r"\w+")
_CAPTION = re.compile(r"^\s*(?:fig(?:ure)?|table|supplementary|chart|scheme)\.?\s*\d", re.I)
# A reference-list entry: it opens with its number ("[12] Smith, J…"), or holds a DOI, an address or "et al. 2019".
_REFERENCE_ENTRY = re.compile(r"\s*\[?\d+[\].]\s+[A-Z][a-z]+,?\s+[A-Z]", re.I)
_REFERENCE_MARK = re.compile(r"\bdoi\s*:|https?://|\bet al\.,?\s*\(?\d{4}", re.I)
# A sentence that only sends the reader elsewhere ("See Section 14.", "For more information about Linux, see …",
# "If even that doesn't help, refer to Section 16."): it names where an answer is, it is not one. A pointer inside
# a sentence that says something ("… (see Section 4)") does not make it one.
_POINTER = re.compile(r"^\s*(?:(?:for (?:more |further |additional )?(?:information|details)\b[^,.;]{0,60},?|"
                      r"please|also|if [^,.;]{0,80},)\s*)*(?:see|refer to|consult)\b", re.I)
# A cross-reference to a numbered part of the text, with the quoted title that often follows it ("Section 11.9, “How
# do I override a file…”"): the title is another section's heading, so its words say where an answer is, not one.
_CROSS_REFERENCE = re.compile(r"\b(?:sections?|chapters?)\s+\d+(?:\.\d+)*\b(?:,?\s*(?:“[^”]*”?|\"[^\"]*\"?))?", re.I)
# At most this many words that are no stop words left beside a sentence's cross-references: the sentence only points
# elsewhere ("This is discussed further in the question on Section 11.9, “…”.", "(Also see Section 7.8, “…”.)").
POINTER_WORDS = 3
# How a finished sentence ends: a full stop, question or exclamation mark, maybe inside closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
# A sentence opening with a word or phrase that points back (a pronoun, a connective, "In that case", "For this
# reason", "By default it…") goes on from the one before it.
# "There" and "here" point back ("There, the water is softer."), but not when they only say that something is ("There
# is a function named …", "Here are the steps:"): such a sentence stands on its own.
_ONLY_SAYS_IT_IS = (r"(?!['’]s\b|\s+(?:is|are|was|were|be|been|isn['’]t|aren['’]t|wasn['’]t|weren['’]t|has|have|had|"
                    r"will|would|won['’]t|may|might|can|cannot|can['’]t|could|should|must|seems?|seemed|appears?|"
                    r"appeared|exists?|existed|remains?|remained|used to)\b)")
DEPENDENT_OPENER = re.compile(
    r"^[\"'“‘(]*(?:it|its|this|that|these|those|they|their|them|he|his|she|her|but|however|thus|therefore|hence|"
    rf"such|both|also|in turn|as a result|consequently|instead|then|there{_ONLY_SAYS_IT_IS}|here{_ONLY_SAYS_IT_IS}|"
    r"yet|so|which|the latter|the former|"
    r"as such|if so|if not|even so|otherwise|likewise|similarly|nevertheless|nonetheless|"
    r"(?:in|under) (?:this|that|these|those|such) (?:case|cases|circumstances|situations?|conditions?)|"
    r"for (?:this|that|these|those) (?:reason|reasons|purpose)|because of (?:this|that)|to do (?:so|this|that)|"
    r"at (?:this|that) (?:point|time|stage)|after (?:this|that)|before (?:this|that)|in (?:this|that) way|"
    r"by default,? (?:it|they|this|these))\b",
    re.I,
)


@dataclass(frozen=True)
class SentenceTraits:
    """What a sentence is, whatever the question: its form and the kinds of answer it can give."""

    heading: bool
    fragment: bool  # code, under four words, or opening in lower case (not with a name: opens_with_a_lower_case_name)
    apparatus: bool  # a caption, a reference-list entry, or a pointer to another part of the text
    length: float  # log of its length over 150 characters
    first: bool  # it opens its paragraph
    dependent: bool  # it opens by pointing back
    kinds: frozenset[str]  # percent, number, date, condition: what it holds
    names: tuple[tuple[str, ...], ...]  # its capitalised names, each as lower-case words
    # Its maximal runs of word characters, lower-cased, each between spaces: the whole words a question may repeat.
    # One string, as a set of words per sentence would cost a warm worker on a large corpus hundreds of MiB.
    runs: str


def only_points(said: str) -> bool:
    """Whether a sentence that holds cross-references says little else: at most POINTER_WORDS words beside them that
    are no stop words, and no number ("The default is 5 (see Section 2)." answers a question)."""
    rest = _CROSS_REFERENCE.sub(" ", said)
    if len(rest) == len(said) or any(c.isdigit() for c in rest):
        return False
    return sum(not is_stop_word(w) for w in words(rest)) <= POINTER_WORDS


def opens_with_a_lower_case_name(text: str, sentences: Sequence[Sentence], i: int) -> bool:
    """Whether sentence i, which opens in lower case, is a whole sentence about something whose name is written in
    lower case ("dpkg is the tool that …", "buster (Debian 10) was Andy's pet dog.", "purge - the user wants the
    package removed completely."), as technical pages and FAQs often have, rather than a piece of one.

    A piece of a sentence goes on from the text before it: from within its paragraph (a split after an
    abbreviation), from a paragraph that stopped mid-sentence (a list item after "… can be used to:", a formula's
    "where x is …", text a PDF broke), or it opens with a function word ("and if …", "the `stable' distribution").
    So a whole sentence opens its paragraph right after a heading or a finished sentence, opens with a word that is
    no function word, and ends as a sentence does (a line of code does not).
    """
    sentence = sentences[i]
    said = text[sentence.start:sentence.end].rstrip()
    if i > 0 and sentences[i - 1].paragraph == sentence.paragraph or not _SENTENCE_END.search(said):
        return False
    lead = words(said[:40])
    if not lead or is_stop_word(lead[0]):
        return False
    if i == 0 or sentences[i - 1].heading:
        return True
    before = sentences[i - 1]
    return bool(_SENTENCE_END.search(text[before.start:before.end].rstrip()))


def sentence_kinds(said: str, lowered: str, runs: list[str], lowered_runs: list[str]) -> frozenset[str]:
    """The kinds of answer a sentence holds (percent, number, date, condition), from its text, its text lower-cased
    and the runs of word characters of each."""
    digit = _DIGIT.search(said) is not None
    kinds = set()
    if ("%" in said or "percent" in lowered or "per cent" in lowered) and _PERCENT.search(said):
        kinds.add("percent")
    if digit or not _NUMBER_WORDS.isdisjoint(lowered_runs):
        kinds.add("number")
    if (not _DATE_WORDS.isdisjoint(runs) or digit and _DATE_NUMBER.search(said)
            or "the" in runs and not _DATE_PHRASE_OPENERS.isdisjoint(runs) and _DATE_PHRASE.search(said)):
        kinds.add("date")
    if not _CONDITION_WORDS.isdisjoint(lowered_runs) or (
            ("case" in lowered_runs or "patients" in lowered_runs) and _CONDITION_PHRASE.search(said)):
        kinds.add("condition")
    return frozenset(kinds)


def sentence_traits(text: str, sentences: Sequence[Sentence], i: int) -> SentenceTraits:
    """The traits of sentence i of a document's text."""
    sentence = sentences[i]
    said = text[sentence.start:sentence.end]
    lowered = said.lower()
    lowered_runs = PLAIN_WORD.findall(lowered)
    apparatus = bool(_CAPTION.match(said) or _REFERENCE_ENTRY.match(said) or (
        ("doi" in lowered or "http" in lowered or "et al" in lowered) and _REFERENCE_MARK.search(said))
        or _POINTER.match(said)) or ("section" in lowered or "chapter" in lowered) and only_points(said)
    return SentenceTraits(
        heading=sentence.heading,
        fragment=sentence.code or len(said.split()) < 4 or (
            said[:1].islower() and not opens_with_a_lower_case_name(text, sentences, i)),
        apparatus=apparatus,
        length=math.log(max(len(said), 10) / 150),
        first=i == 0 or sentences[i - 1].paragraph != sentence.paragraph,
        dependent=bool(DEPENDENT_OPENER.match(said)),
        kinds=sentence_kinds(said, lowered, PLAIN_WORD.findall(said), lowered_runs),
        names=tuple(tuple(PLAIN_WORD.findall(name.lower())) for name in _CAPITALISED_NAME.findall(said[1:])),
        runs=f" {' '.join(lowered_runs)} ",
    )


NOT_YET = 2  # AnalysedDocument.opens_by_pointing_back: a sentence not looked at yet


def _span_starting_at(spans: Sequence[tuple[int, ...]], start: int) -> tuple[int, ...] | None:
    """The span of `spans` (in text order, by their first number) that starts at `start`, or None."""
    k = bisect_left(spans, start, key=lambda span: span[0])
    return spans[k] if k < len(spans) and spans[k][0] == start else None


class RecentTraits:
    """The traits of the sentences questions needed lately (recent.Recent: at most 2 × `generation`).

    Most sentences never become a candidate, and working out every sentence's traits at analysis would add 20-40% to
    its time and about 1 KiB per sentence. Worked out anew for every candidate, they would take 0.8-1.2 ms of an
    answer of 1.8-2.3 ms (p50, SQuAD's articles, words alone). Kept for good, as each document kept them before,
    they grew with every new question, towards a KiB for every sentence of the corpus in every worker.
    """

    def __init__(self, generation: int):
        self._kept: Recent[tuple[int, int], SentenceTraits] = Recent(generation)

    def of(self, doc: AnalysedDocument, i: int) -> SentenceTraits:
        """Sentence i's traits. The key is the document object's identity: the index that owns this holds its
        documents, so no other document can take that identity while the traits are kept."""
        key = (id(doc), i)
        found = self._kept.get(key)
        return found if found is not None else self._kept.put(key, doc.traits(i))

    def __len__(self) -> int:
        return len(self._kept)


class Window(NamedTuple):
    """A passage window: its first and last sentence (inclusive), within one paragraph."""

    first: int
    last: int


@dataclass
class AnalysedDocument:
    """A document split into paragraphs, sentences (with their terms) and passage windows. Built once per version."""

    document: Document
    # Per paragraph, sentence and passage window, packed (packed.py): read back as tuples, built on access.
    paragraphs: Sequence[Paragraph]
    sentences: Sequence[Sentence]
    sentence_terms: Sequence[tuple[str, ...]]
    windows: Sequence[Window]
    surface_words: Mapping[str, int]  # word -> its count in the text, stop words left out
    aliases: list[tuple[tuple[str, ...], tuple[str, ...]]]
    sentence_frequency: Mapping[str, int]  # term -> number of this document's sentences holding it
    # For each sentence, the heading sentence of the innermost section holding it (section_headings() of the two
    # fields below), -1 for none: a heading's words say what the sentences under it are about.
    section_headings: np.ndarray
    # One unit vector per sentence (in int8 steps: sentence_vectors.py) and the model that made them
    # (meaning.SentenceEncoder.identity); None until the corpus is embedded, or with QA_SEMANTIC=off.
    # Once indexed, the rows of the index's matrix of every sentence's vector (index.sentence_vectors), not a copy.
    embeddings: SentenceVectors | None = None
    embedded_by: str = ""
    # The document's sections (sentences.Section: heading path, heading sentence, FAQ question or not) and, per
    # sentence, the index of the innermost section holding it, -1 for none (sentences.outline); per sentence, the
    # page it starts on (from 1) for a paged format (PDF), else None. Arrays: one small number per sentence.
    sections: tuple[Section, ...] = ()
    sentence_section: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    sentence_page: np.ndarray | None = None
    # Per sentence, whether it opens by pointing back (opens_by_pointing_back), filled in as questions ask.
    _points_back: bytearray | None = field(default=None, init=False, repr=False, compare=False)

    def sentence_text(self, i: int) -> str:
        s = self.sentences[i]
        return self.document.text[s.start:s.end]

    def section_path(self, i: int) -> tuple[str, ...]:
        """The headings sentence i stands under, from the top level down (empty: under none but the title)."""
        section = int(self.sentence_section[i])
        return self.sections[section].path if section >= 0 else ()

    def page(self, i: int) -> int | None:
        """The page sentence i starts on (from 1), or None when the document has no pages."""
        return None if self.sentence_page is None else int(self.sentence_page[i])

    def traits(self, i: int) -> SentenceTraits:
        """What sentence i is, whatever the question (its form, the kinds of answer it holds), worked out anew: the
        index keeps those of the sentences questions needed lately (RecentTraits)."""
        return sentence_traits(self.document.text, self.sentences, i)

    # The three below are asked of every candidate, of which few stand in a list or a table: a document without
    # either answers at once, and the others read columns, not rows (packed.PackedRows.column).
    def list_depth(self, i: int) -> int:
        """How deep in lists the paragraph holding sentence i stands, as the source marks its lists' items
        (documents.Document.items): 0 outside them, 1 in a list's item, 2 in an item of a list inside that."""
        items = self.document.items
        if not items:
            return 0
        item = _span_starting_at(items, self.paragraphs.column("start")[self.sentences.column("paragraph")[i]])
        return item[2] if item is not None else 0

    def is_row(self, i: int) -> bool:
        """Whether sentence i is a table's row (documents.Document.rows); a table is a paragraph of rows."""
        rows = self.document.rows
        return bool(rows) and _span_starting_at(rows, self.sentences.column("start")[i]) is not None

    def opens_item(self, i: int) -> int:
        """The depth of the list's item that sentence i opens (as `list_depth`), 0 when it opens none: it starts a
        paragraph the source marks as a list item's, or a line that starts with a list's mark ("1. ", "- ", "• "),
        as a plain text's lists are written, one list deeper than its paragraph."""
        start = self.sentences.column("start")[i]
        depth = self.list_depth(i)
        if depth and start == self.paragraphs.column("start")[self.sentences.column("paragraph")[i]]:
            return depth
        return depth + 1 if LIST_MARK.match(self.document.text, start) else 0

    def opens_by_pointing_back(self, i: int) -> bool:
        """Whether sentence i opens by pointing back ("It", "This", "However"): SentenceTraits.dependent alone,
        asked of every candidate's neighbours, so kept per sentence once worked out (a byte each: NOT_YET, 0, 1)."""
        told = self._points_back
        if told is None:
            told = self._points_back = bytearray([NOT_YET]) * len(self.sentences)
        if told[i] == NOT_YET:
            told[i] = DEPENDENT_OPENER.match(self.sentence_text(i)) is not None
        return told[i] == 1

    def __getstate__(self) -> dict:
        # A snapshot (snapshots.py) keeps what analysis built, not what questions have needed so far.
        return {name: value for name, value in self.__dict__.items() if name != "_points_back"}

    def with_strings_interned(self) -> AnalysedDocument:
        """The same analysis, its terms and words read from the interpreter's one copy of each string (as analysed
        in this process), not the copies an analysis sent by another process arrives with."""
        return dataclasses.replace(self, sentence_terms=self.sentence_terms.interned(),
                                   surface_words=self.surface_words.interned(),
                                   sentence_frequency=self.sentence_frequency.interned())


def passage_windows(sentences: list[Sentence]) -> list[Window]:
    """Windows of PASSAGE_SENTENCES sentences, moved PASSAGE_STRIDE at a time, never crossing a paragraph."""
    windows = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1].paragraph == sentences[i].paragraph:
            j += 1
        # sentences i..j form one paragraph
        if j - i + 1 <= PASSAGE_SENTENCES:
            windows.append(Window(i, j))
        else:
            for first in range(i, j - PASSAGE_SENTENCES + 2, PASSAGE_STRIDE):
                windows.append(Window(first, first + PASSAGE_SENTENCES - 1))
        i = j + 1
    return windows


# "levetiracetam (Keppra)", "Keppra, also known as levetiracetam", "sold under the brand name Keppra":
# the corpus itself says which names mean the same thing.
_ALIAS_NAME = r"[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,3}"
_ALIAS_PATTERNS = [
    re.compile(rf"\b({_ALIAS_NAME})\s*\(\s*([A-Za-z][\w-]*(?:\s+[\w-]+){{0,3}})\s*\)"),
    re.compile(r"\b([A-Za-z][\w-]*),?\s+\(?(?:also|otherwise|commonly|better)\s+(?:known|called|referred to|sold)"
               r"(?:\s+(?:as|by))?(?:\s+(?:its|the|a|an))?(?:\s+(?:generic|brand|trade|common|lay|other)\s+names?)?"
               r"(?:\s+(?:as|of))?\s+([A-Za-z][\w-]*)"),
    re.compile(r"\b([A-Za-z][\w-]*),?\s+(?:\(|sold\s+)?(?:under\s+)?(?:the\s+)?(?:brand|trade|generic)\s+names?"
               r"\s+(?:of\s+)?([A-Z][\w-]*)"),
]


def _acronym_of(acronym: str, phrase_words: list[str]) -> list[str] | None:
    """The shortest tail of a phrase that the acronym abbreviates ("antiepileptic drug" for "AED")."""
    letters = acronym.lower()
    if not (2 <= len(letters) <= 8 and acronym[:1].isupper()):
        return None
    for n in range(1, min(len(letters), len(phrase_words)) + 1):
        tail = [w.lower() for w in phrase_words[-n:]]
        initials = "".join(w[0] for w in tail)
        if tail[0][0] == letters[0] and subsequence(initials, letters) and subsequence(letters, "".join(tail)):
            return phrase_words[-n:]
    return None


def subsequence(needle: str, hay: str) -> bool:
    """Whether the letters of needle appear in hay in order ("aed" in "antiepilepticdrug")."""
    it = iter(hay)
    return all(ch in it for ch in needle)


def find_aliases(text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Pairs of term sequences that the text says are names for the same thing."""
    pairs = []
    for pattern_index, pattern in enumerate(_ALIAS_PATTERNS):
        for match in pattern.finditer(text):
            left, right = match.group(1), match.group(2)
            if pattern_index == 0:
                inner = right.split()
                tail = _acronym_of(inner[0], left.split()) if len(inner) == 1 and inner[0].isupper() else None
                left = " ".join(tail) if tail else left.split()[-1]
            a, b = tuple(terms(left)), tuple(terms(right))
            if a and b and a != b and len(b) <= 4:
                pairs.append((a, b))
    return pairs


def section_headings(sections: tuple[Section, ...], sentence_section: np.ndarray) -> np.ndarray:
    """The index of the heading sentence each sentence stands under, -1 where it stands under none: the section
    outline read as one array, for ranking to look up per candidate."""
    headings = np.array([s.heading for s in sections] + [-1], dtype=np.int32)
    return headings[sentence_section] if len(sentence_section) else np.empty(0, np.int32)


def section_openers(doc: AnalysedDocument, heading: int, count: int) -> list[int]:
    """The first `count` sentences under a heading that are not headings themselves."""
    out = []
    for i in range(heading + 1, len(doc.sentences)):
        if doc.section_headings[i] != heading or len(out) == count:
            break
        if not doc.sentences[i].heading:
            out.append(i)
    return out


def analyse(document: Document) -> AnalysedDocument:
    paras, sentences = split_sentences(document.text, document.headings, document.code, document.rows,
                                       document.items)
    sections, sentence_section = outline(document.text, paras, sentences, document.headings, document.title)
    sentence_page = None
    if document.page_starts:
        starts = np.fromiter((s.start for s in sentences), dtype=np.int64, count=len(sentences))
        sentence_page = np.searchsorted(np.array(document.page_starts), starts, side="right").astype(np.int32)
    sentence_terms = [tuple(terms(document.text[s.start:s.end])) for s in sentences]
    surface = Counter(w for w in words(document.text) if not is_stop_word(w) and w.isalpha())
    return AnalysedDocument(
        document=document,
        paragraphs=PackedRows.of(paras, Paragraph),
        sentences=PackedRows.of(sentences, Sentence),
        sentence_terms=PackedTerms.of(sentence_terms),
        windows=PackedRows.of(passage_windows(sentences), Window),
        surface_words=PackedCounts.of(surface),
        aliases=find_aliases(document.text),
        sentence_frequency=PackedCounts.of(Counter(t for ts in sentence_terms for t in set(ts))),
        sections=sections,
        sentence_section=sentence_section,
        sentence_page=sentence_page,
        section_headings=section_headings(sections, sentence_section),
    )


def with_embeddings(documents: list[AnalysedDocument], encoder: SentenceEncoder) -> list[AnalysedDocument]:
    """The documents with every sentence embedded by the encoder (in one batch run over them all)."""
    vectors = encoder.encode([doc.sentence_text(i) for doc in documents for i in range(len(doc.sentences))])
    out, row = [], 0
    for doc in documents:
        rows = SentenceVectors.of(vectors[row:row + len(doc.sentences)])
        row += len(doc.sentences)
        out.append(dataclasses.replace(doc, embeddings=rows, embedded_by=encoder.identity))
    return out
