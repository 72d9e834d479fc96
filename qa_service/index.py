"""The index: passages of consecutive sentences, their BM25 (Okapi) weights, and candidates for a query.

Scoring is rank_bm25.BM25Okapi's, term for term (same k1, b, epsilon and idf); the speed comes from an
inverted index, so a query only touches passages that share a term with it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from .analysis import is_stop_word, stem, stem_variants, terms, words
from .documents import Document
from .meaning import SentenceEncoder
from .sentences import Paragraph, Section, Sentence, outline, split_sentences

PASSAGE_SENTENCES = 3  # sentences per passage window
PASSAGE_STRIDE = 1  # so every sentence is seen with the sentence before and the one after it
K1, B, EPSILON = 1.5, 0.75, 0.25  # rank_bm25.BM25Okapi's defaults


@dataclass(frozen=True)
class Passage:
    """A window of consecutive sentences within one paragraph of one document."""

    id: int
    document: int  # position of the document in Index.documents
    first: int  # first sentence, index into that document's sentences
    last: int  # last sentence, inclusive


@dataclass
class AnalysedDocument:
    """A document split into paragraphs, sentences (with their terms) and passage windows. Built once per version."""

    document: Document
    paragraphs: list[Paragraph]
    sentences: list[Sentence]
    sentence_terms: list[tuple[str, ...]]
    windows: list[tuple[int, int]]
    surface_words: Counter
    aliases: list[tuple[tuple[str, ...], tuple[str, ...]]]
    sentence_frequency: Counter  # term -> number of this document's sentences holding it
    # For each sentence, the heading sentence of the innermost section holding it (section_headings() of the two
    # fields below), -1 for none: a heading's words say what the sentences under it are about.
    section_headings: np.ndarray
    # One unit vector per sentence (float16: half the memory, and cosines stay within 0.001) and the model that
    # made them (meaning.SentenceEncoder.identity); None until the corpus is embedded, or with QA_SEMANTIC=off.
    embeddings: np.ndarray | None = None
    embedded_by: str = ""
    # The document's sections (sentences.Section: heading path, heading sentence, FAQ question or not) and, per
    # sentence, the index of the innermost section holding it, -1 for none (sentences.outline); per sentence, the
    # page it starts on (from 1) for a paged format (PDF), else None. Arrays: one small number per sentence.
    sections: tuple[Section, ...] = ()
    sentence_section: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    sentence_page: np.ndarray | None = None
    # What ranking learns of a sentence's form on first need (it does not depend on the question), kept here so
    # that it is worked out once per sentence rather than once per question.
    traits: dict = field(default_factory=dict, compare=False, repr=False)

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


def passage_windows(sentences: list[Sentence]) -> list[tuple[int, int]]:
    """Windows of PASSAGE_SENTENCES sentences, moved PASSAGE_STRIDE at a time, never crossing a paragraph."""
    windows = []
    i = 0
    while i < len(sentences):
        j = i
        while j + 1 < len(sentences) and sentences[j + 1].paragraph == sentences[i].paragraph:
            j += 1
        # sentences i..j form one paragraph
        if j - i + 1 <= PASSAGE_SENTENCES:
            windows.append((i, j))
        else:
            for first in range(i, j - PASSAGE_SENTENCES + 2, PASSAGE_STRIDE):
                windows.append((first, first + PASSAGE_SENTENCES - 1))
        i = j + 1
    return windows


# "levetiracetam (Keppra)", "Keppra, also known as levetiracetam", "sold under the brand name Keppra":
# the corpus itself says which names mean the same thing.
_NAME = r"[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,3}"
_ALIAS_PATTERNS = [
    re.compile(rf"\b({_NAME})\s*\(\s*([A-Za-z][\w-]*(?:\s+[\w-]+){{0,3}})\s*\)"),
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


def section_openers(doc: AnalysedDocument, heading: int, count: int = 2) -> list[int]:
    """The first `count` sentences under a heading that are not headings themselves."""
    out = []
    for i in range(heading + 1, len(doc.sentences)):
        if doc.section_headings[i] != heading or len(out) == count:
            break
        if not doc.sentences[i].heading:
            out.append(i)
    return out


def analyse(document: Document) -> AnalysedDocument:
    paras, sentences = split_sentences(document.text, document.headings)
    sections, sentence_section = outline(document.text, paras, sentences, document.headings, document.title)
    sentence_page = None
    if document.page_starts:
        starts = np.fromiter((s.start for s in sentences), dtype=np.int64, count=len(sentences))
        sentence_page = np.searchsorted(np.array(document.page_starts), starts, side="right").astype(np.int32)
    sentence_terms = [tuple(terms(document.text[s.start:s.end])) for s in sentences]
    surface = Counter(w for w in words(document.text) if not is_stop_word(w) and w.isalpha())
    return AnalysedDocument(
        document=document,
        paragraphs=paras,
        sentences=sentences,
        sentence_terms=sentence_terms,
        windows=passage_windows(sentences),
        surface_words=surface,
        aliases=find_aliases(document.text),
        sentence_frequency=Counter(t for ts in sentence_terms for t in set(ts)),
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
        rows = vectors[row:row + len(doc.sentences)].astype(np.float16)
        row += len(doc.sentences)
        out.append(dataclasses.replace(doc, embeddings=rows, embedded_by=encoder.identity))
    return out


@dataclass
class Index:
    """An immutable BM25 index over the passages of a set of analysed documents."""

    documents: list[AnalysedDocument]
    passages: list[Passage]
    passage_document: np.ndarray
    postings: Mapping[str, tuple[np.ndarray, np.ndarray]]  # term -> (passage ids, BM25 term weights)
    idf: dict[str, float]
    document_frequency: dict[str, int]
    average_idf: float
    avgdl: float
    vocabulary: dict[str, str]  # surface word -> its stem
    aliases: dict[str, list[tuple[str, ...]]]
    variants: dict[str, tuple[str, ...]]  # stem -> stems one short ending away (analysis.stem_variants)
    sentence_frequency: Counter
    sentence_count: int
    position: dict[str, int] = field(default_factory=dict)
    # Every sentence's unit vector, documents in order (row sentence_base[d] + i is sentence i of document d), when
    # every document was embedded by the same model (`meaning`); else None, and answers use words alone.
    vectors: np.ndarray | None = None
    sentence_base: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    meaning: str = ""
    # One-deletion variants of the vocabulary, for spelling correction: built by questions.spelling_table on the
    # first unknown word, since most questions never need it.
    spelling: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, documents: list[AnalysedDocument]) -> Index:
        terms_seen, term_numbers, sentence_start = _numbered_terms(documents)
        passages, passage_document, token_start, passage_length = _passages(documents, sentence_start)
        n = len(passages)
        avgdl = float(passage_length.sum() / n) if n else 0.0
        term_list, term_of, passage_of, tf = _term_passage_counts(terms_seen, term_numbers, token_start,
                                                                   passage_length)
        df_counts = np.bincount(term_of, minlength=len(term_list))
        df = dict(zip(term_list, df_counts.tolist(), strict=True))
        idf, average_idf = okapi_idf(df, n)
        dl = passage_length[passage_of].astype(np.float64)
        postings = _PostingLists(
            rows=dict(zip(term_list, range(len(term_list)), strict=True)),
            bounds=np.concatenate(([0], np.cumsum(df_counts))),
            passages=passage_of.astype(np.int32),
            weights=tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl)),
        )

        # Each distinct word is stemmed once, not once per document holding it.
        vocabulary = dict.fromkeys(chain.from_iterable(doc.surface_words for doc in documents), "")
        for word in vocabulary:
            vocabulary[word] = stem(word)
        aliases: dict[str, list[tuple[str, ...]]] = {}
        sentence_count = 0
        sentence_frequency: Counter = Counter()
        for doc in documents:
            sentence_frequency.update(doc.sentence_frequency)
            for a, b in doc.aliases:
                for x, y in ((a, b), (b, a)):
                    for term in x:
                        if y not in aliases.setdefault(term, []):
                            aliases[term].append(y)
            sentence_count += len(doc.sentence_terms)
        return cls(
            documents=documents,
            passages=passages,
            passage_document=passage_document,
            postings=postings,
            idf=idf,
            document_frequency=df,
            average_idf=average_idf,
            avgdl=avgdl,
            vocabulary=vocabulary,
            aliases=aliases,
            variants=stem_variants(term_list),
            sentence_frequency=sentence_frequency,
            sentence_count=sentence_count,
            position={doc.document.id: i for i, doc in enumerate(documents)},
            **sentence_vectors(documents),
        )

    @property
    def passage_count(self) -> int:
        return len(self.passages)

    def nearest(self, vector: np.ndarray, documents: list[str] | None = None, k: int = 10
                ) -> list[tuple[int, int, float]]:
        """The k sentences closest in meaning to a unit vector: (document position, sentence, cosine), best first."""
        if self.vectors is None or not len(self.vectors):
            return []
        cosines = self.vectors @ vector
        if documents is not None:
            allowed = np.zeros(len(cosines), dtype=bool)
            for d in documents:
                position = self.position.get(d)
                if position is not None:
                    allowed[self.sentence_base[position]:self.sentence_base[position + 1]] = True
            cosines = np.where(allowed, cosines, -np.inf)
        k = min(k, len(cosines))
        top = np.argpartition(-cosines, k - 1)[:k]
        top = top[np.lexsort((top, -cosines[top]))]
        top = top[np.isfinite(cosines[top])]
        positions = np.searchsorted(self.sentence_base, top, side="right") - 1
        return [(int(d), int(row - self.sentence_base[d]), float(cosines[row]))
                for d, row in zip(positions.tolist(), top.tolist(), strict=True)]

    def passage_around(self, document: int, sentence: int) -> Passage:
        """The passage window that best frames a sentence: the one centred on it, else the first holding it."""
        first = int(np.searchsorted(self.passage_document, document))
        windows = self.documents[document].windows
        holding = [j for j, (a, b) in enumerate(windows) if a <= sentence <= b]
        centred = [j for j in holding if windows[j][0] == sentence - 1]
        return self.passages[first + (centred or holding)[0]]

    def search(self, query: dict[str, float], documents: list[str] | None = None, k: int = 10,
               scores: np.ndarray | None = None) -> list[tuple[Passage, float]]:
        """The k best passages for weighted query terms (weight 1 for every term is BM25Okapi.get_scores); `scores`
        are this query's passage scores when the caller has them already."""
        scores = self.scores(query) if scores is None else scores
        touched = np.flatnonzero(scores > 0)
        if documents is not None:
            allowed = np.zeros(len(self.documents), dtype=bool)
            allowed[[self.position[d] for d in documents if d in self.position]] = True
            touched = touched[allowed[self.passage_document[touched]]]
        top = touched[np.argpartition(-scores[touched], k - 1)[:k]] if touched.size > k else touched
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.passages[i], float(scores[i])) for i in top]

    def scores(self, query: dict[str, float]) -> np.ndarray:
        """Every passage's score: the sum over query terms of weight * idf * the term's BM25 weight there."""
        rows, bounds = self.postings.rows, self.postings.bounds
        passages, contributions = [], []
        for term, weight in query.items():
            row = rows.get(term)
            if row is not None:
                start, end = bounds[row], bounds[row + 1]
                passages.append(self.postings.passages[start:end])
                contributions.append((self.idf[term] * weight) * self.postings.weights[start:end])
        if not passages:
            return np.zeros(len(self.passages))
        # bincount adds each passage's contributions in query order, as BM25Okapi.get_scores does term by term.
        return np.bincount(np.concatenate(passages), np.concatenate(contributions), minlength=len(self.passages))


# The fields of Index that sentence_vectors derives from its documents' embeddings.
VECTOR_FIELDS = ("vectors", "sentence_base", "meaning")


def sentence_vectors(documents: list[AnalysedDocument]) -> dict:
    """The VECTOR_FIELDS of an index of these documents: all their sentence vectors in one matrix when every
    document has them from one model."""
    base = np.concatenate(([0], np.cumsum([len(doc.sentences) for doc in documents], dtype=np.int64)))
    models = {doc.embedded_by for doc in documents}
    if len(models) != 1 or "" in models or any(doc.embeddings is None for doc in documents):
        return {"sentence_base": base}
    vectors = np.vstack([doc.embeddings for doc in documents]).astype(np.float32) if documents else None
    return {"vectors": vectors, "sentence_base": base, "meaning": models.pop()}


def okapi_idf(document_frequency: dict[str, int], corpus_size: int) -> tuple[dict[str, float], float]:
    """rank_bm25.BM25Okapi._calc_idf: log((N - n + 0.5) / (n + 0.5)), negative values floored at epsilon * mean."""
    idf = {}
    idf_sum = 0.0
    negative = []
    for word, freq in document_frequency.items():
        value = math.log(corpus_size - freq + 0.5) - math.log(freq + 0.5)
        idf[word] = value
        idf_sum += value
        if value < 0:
            negative.append(word)
    average = idf_sum / len(idf) if idf else 0.0
    eps = EPSILON * average
    for word in negative:
        idf[word] = eps
    return idf, average


@dataclass(frozen=True, eq=False)
class _PostingLists(Mapping):
    """Each term's passages and BM25 term weights, as slices of arrays shared by all terms (term, then passage).

    A handful of arrays for the whole corpus rather than two per term: a large vocabulary costs little memory,
    and a saved index loads as a few blocks of bytes (see snapshots.py).
    """

    rows: dict[str, int]  # term -> its row
    bounds: np.ndarray  # row r is passages[bounds[r]:bounds[r + 1]]
    passages: np.ndarray
    weights: np.ndarray

    def __getitem__(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        row = self.rows[term]
        start, end = self.bounds[row], self.bounds[row + 1]
        return self.passages[start:end], self.weights[start:end]

    def __contains__(self, term: object) -> bool:
        return term in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _numbered_terms(documents: list[AnalysedDocument]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct terms, every sentence's terms as term numbers in one array, and where each sentence starts.

    Each term string is hashed here and never again: everything after works on arrays of numbers.
    """
    flat = list(chain.from_iterable(chain.from_iterable(doc.sentence_terms for doc in documents)))
    numbers = dict.fromkeys(flat, 0)
    for number, term in enumerate(numbers):
        numbers[term] = number
    term_numbers = np.fromiter(map(numbers.__getitem__, flat), dtype=np.int64, count=len(flat))
    lengths = np.fromiter((len(ts) for doc in documents for ts in doc.sentence_terms), dtype=np.int64)
    return list(numbers), term_numbers, np.concatenate(([0], np.cumsum(lengths)))


def _passages(documents: list[AnalysedDocument], sentence_start: np.ndarray
              ) -> tuple[list[Passage], np.ndarray, np.ndarray, np.ndarray]:
    """One passage per window; the document of each, and where its terms start and how many there are."""
    passages: list[Passage] = []
    first_sentence: list[int] = []
    last_sentence: list[int] = []
    offset = 0
    for d_index, doc in enumerate(documents):
        for first, last in doc.windows:
            passages.append(Passage(len(passages), d_index, first, last))
            first_sentence.append(offset + first)
            last_sentence.append(offset + last)
        offset += len(doc.sentence_terms)
    passage_document = np.repeat(np.arange(len(documents), dtype=np.int32),
                                 np.array([len(doc.windows) for doc in documents], dtype=np.int64))
    token_start = sentence_start[np.array(first_sentence, dtype=np.int64)]
    passage_length = sentence_start[np.array(last_sentence, dtype=np.int64) + 1] - token_start
    return passages, passage_document, token_start, passage_length


def _term_passage_counts(terms_seen: list[str], term_numbers: np.ndarray, token_start: np.ndarray,
                         passage_length: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The terms in the order BM25Okapi meets them, and every (term, passage) pair with its count, by term.

    BM25Okapi's dictionaries hold terms in the order it first meets them reading passage after passage; keeping
    that order makes the average idf (a float sum over it) come out the same to the last bit.
    """
    n = len(passage_length)
    total = int(passage_length.sum())
    stream_passage = np.repeat(np.arange(n, dtype=np.int64), passage_length)
    stream_position = np.arange(total, dtype=np.int64)
    passage_offset = np.cumsum(passage_length) - passage_length
    stream_term = term_numbers[stream_position + np.repeat(token_start - passage_offset, passage_length)]
    first_met = np.full(len(terms_seen), total, dtype=np.int64)
    np.minimum.at(first_met, stream_term, stream_position)
    met = int(np.count_nonzero(first_met < total))
    order = np.argsort(first_met, kind="stable")[:met]
    renumbered = np.empty(len(terms_seen), dtype=np.int64)
    renumbered[order] = np.arange(met)
    width = max(n, 1)
    pairs = np.sort(renumbered[stream_term] * width + stream_passage)
    run_start = np.flatnonzero(np.diff(pairs, prepend=-1))
    counts = np.diff(np.append(run_start, total)).astype(np.float64)
    pairs = pairs[run_start]
    return [terms_seen[i] for i in order.tolist()], pairs // width, pairs % width, counts
