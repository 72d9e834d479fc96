"""The sentences nearest in meaning to a question: a shortlist by the vectors' principal axes, then exact cosines.

Comparing a question with every sentence reads every sentence vector: at 100,000 sentences, 150 MB of float32 per
question, which alone took most of the whole answer's time. The corpus's own vectors vary mostly along few axes, so
their projection on the SEARCH_WIDTH principal axes (PCA over the corpus, a third of the bytes) orders the
sentences nearly as the full cosines do; the SHORTLIST best by the projection are then scored exactly from the
full vectors. On the shared SQuAD, COVID-QA and Debian FAQ corpora, with their questions, the exact ten nearest
were found 99.9 to 100% of the time (the README says how this was measured). A corpus of at most SHORTLIST
sentences is scored exactly, all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEARCH_WIDTH = 128  # principal axes kept for the shortlist
SHORTLIST = 100  # sentences scored exactly
AXES_SAMPLE = 20_000  # the axes are fitted on this many sentences at most (a fixed sample: the same every load)


@dataclass(frozen=True)
class Projection:
    """The corpus's vectors projected on their principal axes: (vector - mean) @ axes, one row per sentence. A
    question q is projected as it is: q·v = q·mean + q·(v - mean), and q·mean is the same for every sentence, so
    leaving it out keeps the order."""

    axes: np.ndarray  # width x SEARCH_WIDTH, orthonormal columns
    rows: np.ndarray  # sentences x SEARCH_WIDTH, float32

    @classmethod
    def of(cls, vectors: np.ndarray) -> Projection | None:
        """The projection of these vectors, or None when there are too few for a shortlist to save anything."""
        if len(vectors) <= SHORTLIST:
            return None
        sample = vectors
        if len(vectors) > AXES_SAMPLE:
            chosen = np.random.default_rng(0).choice(len(vectors), AXES_SAMPLE, replace=False)
            sample = vectors[np.sort(chosen)]
        sample = sample.astype(np.float32)
        mean = sample.mean(axis=0)
        spread = sample - mean
        values, vectors_of = np.linalg.eigh(spread.T @ spread)
        axes = np.ascontiguousarray(vectors_of[:, np.argsort(-values)[:SEARCH_WIDTH]], dtype=np.float32)
        rows = np.empty((len(vectors), axes.shape[1]), np.float32)
        for start in range(0, len(vectors), AXES_SAMPLE):  # in slices: no float32 copy of every vector at once
            rows[start:start + AXES_SAMPLE] = (vectors[start:start + AXES_SAMPLE].astype(np.float32) - mean) @ axes
        return cls(axes, rows)


def nearest(vectors: np.ndarray, projection: Projection | None, vector: np.ndarray, allowed: np.ndarray | None,
            k: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the k vectors with the highest cosine with a unit vector among the allowed rows (a boolean mask,
    None for all), best first (ties by row), and their cosines."""
    if projection is None:
        shortlist = np.arange(len(vectors)) if allowed is None else np.flatnonzero(allowed)
    else:
        approximate = projection.rows @ (projection.axes.T @ vector)
        if allowed is not None:
            approximate = np.where(allowed, approximate, -np.inf)
        size = min(SHORTLIST, len(approximate))
        shortlist = np.argpartition(-approximate, size - 1)[:size]
        shortlist = shortlist[np.isfinite(approximate[shortlist])]
    cosines = vectors[shortlist].astype(np.float32) @ vector
    k = min(k, len(shortlist))
    if k == 0:
        return shortlist[:0], cosines[:0]
    top = np.argpartition(-cosines, k - 1)[:k]
    top = top[np.lexsort((shortlist[top], -cosines[top]))]
    return shortlist[top], cosines[top]
