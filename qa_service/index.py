"""The index: the passage windows of analysed documents (document_analysis.py), their BM25 (Okapi) weights, the
sentences closest in meaning to a question, and the corpus words a misspelt word may stand for.

Scoring is rank_bm25.BM25Okapi's, term for term (same k1, b, epsilon and idf); the speed comes from an
inverted index, so a query only touches passages that share a term with it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain

import numpy as np

from . import vector_search
from .analysis import stem, stem_variants
from .document_analysis import AnalysedDocument
from .vector_search import Projection

K1, B, EPSILON = 1.5, 0.75, 0.25  # rank_bm25.BM25Okapi's defaults


@dataclass(frozen=True)
class Passage:
    """A window of consecutive sentences within one paragraph of one document."""

    id: int
    document: int  # position of the document in Index.documents
    first: int  # first sentence, index into that document's sentences
    last: int  # last sentence, inclusive


@dataclass
class Index:
    """An immutable BM25 index over the passages of a set of analysed documents."""

    documents: list[AnalysedDocument]
    passages: list[Passage]
    passage_document: np.ndarray
    postings: Mapping[str, tuple[np.ndarray, np.ndarray]]  # term -> (passage ids, BM25 term weights)
    idf: dict[str, float]
    document_frequency: dict[str, int]
    vocabulary: dict[str, str]  # surface word -> its stem
    aliases: dict[str, list[tuple[str, ...]]]
    variants: dict[str, tuple[str, ...]]  # stem -> stems one short ending away (analysis.stem_variants)
    sentence_frequency: Counter
    sentence_count: int
    position: dict[str, int] = field(default_factory=dict)
    # Every sentence's unit vector (float16, as the documents keep them), documents in order (row sentence_base[d] + i
    # is sentence i of document d), when every document was embedded by the same model (`meaning`); else None, and
    # answers use words alone. `projection` shortlists the nearest (vector_search.py).
    vectors: np.ndarray | None = None
    sentence_base: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    meaning: str = ""
    projection: Projection | None = None

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
        idf, _ = okapi_idf(df, n)
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

    @cached_property
    def spelling(self) -> dict[str, list[str]]:
        """Every one-deletion variant of each corpus word of three letters or more (and the word itself), to the
        words it comes from: spelling correction by symmetric deletion. Built on the first unknown word, since
        most questions never need it, and not saved in a snapshot (it is not a field)."""
        table: dict[str, list[str]] = {}
        for known in self.vocabulary:
            if len(known) >= SPELLING_MIN_LENGTH:
                for variant in deletions(known) | {known}:
                    table.setdefault(variant, []).append(known)
        return table

    def nearest(self, vector: np.ndarray, documents: list[str] | None = None, k: int = 10
                ) -> list[tuple[int, int, float]]:
        """The k sentences closest in meaning to a unit vector: (document position, sentence, cosine), best first."""
        if self.vectors is None or not len(self.vectors):
            return []
        allowed = None
        if documents is not None:
            allowed = np.zeros(len(self.vectors), dtype=bool)
            for d in documents:
                position = self.position.get(d)
                if position is not None:
                    allowed[self.sentence_base[position]:self.sentence_base[position + 1]] = True
        top, cosines = vector_search.nearest(self.vectors, self.projection, vector, allowed, k)
        positions = np.searchsorted(self.sentence_base, top, side="right") - 1
        return [(int(d), int(row - self.sentence_base[d]), float(cosine))
                for d, row, cosine in zip(positions.tolist(), top.tolist(), cosines.tolist(), strict=True)]

    def sentence_vectors_of(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """These rows of the sentence vectors, as float32."""
        return self.vectors[rows].astype(np.float32)

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


SPELLING_MIN_LENGTH = 3  # shorter corpus words are left out of Index.spelling


def deletions(word: str) -> set[str]:
    """The word with one letter left out, every way."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


# The fields of Index that sentence_vectors derives from its documents' embeddings.
VECTOR_FIELDS = ("vectors", "sentence_base", "meaning", "projection")


def sentence_vectors(documents: list[AnalysedDocument]) -> dict:
    """The VECTOR_FIELDS of an index of these documents: all their sentence vectors in one matrix when every
    document has them from one model."""
    base = np.concatenate(([0], np.cumsum([len(doc.sentences) for doc in documents], dtype=np.int64)))
    models = {doc.embedded_by for doc in documents}
    if len(models) != 1 or "" in models or any(doc.embeddings is None for doc in documents):
        return {"sentence_base": base}
    vectors = np.vstack([doc.embeddings for doc in documents]).astype(np.float16) if documents else None
    return {"vectors": vectors, "sentence_base": base, "meaning": models.pop(),
            "projection": Projection.of(vectors) if vectors is not None else None}


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
