"""Ranking: which candidate sentence answers, and whether any does, from features of each sentence.

Features are named (FEATURES, DECLINE_FEATURES) and weighed by a `model.RankingModel`, whose weights
`scripts/fit_ranking.py` fits and writes. Every feature is a share, a rank, a cosine or a flag, so the weights do
not depend on the size or the word statistics of a corpus.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterator, Set
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .analysis import ANTONYMS, NOT_A_NAME, stem, words
from .document_analysis import PLAIN_WORD, AnalysedDocument, SentenceTraits, section_openers
from .index import Index, Passage
from .model import MODELS_FILE, RankingModel, read_models
from .passage_scores import PassageScores
from .questions import Query

FEATURES = (
    "held",  # idf-weighted share of the query's terms that the sentence holds (with the one it leans on)
    "held_count",  # share of the query's distinct terms it holds, unweighted
    "passage",  # its best passage's BM25 score over the top passage's
    "passage_rank",  # 1 / (1 + rank of its best passage)
    "neighbour",  # the most the sentence before or after it holds
    "bigrams",  # share of the question's adjacent term pairs that stand adjacent in the sentence too
    "exact",  # share of the question's words found unstemmed
    "kind_match",  # the question asks for a number, date, name... and the sentence has one it did not say
    "kind_missing",  # it asks for one and the sentence has none
    "new_terms",  # share of the sentence's terms that the question does not use: where an answer lies
    "heading",
    "fragment",  # under four words, or opening in lower case (but for a lower-case name): a piece of a sentence
    "apparatus",  # a caption, a reference-list entry, or a pointer elsewhere ("See Section 4.")
    "length",  # log of its length over 150 characters
    "first",  # it opens its paragraph
    "dependent",  # it opens by pointing back ("It", "This", "However")
    "cosine",  # the cosine of its embedding and the question's (0 when the index has no embeddings)
    "cosine_gap",  # how far its cosine falls short of the closest candidate's
    "context_cosine",  # the cosine of the question and the mean of the sentence's and its neighbours' embeddings
    "context_gap",  # how far that falls short of the closest candidate's
    "heading_held",  # idf-weighted share of the query's terms that the heading it stands under holds
    "heading_cosine",  # the cosine of the question and that heading
    "faq_reply",  # it opens the reply under a heading that asks a question (a FAQ entry): the answer comes first
    "reading",  # the cross-encoder's logit for the question and the sentence in its place (0 when not read)
)

_HEADING, _FRAGMENT, _APPARATUS = FEATURES.index("heading"), FEATURES.index("fragment"), FEATURES.index("apparatus")
READING = FEATURES.index("reading")
FAQ_REPLY = FEATURES.index("faq_reply")

DECLINE_FEATURES = (
    "bias",
    "covered",  # idf-weighted share of the question's own terms in the best sentence's passage
    "sentence_covered",  # the same within the best sentence (with the one it leans on)
    "unknown",  # idf-weighted share of the question's words the corpus never uses
    "missing_rarest",  # idf of the rarest question term the passage lacks, over the question's rarest term
    "top",  # the best sentence's ranking score
    "margin",  # how far it leads the second
    "terms",  # log of the number of the question's own terms
    "names_missing",  # share of the question's capitalised names that the passage does not hold
    "number_missing",  # the question holds a number that the passage does not
    "negation_unmatched",  # the question is negated ("not", "never", "no") and the passage is not
    "span_missing_rarest",  # idf of the rarest question term missing from the sentence and its neighbours, over all
    "span_missing",  # idf share of the question's terms missing from the sentence and its neighbours
    "passage_missing",  # how many of the question's terms the passage lacks
    "kind_missing",  # it asks for a number, date or name, and the best sentence has none
    "kind_match",  # ... and the best sentence has one
    "held",  # the best sentence's idf-weighted share of all the query's terms
    "negation_unmatched_sentence",  # the question is negated and the best sentence is not
    "quantity_missing",  # a quantity the question names (digits or words) that the sentence and its neighbours lack
    "names_missing_sentence",  # share of the question's capitalised names that the best sentence does not hold
    "missing_from_document",  # idf share of the question's terms that its whole document lacks too (a word missing
    # here that the document uses elsewhere is the mark of a swapped name; one it never uses is less telling)
    "antonym",  # a question term the sentence and its neighbours lack has its opposite there ("win" for "lose")
    "best_cosine",  # the highest cosine of the question with any sentence searched
    "quoted_cosine",  # the cosine of the question with the best candidate
    "quoted_context_cosine",  # ... and with the best candidate read with its neighbours
    "quoted_heading_cosine",  # ... and with the heading the best candidate stands under (0 without one)
    "unknown_away",  # how far the question's words the corpus never uses take it from the best candidate
)
_UNKNOWN, _COVERED = DECLINE_FEATURES.index("unknown"), DECLINE_FEATURES.index("covered")
# The shipped models by name ("words", "meaning", "reading"), checked against the feature names above when loaded.
MODELS = read_models(MODELS_FILE, FEATURES, DECLINE_FEATURES)
PAIR_CHARS = 350  # two adjacent sentences quoted together stay within this
# A heading that matches brings this many of the sentences under it as candidates: a FAQ's reply often gives its
# answer a few sentences in ("Take a look at the file… The third field indicates…"), after its own passage.
# Chosen among 2, 6 and 12 by the reading fit's mean raw hit@1; only the Debian FAQ moved, so with it held out the
# other sets tie and could not confirm the choice (README "Under a matching heading").
SECTION_CANDIDATES = 6
_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
                 "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|"
                 "million|billion|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|half|quarter|"
                 "dozen|once|twice")
_QUANTITY = re.compile(rf"\d+(?:[.,]\d+)*|\b(?:{_NUMBER_WORDS})\b", re.I)
_SCALE = re.compile(r"\bhow\s+(\w+)", re.I)
_NEGATION = re.compile(r"\b(?:not|never|no|none|nor|without)\b|n['’]t\b", re.I)
_QUESTION_NAME = re.compile(rf"(?<!^)\b{NOT_A_NAME}[A-Z][\w'’-]+")
# A short form the question defines in brackets after its long form ("acute respiratory infections (ARTI)",
# "Chloroquine(CQ)"): the long form already stands in the question, and a source need not use the short one.
_DEFINED = re.compile(r"(?<=\w)\s*\(([^\s()]*[A-Z][^\s()]*)\)")
# A number of the question's own, not a part of a name ("COVID-19", "H1N1", "2019-nCoV", "R0"); ordinals and
# decades ("11th", "1600s") count. A source's numbers are all counted, names or not.
_STANDALONE_NUMBER = re.compile(r"(?<!\w)(?<![^\W\d_]-)\d+(?:[.,]\d+)*(?=(?:st|nd|rd|th|s)?\b)(?!-[^\W\d_])")
_QUESTION_QUANTITY = re.compile(rf"{_STANDALONE_NUMBER.pattern}|\b(?:{_NUMBER_WORDS})\b", re.I)


@dataclass
class Candidate:
    """A sentence that might answer, with the passage that brought it and its features."""

    doc: AnalysedDocument
    sentence: int
    passage: Passage
    passage_score: float
    passage_rank: int
    features: np.ndarray | None = None
    score: float = 0.0
    # The part of `score` that the model's `after_reading` weights added once the cross-encoder read it: which of the
    # candidates read comes first, not how relevant it is (answering compares second quotes without it).
    after_reading: float = 0.0
    next_held: float = 0.0  # what the sentence after it (in the same paragraph) holds of the question
    cosine: float = 0.0  # how close its meaning is to the question's (0 without embeddings)

    @property
    def text(self) -> str:
        return self.doc.sentence_text(self.sentence)

    @cached_property
    def terms(self) -> tuple[str, ...]:
        return self.doc.sentence_terms[self.sentence]

    @property
    def is_heading(self) -> bool:
        return bool(self.features[_HEADING])

    @property
    def is_prose(self) -> bool:
        """A real sentence: not a heading, caption, reference entry or fragment."""
        f = self.features
        return not (f[_HEADING] or f[_APPARATUS] or f[_FRAGMENT])


def holds_kind(kind: str | None, sentence: SentenceTraits, question_words: set[str]) -> bool:
    """Whether the sentence holds the kind of answer asked for, beyond what the question itself says."""
    if kind is None:
        return False
    if kind in ("person", "place"):
        return any(any(part not in question_words for part in name) for name in sentence.names)
    return kind in sentence.kinds


def scope_idf(query: Query, index: Index, documents: list[str] | None) -> dict[str, float]:
    """Sentence-level idf of the query's terms within the documents searched.

    A document's own subject ("Normans" in an article about them) is in most of its sentences: it tells the
    sentences of that document apart far less than the corpus-wide passage idf says.
    """
    if documents:
        docs = [index.documents[index.position[d]] for d in documents if d in index.position]
        n = sum(len(d.sentences) for d in docs)
        frequency = {t: sum(d.sentence_frequency.get(t, 0) for d in docs) for t in query.terms}
    else:
        n = index.sentence_count
        frequency = {t: index.sentence_frequency.get(t, 0) for t in query.terms}
    return {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}


def leaned_on(doc: AnalysedDocument, i: int) -> int:
    """The first sentence of what sentence i leans on, which it is quoted, and so judged, with: the sentence whose
    colon introduced the list that i is part of ("We accept these payment methods:" for "PayPal"); when it opens
    by pointing back ("It", "This", "However"), the sentence before it in its paragraph, or the sentence whose colon
    introduced the piece set just before its paragraph ("…, just add the user to the group, i.e. do:" "adduser user
    group" "This way you won't have to change the file permissions."); i itself when it points back to nothing
    there, or when they would not fit in one quote (PAIR_CHARS). A table's row leans on nothing: its table's
    column heads are read with it wherever it stands (`table_head`), as a heading is."""
    if i == 0 or doc.is_row(i):
        return i
    paragraph = doc.sentences.column("paragraph")
    opener = list_opener(doc, i)
    if opener is not None:
        first = opener
    elif not doc.opens_by_pointing_back(i):
        return i
    elif paragraph[i - 1] == paragraph[i]:
        first = i - 1
    elif (i >= 2 and paragraph[i - 2] != paragraph[i - 1] and introduces(doc, i - 2)
          and doc.sentence_section[i - 1] == doc.sentence_section[i]):
        first = i - 2
    else:
        return i
    return first if doc.sentences.column("end")[i] - doc.sentences.column("start")[first] <= PAIR_CHARS else i


def table_of(doc: AnalysedDocument, i: int) -> tuple[int, int] | None:
    """The first and last rows of the table that sentence i is a row of (a table is one paragraph, a row a
    sentence: documents.ROW_BREAK), or None when i is no row."""
    if not doc.is_row(i):
        return None
    paragraph = doc.paragraphs[doc.sentences[i].paragraph]
    starts = doc.sentences.column("start")
    return bisect_left(starts, paragraph.start), bisect_left(starts, paragraph.end) - 1


def table_head(doc: AnalysedDocument, i: int) -> int | None:
    """The first row of the table that sentence i is a lower row of (its column heads, "Plan Monthly Yearly" above
    "Team 12 euros 120 euros"), or None when i is no row or is that first row."""
    table = table_of(doc, i)
    return table[0] if table is not None and table[0] < i else None


# How far back a list's item looks for the sentence whose colon introduced its list (in sentences).
LIST_REACH = 12


def list_opener(doc: AnalysedDocument, i: int) -> int | None:
    """The sentence whose colon introduced the list that sentence i is an item of (`introduced`): the nearest
    sentence ending in a colon before it in its section, within LIST_REACH; None when i stands in no list's item.
    Asked of every candidate, most of which stand in none: that is asked first, and the walk back reads columns."""
    if not (doc.list_depth(i) or doc.opens_item(i)):
        return None
    section, headings = doc.sentence_section, doc.sentences.column("heading")
    for k in range(i - 1, max(-1, i - 1 - LIST_REACH), -1):
        if section[k] != section[i] or headings[k]:
            return None
        if _ends_in_colon(doc, k):
            return k if any(end >= i for end in introduced(doc, k)) else None
    return None


def _ends_in_colon(doc: AnalysedDocument, i: int) -> bool:
    """Whether sentence i ends with a colon (read from the columns: asked of many sentences on the hot path)."""
    start, end = doc.sentences.column("start")[i], doc.sentences.column("end")[i]
    return doc.document.text[start:end].rstrip().endswith(":")


def introduces(doc: AnalysedDocument, i: int) -> bool:
    """Sentence i ends with a colon, and the next one is what it introduces: the rest of its paragraph, or a piece
    (a command, a list's item) set as a paragraph of its own in the same section, as FAQs set commands, a list's
    item, whole sentence as it may be, or a table; any other whole sentence there is not what the colon introduced
    (a text whose list was lost)."""
    if i + 1 >= len(doc.sentences) or not _ends_in_colon(doc, i):
        return False
    if i + 1 in neighbours(doc, i):
        return True
    return ((is_piece(doc, i + 1) or is_item(doc, i + 1, _depth(doc, i)) or doc.is_row(i + 1))
            and doc.sentence_section[i] == doc.sentence_section[i + 1])


def _depth(doc: AnalysedDocument, i: int) -> int:
    """How deep in lists sentence i stands: an item of its list introduces only a list deeper than that (a
    sentence ending in a colon inside an item of a numbered list, "Replace such code by:", does not introduce the
    next item of that list)."""
    return max(doc.list_depth(i), doc.opens_item(i))


def introduced(doc: AnalysedDocument, i: int) -> Iterator[int]:
    """The last sentence of each element of what sentence i's colon introduces, in order: the next sentence of its
    paragraph; or a list: pieces, each a paragraph of its own (commands, short items), and items (a paragraph the
    source marks as a list item's, or a line opening with a list's mark) with the rest of their paragraph or line,
    in i's section. Nothing when i introduces nothing (`introduces`)."""
    if not introduces(doc, i):
        return
    paragraph = doc.sentences.column("paragraph")
    if paragraph[i + 1] == paragraph[i] and not is_item(doc, i + 1):
        yield i + 1
        return
    j, depth = i + 1, _depth(doc, i)
    while True:
        end = _element_end(doc, j)
        yield end
        j = end + 1
        if not (j < len(paragraph) and doc.sentence_section[j] == doc.sentence_section[i]
                and (is_item(doc, j, depth) or paragraph[j] != paragraph[end] and is_piece(doc, j))):
            return


def _element_end(doc: AnalysedDocument, j: int) -> int:
    """The last sentence of the list's element that sentence j opens: a table's row, its table's last row; a piece
    is itself; an item goes on to the end of its paragraph, or to the next line that opens an item there (a plain
    text's list is one paragraph)."""
    table = table_of(doc, j)
    if table is not None:
        return table[1]
    if not is_item(doc, j):
        return j
    paragraph = doc.sentences.column("paragraph")
    last = j
    while last + 1 < len(paragraph) and paragraph[last + 1] == paragraph[j] and not doc.opens_item(last + 1):
        last += 1
    return last


def is_piece(doc: AnalysedDocument, i: int) -> bool:
    """Sentence i is a piece, not a whole sentence nor a heading: a command, a list's item, a fragment."""
    traits = doc.traits(i)
    return traits.fragment and not traits.heading


def is_item(doc: AnalysedDocument, i: int, deeper_than: int = 0) -> bool:
    """Sentence i opens a list's item (AnalysedDocument.opens_item) deeper in lists than `deeper_than`, and is no
    heading."""
    return doc.opens_item(i) > deeper_than and not doc.sentences[i].heading


def quoted_terms(doc: AnalysedDocument, i: int) -> set[str]:
    """The terms of what quoting sentence i shows the reader: the sentence, with what it leans on, or a table's row
    with its table's column heads."""
    head = table_head(doc, i)
    terms: set[str] = set(doc.sentence_terms[head]) if head is not None else set()
    for j in range(leaned_on(doc, i), i + 1):
        terms.update(doc.sentence_terms[j])
    return terms


def judged_alone(doc: AnalysedDocument, i: int) -> bool:
    """Whether sentence i is judged on its own terms only: it leans on nothing and is no row under column heads."""
    return leaned_on(doc, i) == i and table_head(doc, i) is None


def neighbours(doc: AnalysedDocument, i: int) -> list[int]:
    """The sentences just before and after sentence i that stand in the same paragraph."""
    paragraph = doc.sentences.column("paragraph")
    return [j for j in (i - 1, i + 1) if 0 <= j < len(paragraph) and paragraph[j] == paragraph[i]]


@dataclass(frozen=True)
class TermMatch:
    """What holds one query term: the term or a variant of its stem (`forms`), or every term of a name the corpus
    gives as its alias (`aliases`). Looked up once per question, then tried against many candidate sentences."""

    forms: frozenset[str]
    aliases: tuple[frozenset[str], ...]
    alias_words: frozenset[str]  # every word of the aliases: a set holding none of them holds no alias

    @classmethod
    def of(cls, term: str, index: Index, asked: Set[str] | None = None) -> TermMatch:
        """The match of a term asked among `asked` (the term alone if not given): its aliases are those whose whole
        name was asked (Index.aliases_of)."""
        aliases = tuple(frozenset(alias) for alias in index.aliases_of(term, {term} if asked is None else asked))
        return cls(frozenset((term, *index.variants.get(term, ()))), aliases, frozenset().union(*aliases))

    def held_by(self, terms: Set[str]) -> bool:
        # An alias is never empty (document_analysis.find_aliases), so one held shares a word with alias_words; a
        # common term of a large corpus has many aliases, which most sentences share no word with.
        return not terms.isdisjoint(self.forms) or (
            not terms.isdisjoint(self.alias_words) and any(alias <= terms for alias in self.aliases))


class HeldShare:
    """The share of the weighted idf mass of some query terms that a set of terms holds (a name counts as held when
    its alias is), with each term's weight and match worked out once per question rather than once per sentence."""

    def __init__(self, weights: dict[str, float], idf: dict[str, float], index: Index):
        asked = set(weights)
        self.matches = {term: TermMatch.of(term, index, asked) for term in weights}  # for other checks too
        self._parts = [(weight * idf.get(term, 0.0), self.matches[term]) for term, weight in weights.items()]
        total = 0.0
        for value, _ in self._parts:  # summed in the order of the weights, as every caller always has
            total += value
        self._total = total

    def of(self, terms: set[str]) -> float:
        if not self._total:
            return 0.0
        held = 0.0
        for value, match in self._parts:
            if match.held_by(terms):
                held += value
        return held / self._total


def candidates(hits: list[tuple[Passage, float]], index: Index, close: list[tuple[int, int, float]] = (),
               passage_scores: PassageScores | None = None) -> list[Candidate]:
    """Every sentence of the retrieved passages, each with the best passage it appears in; then the sentences
    closest in meaning (`close`, from Index.nearest) that no retrieved passage holds, each with the passage centred
    on it, ranked after the retrieved ones."""
    found: dict[tuple[int, int], Candidate] = {}
    for rank, (passage, score) in enumerate(hits):
        doc = index.documents[passage.document]
        for i in range(passage.first, passage.last + 1):
            key = (passage.document, i)
            if key not in found:
                found[key] = Candidate(doc, i, passage, score, rank)

    def add_framed(document: int, i: int, rank: int) -> None:
        """Add sentence i of a document, with the passage centred on it, unless it is a candidate already."""
        if (document, i) not in found:
            passage = index.passage_around(document, i)
            score = passage_scores.of(passage.id) if passage_scores is not None else 0.0
            found[(document, i)] = Candidate(index.documents[document], i, passage, score, rank)

    for document, i, _ in close:
        add_framed(document, i, len(hits))
    # A heading that matches is answered by the sentences under it, wherever their own words or passage rank.
    for c in [c for c in found.values() if c.doc.sentences.column("heading")[c.sentence]]:
        for i in section_openers(c.doc, c.sentence, SECTION_CANDIDATES):
            add_framed(c.passage.document, i, c.passage_rank)
    return list(found.values())


def _word_pattern(wanted: set[str]) -> re.Pattern:
    """Finds any of the words as a whole word, in any case: cheaper than tokenising every candidate."""
    if not wanted:
        return re.compile(r"(?!)")
    alternatives = "|".join(re.escape(w) for w in sorted(wanted, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)


def _bigrams(sequence: list[str] | tuple[str, ...]) -> set[tuple[str, str]]:
    return set(zip(sequence, sequence[1:], strict=False))


def featurise(query: Query, found: list[Candidate], index: Index, idf: dict[str, float], top_passage: float,
              meaning: np.ndarray | None = None) -> np.ndarray:
    """Fill each candidate's feature vector (in the order of FEATURES); the vectors are the rows of the matrix
    returned. `meaning` is the question's unit vector, when the index has sentence vectors."""
    context_cosines = heading_cosines = [0.0] * len(found)
    if meaning is not None and found:
        context_cosines, heading_cosines = _cosines(found, index, meaning)
    closest = max((c.cosine for c in found), default=0.0)
    closest_context = max(context_cosines, default=0.0)
    question_bigrams = _bigrams(query.sequence)
    question_words = set(query.words)
    # A question word of word characters only stands whole in a sentence exactly when it is one of the sentence's
    # runs of word characters; the few others ("o'brien") are searched in the text.
    plain_words = {w for w in question_words if PLAIN_WORD.fullmatch(w)}
    other_words = question_words - plain_words
    other_word_pattern = _word_pattern(other_words)
    matching = query.matching
    distinct = len(matching) or 1
    matching_share = HeldShare(matching, idf, index)
    held_of: dict[tuple[int, int], float] = {}

    def held_by(doc: AnalysedDocument, i: int) -> float:
        key = (id(doc), i)
        if key not in held_of:
            held_of[key] = matching_share.of(set(doc.sentence_terms[i]))
        return held_of[key]

    asked = {w.lower() for w in re.findall(r"\w+", query.text)}
    query_terms = set(query.terms)
    rows = []
    for c, context, heading_cosine in zip(found, context_cosines, heading_cosines, strict=True):
        terms = set(c.terms)
        heading = int(c.doc.section_headings[c.sentence])
        form = index.recent_traits.of(c.doc, c.sentence)
        around = neighbours(c.doc, c.sentence)
        kind_match = holds_kind(query.kind, form, asked)
        section = int(c.doc.sentence_section[c.sentence])
        faq_reply = (section >= 0 and c.doc.sections[section].question
                     and section_openers(c.doc, heading, 1) == [c.sentence])
        c.next_held = held_by(c.doc, c.sentence + 1) if c.sentence + 1 in around else 0.0
        exact = sum(1 for w in plain_words if f" {w} " in form.runs)
        if other_words:
            exact += len({w.lower() for w in other_word_pattern.findall(c.text)})
        rows.append((
            held_by(c.doc, c.sentence) if judged_alone(c.doc, c.sentence)
            else matching_share.of(quoted_terms(c.doc, c.sentence)),
            sum(1 for t in matching if t in terms) / distinct,
            c.passage_score / top_passage if top_passage else 0.0,
            1.0 / (1 + c.passage_rank),
            max((held_by(c.doc, j) for j in around), default=0.0),
            (len(question_bigrams & _bigrams(c.terms)) / len(question_bigrams)) if question_bigrams else 0.0,
            exact / len(question_words) if question_words else 0.0,
            1.0 if kind_match else 0.0,
            1.0 if query.kind and not kind_match else 0.0,
            (len(terms - query_terms) / len(terms)) if terms else 0.0,
            1.0 if form.heading else 0.0,
            1.0 if form.fragment else 0.0,
            1.0 if form.apparatus else 0.0,
            form.length,
            1.0 if form.first else 0.0,
            1.0 if form.dependent else 0.0,
            c.cosine,
            c.cosine - closest,
            context,
            context - closest_context,
            held_by(c.doc, heading) if heading >= 0 else 0.0,
            heading_cosine,
            1.0 if faq_reply else 0.0,
            0.0,  # reading: set by answering.reread for the few candidates the cross-encoder reads
        ))
    matrix = np.array(rows, dtype=float).reshape(len(rows), len(FEATURES))
    for c, row in zip(found, matrix, strict=True):
        c.features = row
    return matrix


def _cosines(found: list[Candidate], index: Index, meaning: np.ndarray) -> tuple[list[float], list[float]]:
    """Set each candidate's cosine with the question; return the cosine of its context (it and its neighbours in
    the paragraph, their vectors averaged: a sentence's meaning often rests on the one before or after it) and of
    the heading it stands under (0 without one)."""
    rows, headings, context_starts, context_rows = [], [], [], []
    for c in found:
        base = index.sentence_base[c.passage.document]
        rows.append(base + c.sentence)
        heading = int(c.doc.section_headings[c.sentence])
        headings.append(base + heading if heading >= 0 else -1)
        context_starts.append(len(context_rows))
        context_rows.extend(base + j for j in (c.sentence, *neighbours(c.doc, c.sentence)))
    # Each candidate's rows are one run of context_rows: summed run by run (featurise calls this with candidates).
    context = np.add.reduceat(index.sentence_vectors_of(context_rows), context_starts)
    for c, cosine in zip(found, (index.sentence_vectors_of(rows) @ meaning).tolist(), strict=True):
        c.cosine = cosine
    context /= np.maximum(np.linalg.norm(context, axis=1, keepdims=True), 1e-9)
    heading_rows = np.array(headings)
    heading_cosines = np.where(heading_rows >= 0, index.sentence_vectors_of(np.maximum(heading_rows, 0)) @ meaning, 0.0)
    return (context @ meaning).tolist(), heading_cosines.tolist()


def rank(query: Query, hits: list[tuple[Passage, float]], index: Index, documents: list[str] | None,
         model: RankingModel | None = None, close: list[tuple[int, int, float]] = (), meaning: np.ndarray | None = None,
         passage_scores: PassageScores | None = None) -> tuple[list[Candidate], dict[str, float]]:
    """Candidates best first (by the words model unless another is given), with the sentence-level idf used to
    judge them."""
    model = model or MODELS["words"]
    idf = scope_idf(query, index, documents)
    found = candidates(hits, index, close, passage_scores)
    features = featurise(query, found, index, idf, hits[0][1] if hits else 0.0, meaning)
    for c, score in zip(found, (features @ model.ranker_weights).tolist(), strict=True):
        c.score = score
    found.sort(key=lambda c: (-c.score, c.passage.id, c.sentence))
    return found, idf


def decline_features(query: Query, ranked: list[Candidate], index: Index, idf: dict[str, float],
                     best_cosine: float = 0.0, without_unknown: np.ndarray | None = None) -> np.ndarray:
    """Features of the best candidate that tell an answer from a near miss (in the order of DECLINE_FEATURES).
    `without_unknown` is the unit vector of the question without the words the corpus never uses, when it has
    such words and the index has sentence vectors."""
    best = ranked[0]
    doc, i = best.doc, best.sentence
    sentences = doc.sentences
    passage_terms: set[str] = set()
    for j in range(best.passage.first, best.passage.last + 1):
        passage_terms.update(doc.sentence_terms[j])
    span = [i, *neighbours(doc, i)]
    span_terms: set[str] = set()
    for j in span:
        span_terms.update(doc.sentence_terms[j])
    passage_text = doc.document.text[sentences[best.passage.first].start:sentences[best.passage.last].end]
    span_text = doc.document.text[sentences[min(span)].start:sentences[max(span)].end]

    own_idf = {t: idf.get(t, 0.0) for t in query.own}
    total = sum(w * own_idf[t] for t, w in query.own.items()) or 1.0
    unknown = sum(w * own_idf[t] for t, w in query.own.items() if t not in index.idf) / total
    rarest = max(own_idf.values(), default=0.0) or 1.0
    own_share = HeldShare(query.own, idf, index)
    matches = own_share.matches
    missing = [own_idf[t] for t in query.own if not matches[t].held_by(passage_terms)]
    lacking = [t for t in query.own if not matches[t].held_by(span_terms)]
    # "How quickly…?" asks where on a scale the answer lies: "slowly" answers it, and is no swapped opposite.
    asked_scale = {stem(w.lower()) for w in _SCALE.findall(query.text)}
    span_missing = [own_idf[t] for t in lacking]
    text = _DEFINED.sub("", query.text)
    names = {w for name in _QUESTION_NAME.findall(text) for w in words(name)[:1]}
    # The texts are searched only for what the question names: most questions name no one and no quantity.
    name_pattern = _word_pattern(names)
    names_held = {w.lower() for w in name_pattern.findall(passage_text)} if names else set()
    sentence_names = {w.lower() for w in name_pattern.findall(best.text)} if names else set()
    numbers = [d for number in _STANDALONE_NUMBER.findall(text) for d in re.findall(r"\d+", number)]
    passage_numbers = set(re.findall(r"\d+", passage_text)) if numbers else set()
    asked_quantities = _quantities(text, _QUESTION_QUANTITY)
    document_terms = doc.sentence_frequency.keys()
    return np.array([
        1.0,
        own_share.of(passage_terms),
        own_share.of(quoted_terms(doc, i)),
        unknown,
        max(missing, default=0.0) / rarest,
        best.score,
        best.score - ranked[1].score if len(ranked) > 1 else best.score,
        math.log(1 + len(query.own)),
        (len(names - names_held) / len(names)) if names else 0.0,
        1.0 if any(n not in passage_numbers for n in numbers) else 0.0,
        1.0 if _NEGATION.search(query.text) and not _NEGATION.search(passage_text) else 0.0,
        max(span_missing, default=0.0) / total,
        sum(span_missing) / total,
        float(len(missing)),
        best.features[FEATURES.index("kind_missing")],
        best.features[FEATURES.index("kind_match")],
        best.features[FEATURES.index("held")],
        1.0 if _NEGATION.search(query.text) and not _NEGATION.search(best.text) else 0.0,
        1.0 if asked_quantities and asked_quantities - _quantities(span_text) else 0.0,
        (len(names - sentence_names) / len(names)) if names else 0.0,
        sum(query.own[t] * own_idf[t] for t in lacking if not matches[t].held_by(document_terms)) / total,
        1.0 if any(ANTONYMS.get(t, frozenset()) & span_terms for t in lacking if t not in asked_scale) else 0.0,
        best_cosine,
        best.cosine,
        best.features[FEATURES.index("context_cosine")],
        best.features[FEATURES.index("heading_cosine")],
        _unknown_away(best, index, without_unknown),
    ])


def _unknown_away(best: Candidate, index: Index, without_unknown: np.ndarray | None) -> float:
    """How much closer to the best candidate the question is without its words the corpus never uses: the cosine
    of the question without them less the question's (0 when it has none, or when they bring it closer). A name the
    text never mentions ("ibuprofen" in a leaflet on another medicine, "docker" in a FAQ that predates it) takes
    the question away from a sentence about something else. A reader's own word for the text's ("tired" for
    "fatigue") brings it closer, but so can a word merely related to the sentence ("boil" to one about watering):
    only the distance is evidence, and it only lowers the confidence."""
    if without_unknown is None:
        return 0.0
    row = index.sentence_base[best.passage.document] + best.sentence
    return max(0.0, float(index.sentence_vectors_of([row])[0] @ without_unknown) - best.cosine)


def _quantities(text: str, pattern: re.Pattern = _QUANTITY) -> set[str]:
    return {n.lower().replace(",", "") for n in pattern.findall(text)}


def answer_probability(features: np.ndarray, model: RankingModel) -> float:
    """How likely the first quote answers the question (a logistic model over DECLINE_FEATURES), capped for a
    question mostly in words the corpus never uses: past the model's max_unknown_share of its weight, whatever
    matches the rest is unlikely to be the answer, and the confidence is at most the share of the question the
    passage holds times the share the corpus knows."""
    probability = 1.0 / (1.0 + math.exp(-float(model.decline_weights @ features)))
    unknown = features[_UNKNOWN]
    if unknown > model.max_unknown_share:
        probability = min(probability, features[_COVERED] * (1 - unknown))
    return probability
