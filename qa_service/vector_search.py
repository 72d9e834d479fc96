"""The sentences nearest in meaning to a question: clusters of the vectors' projection, a shortlist, exact cosines.

Comparing a question with every sentence reads every sentence vector: at a million sentences, 0.5 GB of int8 steps
per question (sentence_vectors.py), each widened to float32. Three steps read far less:

- The corpus's vectors vary mostly along fewer axes than they have, so their projection on the SEARCH_WIDTH
  principal axes (PCA over a sample of the corpus) orders the sentences nearly as the full cosines do. The
  projection is kept as int8, one step per axis: half the bytes of the vectors' own steps.
- The projected sentences are grouped in clusters of about CLUSTER_SIZE (k-means), and a question reads only the
  PROBED clusters whose centres are nearest to it: about the same number of rows whatever the corpus's size. A
  corpus of at most PROBED * CLUSTER_SIZE sentences is one cluster, read whole.
- The SHORTLIST best by the projection are scored exactly from the full vectors.

The projection and the clusters are fitted once and kept: a write projects only the new documents' sentences on the
same axes and puts each in its nearest cluster, and a snapshot saves them with the index. They are fitted again
when the corpus has grown or shrunk more than REFIT_GROWTH times since, so that clusters stay near their size.

What each constant costs and finds was measured on 80,000 sentences of the fair corpus (bench/fair_corpus.py) with
real embeddings and 680 shared questions; the README says how.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from .sentence_vectors import SentenceVectors

SEARCH_WIDTH = 192  # principal axes kept for the projection
SHORTLIST = 200  # sentences scored exactly
AXES_SAMPLE = 20_000  # the axes are fitted on this many sentences at most (a fixed sample: the same every time)
CLUSTER_SIZE = 128  # sentences per cluster, on average
PROBED = 128  # clusters read per question
CLUSTER_SAMPLE = 16  # the clusters' centres are fitted on this many sentences per cluster at most
CLUSTER_ROUNDS = 6  # rounds of k-means
REFIT_GROWTH = 2.0  # fitted again when the corpus is this many times larger, or smaller, than when fitted
SLICE = 20_000  # rows widened to float32 at once: memory stays bounded while projecting a large corpus
TABLE_CELLS = 1 << 24  # point-centre distances worked out at once while clustering (64 MB of float32)
Rows = TypeVar("Rows", np.ndarray, SentenceVectors)


@dataclass(frozen=True)
class Projection:
    """The corpus's vectors projected on their principal axes, (vector - mean) @ axes, stored as int8 rows of
    `step`-sized units, and grouped in clusters. A question q is projected as it is: q·v = q·mean + q·(v - mean),
    and q·mean is the same for every sentence, so leaving it out keeps the order."""

    mean: np.ndarray  # width, float32
    axes: np.ndarray  # width x SEARCH_WIDTH, orthonormal columns, float32
    step: np.ndarray  # SEARCH_WIDTH, float32: the value of one int8 unit on each axis
    # sentences x SEARCH_WIDTH, int8, cluster by cluster: row i is sentence order[i]'s. A question's clusters are
    # then slices of it, not rows gathered one by one: at a million sentences, gathering the ~29,000 rows a question
    # read took 6-9 ms, more than the rest of the search.
    rows: np.ndarray
    centres: np.ndarray  # clusters x SEARCH_WIDTH, float32, in the projection's units (not steps)
    fitted_on: int  # how many sentences the corpus had when the axes and centres were fitted
    order: np.ndarray  # the sentences, cluster by cluster (int32)
    bounds: np.ndarray  # cluster c's sentences are order[bounds[c]:bounds[c + 1]] (int64)
    centre_norms: np.ndarray  # each centre's squared length
    slot: np.ndarray  # sentence s's row is rows[slot[s]] (int32)

    @classmethod
    def of(cls, vectors: SentenceVectors) -> Projection | None:
        """The projection of these vectors, or None when there are too few for a shortlist to save anything."""
        if len(vectors) <= SHORTLIST:
            return None
        sample = _sample(vectors, AXES_SAMPLE).floats()
        mean = sample.mean(axis=0)
        spread = sample - mean
        values, vectors_of = np.linalg.eigh(spread.T @ spread)
        axes = np.ascontiguousarray(vectors_of[:, np.argsort(-values)[:SEARCH_WIDTH]], dtype=np.float32)
        # One int8 unit per axis: the sample's largest value on the axis is 127 units (values beyond are clipped).
        step = np.maximum(np.abs(spread @ axes).max(axis=0), 1e-6).astype(np.float32) / 127
        rows = _projected(vectors, mean, axes, step)
        clusters = round(len(vectors) / CLUSTER_SIZE) if len(vectors) > PROBED * CLUSTER_SIZE else 1
        centres = _k_means(_sample(rows, clusters * CLUSTER_SAMPLE).astype(np.float32) * step, clusters)
        return cls.arranged(mean, axes, step, rows, centres, len(vectors), _closest(rows, step, centres))

    @classmethod
    def arranged(cls, mean: np.ndarray, axes: np.ndarray, step: np.ndarray, rows: np.ndarray, centres: np.ndarray,
                 fitted_on: int, cluster: np.ndarray) -> Projection:
        """A projection of sentences whose rows (one per sentence, in sentence order) are in the clusters given."""
        order = np.argsort(cluster, kind="stable").astype(np.int32)
        bounds = np.searchsorted(cluster[order], np.arange(len(centres) + 1)).astype(np.int64)
        slot = np.empty(len(order), np.int32)
        slot[order] = np.arange(len(order), dtype=np.int32)
        return cls(mean, axes, step, rows[order], centres, fitted_on, order, bounds,
                   np.einsum("ij,ij->i", centres, centres), slot)

    def updated(self, vectors: SentenceVectors, moves: np.ndarray, new_rows: np.ndarray) -> Projection | None:
        """The projection of `vectors`, a corpus made from this one's: moves[s] is the sentence that this
        projection's sentence s is there (-1: deleted), and `new_rows` are the sentences that are new there. The new
        ones are projected on the same axes and put in their nearest clusters; the whole is fitted anew once the
        corpus's size has moved too far from the size the clusters were fitted for."""
        size = len(vectors)
        if not (self.fitted_on / REFIT_GROWTH <= size <= self.fitted_on * REFIT_GROWTH) or size <= SHORTLIST:
            return Projection.of(vectors)
        rows = np.empty((size, self.rows.shape[1]), np.int8)
        cluster = np.empty(size, np.int32)
        moved = moves[self.order]  # where each of this projection's rows goes
        staying = moved >= 0
        rows[moved[staying]] = self.rows[staying]
        cluster[moved[staying]] = self.cluster_of_each_row()[staying]
        if len(new_rows):
            rows[new_rows] = _projected(vectors[new_rows], self.mean, self.axes, self.step)
            cluster[new_rows] = _closest(rows[new_rows], self.step, self.centres)
        return Projection.arranged(self.mean, self.axes, self.step, rows, self.centres, self.fitted_on, cluster)

    def cluster_of_each_row(self) -> np.ndarray:
        """The cluster of each of `rows` (they are cluster by cluster)."""
        return np.repeat(np.arange(len(self.centres), dtype=np.int32), np.diff(self.bounds))

    def candidates(self, vector: np.ndarray, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The sentences read for a question, and their rows: those of the PROBED clusters closest to it, or every
        allowed sentence when there are no more of them than that."""
        if allowed is not None and int(np.count_nonzero(allowed)) <= PROBED * CLUSTER_SIZE:
            sentences = np.flatnonzero(allowed)
            return sentences, self.rows[self.slot[sentences]]
        if len(self.centres) <= PROBED:
            chosen = np.arange(len(self.centres))
        else:
            # The clusters nearest to the question's own projection: for unit vectors, the nearest are the closest
            # in meaning.
            closeness = self.centres @ ((vector - self.mean) @ self.axes) - 0.5 * self.centre_norms
            chosen = np.argpartition(-closeness, PROBED - 1)[:PROBED]
        spans = [(int(self.bounds[c]), int(self.bounds[c + 1])) for c in np.sort(chosen).tolist()]
        sentences = np.concatenate([self.order[start:end] for start, end in spans])
        rows = np.concatenate([self.rows[start:end] for start, end in spans])
        if allowed is None:
            return sentences, rows
        kept = allowed[sentences]
        return sentences[kept], rows[kept]


def nearest(vectors: SentenceVectors, projection: Projection | None, vector: np.ndarray, allowed: np.ndarray | None,
            k: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the k vectors with the highest cosine with a unit vector among the allowed rows (a boolean mask,
    None for all), best first (ties by row), and their cosines."""
    if projection is None:
        shortlist = np.arange(len(vectors)) if allowed is None else np.flatnonzero(allowed)
    else:
        read, rows = projection.candidates(vector, allowed)
        # einsum widens the int8 rows to float32 a buffer at a time as it sums: widening them all first, for a
        # matrix product, wrote and read again 4 bytes a number (at a million sentences, ~33,000 rows: 3.8 ms against
        # 2.2, the same sentences found for 300 of 300 questions).
        approximate = np.einsum("ij,j->i", rows, projection.step * (projection.axes.T @ vector))
        size = min(SHORTLIST, len(read))
        shortlist = read[np.argpartition(-approximate, size - 1)[:size]] if size else read
    cosines = vectors.cosines(shortlist, vector)
    k = min(k, len(shortlist))
    if k == 0:
        return shortlist[:0], cosines[:0]
    top = np.argpartition(-cosines, k - 1)[:k]
    top = top[np.lexsort((shortlist[top], -cosines[top]))]
    return shortlist[top], cosines[top]


def _sample(rows: Rows, size: int) -> Rows:
    """At most `size` of the rows, a fixed choice: the same rows every time for the same count."""
    if len(rows) <= size:
        return rows
    return rows[np.sort(np.random.default_rng(0).choice(len(rows), size, replace=False))]


def _projected(vectors: SentenceVectors, mean: np.ndarray, axes: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The vectors on the axes, in int8 steps; in slices, so that no float32 copy of every vector is made at once."""
    rows = np.empty((len(vectors), axes.shape[1]), np.int8)
    for start in range(0, len(vectors), SLICE):
        projected = (vectors.floats(slice(start, start + SLICE)) - mean) @ axes / step
        rows[start:start + SLICE] = np.clip(np.rint(projected), -127, 127)
    return rows


def _k_means(points: np.ndarray, clusters: int) -> np.ndarray:
    """`clusters` centres of the points by k-means (Lloyd's rounds from a fixed choice of points); a centre left
    with no point keeps its place."""
    centres = _sample(points, clusters).copy()
    for _ in range(CLUSTER_ROUNDS if clusters > 1 else 0):
        nearest_centre = _closest(points, 1.0, centres)
        sums = np.zeros_like(centres)
        np.add.at(sums, nearest_centre, points)
        counts = np.bincount(nearest_centre, minlength=clusters)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return centres


def _closest(points: np.ndarray, scale: np.ndarray | float, centres: np.ndarray) -> np.ndarray:
    """Each point's nearest centre (Euclidean), the points times `scale` in float32; in slices of TABLE_CELLS
    point-centre pairs, so that the table of distances stays small (at a million sentences there are 10,000
    centres: a slice of SLICE points would make a table of 0.8 GB)."""
    half_norms = 0.5 * np.einsum("ij,ij->i", centres, centres)
    nearest_centre = np.empty(len(points), np.int32)
    size = max(1, TABLE_CELLS // len(centres))
    for start in range(0, len(points), size):
        near = points[start:start + size].astype(np.float32) * scale @ centres.T
        near -= half_norms
        nearest_centre[start:start + size] = np.argmax(near, axis=1)
    return nearest_centre
