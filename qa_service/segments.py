"""Index segments: the term counts of some documents' passages, written once and never changed, and when to merge them.

A write indexes only the documents it changed, as one small new segment; the index (index.py) marks the passages of
their old versions deleted and keeps its BM25 statistics over the live passages of all its segments. A segment
holds raw counts (a term's count in a passage, each passage's length), not BM25 weights: a weight depends on the
average passage length of the whole corpus, which every write moves, so the index works weights out at query time.
Small segments are merged in the background (a log merge: MERGE_FACTOR segments of one size tier become one), so
their number stays logarithmic in the corpus size.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import chain

import numpy as np

from .document_analysis import AnalysedDocument
from .packed import smallest_unsigned

MERGE_FACTOR = 10  # this many segments of one size tier are merged into one


@dataclass(frozen=True, eq=False)
class Segment:
    """The passages of some documents, in the order given: for each term (row), the passages holding it and how
    many times. Local passage p belongs to local document d when document_start[d] <= p < document_start[d + 1]."""

    rows: dict[str, int]  # term -> its row, terms in the order BM25Okapi meets them reading the passages in order
    bounds: np.ndarray  # row r is passages[bounds[r]:bounds[r + 1]]
    passages: np.ndarray  # local passage ids, int32, ascending within a row
    counts: np.ndarray  # the term's count in each of those passages, in the narrowest unsigned type that holds them
    passage_length: np.ndarray  # terms per passage, int64
    document_start: np.ndarray  # each document's first local passage, and the passage count last

    @classmethod
    def of(cls, documents: list[AnalysedDocument]) -> Segment:
        terms_seen, term_numbers, sentence_start = _numbered_terms(documents)
        token_start, passage_length, windows = _passages(documents, sentence_start)
        term_list, term_of, passage_of, counts = _term_passage_counts(terms_seen, term_numbers, token_start,
                                                                      passage_length)
        return cls(
            rows=dict(zip(term_list, range(len(term_list)), strict=True)),
            bounds=np.concatenate(([0], np.cumsum(np.bincount(term_of, minlength=len(term_list))))),
            passages=passage_of.astype(np.int32),
            counts=counts,
            passage_length=passage_length,
            document_start=np.concatenate(([0], np.cumsum(windows))),
        )

    @property
    def document_count(self) -> int:
        return len(self.document_start) - 1

    @property
    def passage_count(self) -> int:
        return int(self.document_start[-1])

    @property
    def passage_document(self) -> np.ndarray:
        """The local document of every local passage."""
        return np.repeat(np.arange(self.document_count), np.diff(self.document_start))

    def document_frequency(self) -> dict[str, int]:
        """Passages holding each term, terms in row order."""
        return dict(zip(self.rows, np.diff(self.bounds).tolist(), strict=True))


def passage_frequency(document: AnalysedDocument) -> Counter:
    """How many of the document's passages hold each term: its share of the index's document frequencies."""
    terms = document.sentence_terms
    return Counter(chain.from_iterable(set(chain.from_iterable(terms[first:last + 1]))
                                       for first, last in document.windows))


def size_tier(passages: int) -> int:
    """Segments within a factor of MERGE_FACTOR of each other in size share a tier."""
    return int(math.log(max(passages, 1), MERGE_FACTOR))


def merge_plan(live_passages: list[int]) -> list[int]:
    """The segments (by number) to merge into one: those of the smallest tier that holds MERGE_FACTOR of them, or
    none. A segment counts by its live passages, so one that writes have mostly deleted falls to a lower tier and
    is merged (and its deleted passages dropped) with the small ones."""
    tiers: dict[int, list[int]] = {}
    for number, size in enumerate(live_passages):
        tiers.setdefault(size_tier(size), []).append(number)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= MERGE_FACTOR:
            return tiers[tier]
    return []


def _numbered_terms(documents: list[AnalysedDocument]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct terms, every sentence's terms as term numbers in one array, and where each sentence starts.

    Each document's distinct terms are hashed here and never again: everything after works on arrays of numbers.
    """
    numbers: dict[str, int] = {}
    parts, lengths = [], []
    for doc in documents:
        packed = doc.sentence_terms  # packed.PackedTerms: numbers into the document's own terms
        mine = np.fromiter((numbers.setdefault(term, len(numbers)) for term in packed.terms), dtype=np.int64,
                           count=len(packed.terms))
        parts.append(mine[packed.numbers])
        lengths.append(np.diff(packed.starts))
    term_numbers = np.concatenate(parts) if parts else np.empty(0, np.int64)
    sentence_lengths = np.concatenate(lengths).astype(np.int64) if lengths else np.empty(0, np.int64)
    return list(numbers), term_numbers, np.concatenate(([0], np.cumsum(sentence_lengths)))


def _passages(documents: list[AnalysedDocument], sentence_start: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each passage's terms start and how many there are, and each document's number of passages."""
    first_sentence, last_sentence = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    offset = 0
    for doc in documents:
        # The windows' bounds read by column (packed.PackedRows), not one tuple per window.
        first_sentence.append(np.asarray(doc.windows.column("first"), dtype=np.int64) + offset)
        last_sentence.append(np.asarray(doc.windows.column("last"), dtype=np.int64) + offset)
        offset += len(doc.sentence_terms)
    windows = np.array([len(doc.windows) for doc in documents], dtype=np.int64)
    token_start = sentence_start[np.concatenate(first_sentence)]
    passage_length = sentence_start[np.concatenate(last_sentence) + 1] - token_start
    return token_start, passage_length, windows


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
    counts = np.diff(np.append(run_start, total))
    counts = counts.astype(smallest_unsigned(int(counts.max(initial=0))))
    pairs = pairs[run_start]
    return [terms_seen[i] for i in order.tolist()], pairs // width, pairs % width, counts
