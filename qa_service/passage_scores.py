"""One query's BM25 scores, kept only for the passages that hold a query term: every other passage scores 0.

A question's terms touch a few thousand passages of a million (the 600 benchmark questions: a median of 27,000
postings read). A score per passage of the corpus, as BM25Okapi.get_scores gives, means 8 MB written, compared
and searched for every question at a million passages; under load that memory traffic, mostly outside the GIL, took
more of the workers' CPU than the answer's own Python. Summed over the postings read instead, the same scores cost
what the question touches: on the fair corpus's million passages, `Index.search` for the 600 benchmark questions
went from a p50 of 1.8 to 0.6 ms (the README's "Answers at a million, per request").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PassageScores:
    """Ascending passage ids and each one's score; a passage not listed scores 0."""

    ids: np.ndarray
    values: np.ndarray

    @classmethod
    def summed(cls, ids: list[np.ndarray], contributions: list[np.ndarray]) -> PassageScores:
        """The scores of postings read term by term: `ids[t]` the ascending passages of term t, `contributions[t]`
        what the term adds to each. A passage's contributions are added in term order, as BM25Okapi.get_scores adds
        them, so every score is the same float it gives."""
        if not ids:
            return cls(np.zeros(0, dtype=np.int64), np.zeros(0))
        every = np.concatenate(ids)
        # A stable sort of ascending runs merges them (numpy's timsort finds the runs), and keeps each passage's
        # postings in term order, so that bincount below adds them in that order.
        order = np.argsort(every, kind="stable")
        in_order = every[order]
        first = np.empty(in_order.size, dtype=bool)
        first[:1] = True
        np.not_equal(in_order[1:], in_order[:-1], out=first[1:])
        slot = np.empty(in_order.size, dtype=np.intp)
        slot[order] = np.cumsum(first) - 1
        return cls(in_order[first].astype(np.int64), np.bincount(slot, np.concatenate(contributions)))

    def of(self, passage: int) -> float:
        """One passage's score."""
        at = int(np.searchsorted(self.ids, passage))
        return float(self.values[at]) if at < self.ids.size and self.ids[at] == passage else 0.0

    def best(self, k: int, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ids and scores of the k passages that score highest (above 0), best first and equal scores by id;
        with `keep`, a mask over these ids, only among those it keeps."""
        chosen = self.values > 0
        if keep is not None:
            chosen &= keep
        ids, values = self.ids[chosen], self.values[chosen]
        if ids.size > k:
            top = np.argpartition(-values, k - 1)[:k]
            ids, values = ids[top], values[top]
        order = np.lexsort((ids, -values))
        return ids[order], values[order]

    def dense(self, passage_count: int) -> np.ndarray:
        """Every passage's score, as BM25Okapi.get_scores gives them."""
        scores = np.zeros(passage_count)
        scores[self.ids] = self.values
        return scores
