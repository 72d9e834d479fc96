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
same axes and puts each in its nearest cluster, beside the rows arranged when fitted (which it does not move), and a
snapshot saves them with the index. They are fitted again
when the corpus has grown or shrunk more than REFIT_GROWTH times since, so that clusters stay near their size.

What each constant costs and finds was measured on 80,000 sentences of the fair corpus (bench/fair_corpus.py) with
real embeddings and 680 shared questions; the README says how.
"""

from __future__ import annotations

from collections.abc import Callable
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
FOLDED_AT = 0.25  # the tail and the base are arranged as one when the tail or the base's gone rows pass this share
SLICE = 20_000  # rows widened to float32 at once: memory stays bounded while projecting a large corpus
TABLE_CELLS = 1 << 24  # point-centre distances worked out at once while clustering (64 MB of float32)
Rows = TypeVar("Rows", np.ndarray, SentenceVectors)


@dataclass(frozen=True)
class ClusteredRows:
    """Projected sentences kept cluster by cluster: cluster c's rows are rows[bounds[c]:bounds[c + 1]], and row i is
    sentence order[i]'s (-1: a sentence whose document has left since the rows were arranged). A question's clusters
    are then slices, not rows gathered one by one: at a million sentences, gathering the ~29,000 rows a question read
    took 6-9 ms, more than the rest of the search."""

    rows: np.ndarray  # int8, one row of SEARCH_WIDTH steps a sentence
    order: np.ndarray  # int32
    bounds: np.ndarray  # clusters + 1, int64

    @classmethod
    def of(cls, sentences: np.ndarray, cluster: np.ndarray, clusters: int,
           rows_at: Callable[[np.ndarray], np.ndarray]) -> ClusteredRows:
        """These sentences (in any order; sentences[i] is in cluster[i]) arranged by their clusters, the rows of
        positions i taken from `rows_at` (in cluster order, so that they are gathered once)."""
        by_cluster = np.argsort(cluster, kind="stable")
        bounds = np.searchsorted(cluster[by_cluster], np.arange(clusters + 1)).astype(np.int64)
        return cls(rows_at(by_cluster), sentences[by_cluster].astype(np.int32), bounds)

    def __len__(self) -> int:
        return len(self.order)

    def slices(self, clusters: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The sentences (-1 for those gone) and rows of each of these clusters that has any, as views."""
        spans = [(int(self.bounds[c]), int(self.bounds[c + 1])) for c in clusters]
        return [(self.order[start:end], self.rows[start:end]) for start, end in spans if end > start]

    def cluster_of_each_row(self) -> np.ndarray:
        """The cluster of each of `rows` (they are cluster by cluster)."""
        return np.repeat(np.arange(len(self.bounds) - 1, dtype=np.int32), np.diff(self.bounds))


@dataclass(frozen=True)
class Projection:
    """The corpus's vectors projected on their principal axes, (vector - mean) @ axes, stored as int8 rows of
    `step`-sized units, and grouped in clusters. A question q is projected as it is: q·v = q·mean + q·(v - mean),
    and q·mean is the same for every sentence, so leaving it out keeps the order.

    The rows arranged when the projection was fitted (`base`: a snapshot's mapped pages, or the master's, shared by
    every worker) are never moved by a write: the sentences of written documents go to a small `tail` arranged by
    the same clusters, a left document's rows are marked gone in `base.order`, and only the sentence numbers are
    renumbered. Both are arranged anew as one when the tail or the gone rows pass a quarter of the base (FOLDED_AT),
    so that neither grows without bound; before this, every write moved each of a million sentences' rows in each
    worker, a private copy of 250 MiB."""

    mean: np.ndarray  # width, float32
    axes: np.ndarray  # width x SEARCH_WIDTH, orthonormal columns, float32
    step: np.ndarray  # SEARCH_WIDTH, float32: the value of one int8 unit on each axis
    centres: np.ndarray  # clusters x SEARCH_WIDTH, float32, in the projection's units (not steps)
    centre_norms: np.ndarray  # each centre's squared length
    fitted_on: int  # how many sentences the corpus had when the axes and centres were fitted
    base: ClusteredRows
    tail: ClusteredRows
    gone: int  # rows of `base` whose sentence is gone
    slot: np.ndarray  # sentence s's row: base.rows[slot[s]], or tail.rows[slot[s] - len(base)] (int32)

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
        sentences = np.arange(len(vectors), dtype=np.int32)
        return cls.arranged(mean, axes, step, centres, len(vectors),
                            ClusteredRows.of(sentences, _closest(rows, step, centres), len(centres), rows.__getitem__))

    @classmethod
    def arranged(cls, mean: np.ndarray, axes: np.ndarray, step: np.ndarray, centres: np.ndarray, fitted_on: int,
                 base: ClusteredRows, tail: ClusteredRows | None = None, gone: int = 0) -> Projection:
        """A projection whose sentences' rows are these (sentences numbered from 0, none twice)."""
        if tail is None:
            tail = ClusteredRows(base.rows[:0], base.order[:0], np.zeros(len(centres) + 1, np.int64))
        slot = np.empty(len(base) - gone + len(tail), np.int32)
        live = np.flatnonzero(base.order >= 0) if gone else np.arange(len(base))
        slot[base.order[live]] = live
        slot[tail.order] = len(base) + np.arange(len(tail), dtype=np.int32)
        return cls(mean, axes, step, centres, np.einsum("ij,ij->i", centres, centres), fitted_on, base, tail, gone,
                   slot)

    def __len__(self) -> int:
        return len(self.slot)

    @property
    def nbytes(self) -> int:
        """The bytes of its per-sentence arrays."""
        return sum(part.rows.nbytes + part.order.nbytes for part in (self.base, self.tail)) + self.slot.nbytes

    def rows_of(self, sentences: np.ndarray) -> np.ndarray:
        """These sentences' rows (a copy)."""
        slots = self.slot[sentences]
        in_base = slots < len(self.base)
        if bool(in_base.all()):
            return self.base.rows[slots]
        rows = np.empty((len(slots), self.base.rows.shape[1]), np.int8)
        rows[in_base] = self.base.rows[slots[in_base]]
        rows[~in_base] = self.tail.rows[slots[~in_base] - len(self.base)]
        return rows

    def clusters(self) -> np.ndarray:
        """Each sentence's cluster."""
        cluster = np.empty(len(self), np.int32)
        for part in (self.base, self.tail):
            live = part.order >= 0
            cluster[part.order[live]] = part.cluster_of_each_row()[live]
        return cluster

    def updated(self, vectors: SentenceVectors, moves: np.ndarray, new_rows: np.ndarray) -> Projection | None:
        """The projection of `vectors`, a corpus made from this one's: moves[s] is the sentence that this
        projection's sentence s is there (-1: deleted), and `new_rows` are the sentences that are new there. The new
        ones are projected on the same axes and put in their nearest clusters; the whole is fitted anew once the
        corpus's size has moved too far from the size the clusters were fitted for."""
        size = len(vectors)
        if not (self.fitted_on / REFIT_GROWTH <= size <= self.fitted_on * REFIT_GROWTH) or size <= SHORTLIST:
            return Projection.of(vectors)
        moves = moves.astype(np.int32)
        base_order = np.where(self.base.order >= 0, moves[np.maximum(self.base.order, 0)], -1).astype(np.int32)
        gone = int(np.count_nonzero(base_order < 0))
        base = ClusteredRows(self.base.rows, base_order, self.base.bounds)
        tail_moved = moves[self.tail.order]
        kept_tail = tail_moved >= 0
        added = _projected(vectors[new_rows], self.mean, self.axes, self.step)
        tail_rows = np.concatenate([self.tail.rows[kept_tail], added])
        tail_sentences = np.concatenate([tail_moved[kept_tail], new_rows.astype(np.int32)])
        tail_cluster = np.concatenate([self.tail.cluster_of_each_row()[kept_tail],
                                       _closest(added, self.step, self.centres)])
        tail = ClusteredRows.of(tail_sentences, tail_cluster, len(self.centres), tail_rows.__getitem__)
        moved = Projection.arranged(self.mean, self.axes, self.step, self.centres, self.fitted_on, base, tail, gone)
        if max(len(tail), gone) <= len(base) * FOLDED_AT:
            return moved
        everyone = np.arange(size, dtype=np.int32)
        return Projection.arranged(self.mean, self.axes, self.step, self.centres, self.fitted_on,
                                   ClusteredRows.of(everyone, moved.clusters(), len(self.centres), moved.rows_of))

    def candidates(self, vector: np.ndarray, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The sentences read for a question, and their rows: those of the PROBED clusters closest to it, or every
        allowed sentence when there are no more of them than that. With no `allowed`, a row whose sentence is gone
        is read as sentence -1 (`nearest` passes over it): taking it out would copy every row read."""
        if allowed is not None and int(np.count_nonzero(allowed)) <= PROBED * CLUSTER_SIZE:
            sentences = np.flatnonzero(allowed)
            return sentences, self.rows_of(sentences)
        if len(self.centres) <= PROBED:
            chosen = np.arange(len(self.centres))
        else:
            # The clusters nearest to the question's own projection: for unit vectors, the nearest are the closest
            # in meaning.
            closeness = self.centres @ ((vector - self.mean) @ self.axes) - 0.5 * self.centre_norms
            chosen = np.argpartition(-closeness, PROBED - 1)[:PROBED]
        clusters = np.sort(chosen).tolist()
        # One copy of the rows read: the tail's slices are joined with the base's, not to them afterwards.
        slices = self.base.slices(clusters) + (self.tail.slices(clusters) if len(self.tail) else [])
        sentences = np.concatenate([order for order, _ in slices] or [self.base.order[:0]])
        rows = np.concatenate([rows for _, rows in slices] or [self.base.rows[:0]])
        if allowed is None:
            return sentences, rows
        kept = allowed[sentences] & (sentences >= 0) if self.gone else allowed[sentences]
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
        live = int(np.count_nonzero(read >= 0)) if projection.gone else len(read)
        if live < len(read):
            approximate[read < 0] = -np.inf
        size = min(SHORTLIST, live)
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
