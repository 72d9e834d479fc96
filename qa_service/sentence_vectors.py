"""Sentence vectors kept small: every unit vector as int8 steps, with one scale per vector.

A sentence's vector is 384 numbers. Kept as float16 they take 768 bytes, at a million passages (1.3 million
sentences) about 1 GiB; as int8 steps of the vector's own largest value over 127, with that step as one float32,
they take 388: half. A cosine read from the steps moves by about 0.0004 (standard deviation; at most 0.003) from
the float16 one, measured on the 9,878 sentences of the SQuAD, COVID-QA and Debian FAQ corpora against 300 of their
own vectors as questions; asked every question of the six sets, 3,376 of 3,382 answers were the same quotes
(the README says how). A scale per vector rather than one per corpus keeps every vector's largest value at 127
steps, so nothing is clipped whatever the model and the corpus, and precision does not depend on the other vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

STEPS = 127  # a vector's largest value, in steps


@dataclass(frozen=True)
class SentenceVectors:
    """Unit vectors as rows of int8 steps; row i is steps[i] * scale[i]. Indexing gives the rows asked for (a slice
    gives views, not copies), so a document's vectors can be rows of the corpus's matrix."""

    steps: np.ndarray  # rows x width, int8
    scale: np.ndarray  # rows, float32: the value of one step in each row

    @classmethod
    def of(cls, floats: np.ndarray) -> SentenceVectors:
        """These vectors (rows x width, any float type) in steps."""
        floats = np.asarray(floats, dtype=np.float32)
        scale = np.maximum(np.abs(floats).max(axis=1, initial=0.0), 1e-12) / STEPS
        steps = np.rint(floats / scale[:, None]).astype(np.int8)
        return cls(steps, scale.astype(np.float32))

    @classmethod
    def stacked(cls, parts: Sequence[SentenceVectors]) -> SentenceVectors:
        """The rows of every part, in order, in one matrix."""
        return cls(np.concatenate([p.steps for p in parts]), np.concatenate([p.scale for p in parts]))

    def __len__(self) -> int:
        return len(self.scale)

    def __getitem__(self, rows) -> SentenceVectors:
        return SentenceVectors(self.steps[rows], self.scale[rows])

    @property
    def width(self) -> int:
        return self.steps.shape[1]

    @property
    def nbytes(self) -> int:
        return self.steps.nbytes + self.scale.nbytes

    def floats(self, rows=slice(None)) -> np.ndarray:
        """These rows as float32 vectors."""
        return self.steps[rows].astype(np.float32) * self.scale[rows, None]

    def cosines(self, rows, vector: np.ndarray) -> np.ndarray:
        """The cosines of these rows with a unit vector (float32)."""
        return (self.steps[rows].astype(np.float32) @ vector) * self.scale[rows]

    def as_matrix(self) -> SentenceVectors:
        """The rows as one matrix: these."""
        return self


# A write's documents are embedded apart from the rest; past this many matrices, the smaller ones' live rows are
# stacked into one (each gather of rows then visits at most this many).
MOST_MATRICES = 8


@dataclass(frozen=True)
class CorpusVectors:
    """The corpus's sentence vectors where the writes left them: rows of a few matrices, each document's rows in one
    of them. The first is the one a snapshot mapped or a build stacked, shared by every worker; a written document's
    vectors are a small matrix of its own. A write so makes no copy of the corpus's vectors (at a million passages,
    500 MiB in each worker, and the mapped pages read to copy them).

    Row r of the corpus (documents in order: document d's rows are first[d] to first[d + 1] - 1) is row
    `offset[d] + r - first[d]` of `parts[part[d]]`. The rows of documents a write replaced stay in their matrix,
    read by no one; when they are most of the rows held, the whole is stacked again (`kept`)."""

    parts: tuple[SentenceVectors, ...]
    first: np.ndarray  # documents + 1, int64
    part: np.ndarray  # documents, int32
    offset: np.ndarray  # documents, int64

    @classmethod
    def kept(cls, embeddings: Sequence[SentenceVectors], first: np.ndarray,
             carried: tuple[SentenceVectors | CorpusVectors, np.ndarray, np.ndarray] | None = None
             ) -> SentenceVectors | CorpusVectors:
        """The vectors of documents whose own vectors these are (views of their matrices, as earlier indexes left
        them), in the order given, without copying them: each document's rows stay in the matrix they are rows of.
        With `carried` (the vectors of the index a write made this one from, their `first`, and where each document
        was there, -1 for a new one) the kept documents' matrices and rows are read from those, and only the new
        documents are looked at: looking at every one took 0.33 s a write at a million passages.
        The live rows of all but the largest matrix are stacked into one when there are more than MOST_MATRICES; all
        of them into one matrix (returned as such, the documents' vectors made rows of it) when the rows no document
        reads are more than half of those held."""
        part, offset = np.zeros(len(embeddings), np.int32), np.zeros(len(embeddings), np.int64)
        parts: list[SentenceVectors] = []
        numbered: dict[tuple[int, int], int] = {}
        looked_at: Sequence[int] = range(len(embeddings))
        if carried is not None:
            before, before_first, old_position = carried
            if isinstance(before, SentenceVectors):
                before = cls((before,), before_first, np.zeros(len(before_first) - 1, np.int32),
                             before_first[:-1].astype(np.int64))
            shift = np.zeros(len(before.parts), np.int64)
            for p, rows in enumerate(before.parts):
                key, matrix, shift[p] = _matrix_of(rows)
                numbered[key] = len(parts)
                parts.append(matrix)
            kept = old_position >= 0
            part[kept] = before.part[old_position[kept]]
            offset[kept] = before.offset[old_position[kept]] + shift[part[kept]]
            looked_at = np.flatnonzero(~kept).tolist()
        for d in looked_at:
            key, matrix, at = _matrix_of(embeddings[d])
            if key not in numbered:
                numbered[key] = len(parts)
                parts.append(matrix)
            part[d], offset[d] = numbered[key], at
        read = np.zeros(len(parts), bool)
        read[part] = True
        if not read.all():  # a matrix only replaced documents read is let go
            part = (np.cumsum(read) - 1)[part].astype(np.int32)
            parts = [matrix for matrix, is_read in zip(parts, read.tolist(), strict=True) if is_read]
        held = sum(len(p) for p in parts)
        if len(embeddings) and 2 * int(first[-1]) < held:
            return SentenceVectors.stacked(embeddings)
        vectors = cls(tuple(parts), first, part, offset)
        return vectors.with_small_matrices_joined(embeddings) if len(parts) > MOST_MATRICES else vectors

    def with_small_matrices_joined(self, embeddings: Sequence[SentenceVectors]) -> CorpusVectors:
        """The same rows, those of every matrix but the largest stacked into one."""
        largest = max(range(len(self.parts)), key=lambda p: len(self.parts[p]))
        moving = np.flatnonzero(self.part != largest)
        lengths = np.diff(self.first)[moving]
        offset = self.offset.copy()
        offset[moving] = np.cumsum(lengths) - lengths
        joined = SentenceVectors.stacked([embeddings[d] for d in moving.tolist()])
        return CorpusVectors((self.parts[largest], joined), self.first,
                             np.where(self.part == largest, 0, 1).astype(np.int32), offset)

    def document(self, d: int) -> SentenceVectors:
        """Document d's rows: a view of its matrix."""
        start = int(self.offset[d])
        return self.parts[self.part[d]][start:start + int(self.first[d + 1] - self.first[d])]

    def __len__(self) -> int:
        return int(self.first[-1])

    @property
    def width(self) -> int:
        return self.parts[0].width

    @property
    def nbytes(self) -> int:
        """The bytes of every matrix held, rows no document reads included."""
        return sum(p.nbytes for p in self.parts)

    def _located(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """Each of these corpus rows' matrix and its row there."""
        rows = np.arange(len(self))[rows] if isinstance(rows, slice) else np.asarray(rows, np.int64)
        documents = np.searchsorted(self.first, rows, side="right") - 1
        return self.part[documents], self.offset[documents] + rows - self.first[documents]

    def __getitem__(self, rows) -> SentenceVectors:
        """These rows, as a matrix of their own (a copy)."""
        single = isinstance(rows, (int, np.integer))
        parts, at = self._located([rows] if single else rows)
        steps = np.empty((len(at), self.width), np.int8)
        scale = np.empty(len(at), np.float32)
        for p in np.unique(parts).tolist():
            chosen = parts == p
            steps[chosen] = self.parts[p].steps[at[chosen]]
            scale[chosen] = self.parts[p].scale[at[chosen]]
        gathered = SentenceVectors(steps, scale)
        return SentenceVectors(steps[0], scale[0]) if single else gathered

    def floats(self, rows=slice(None)) -> np.ndarray:
        """These rows as float32 vectors."""
        if isinstance(rows, (int, np.integer)):
            return self[[rows]].floats()[0]
        return self[rows].floats()

    def cosines(self, rows, vector: np.ndarray) -> np.ndarray:
        """The cosines of these rows with a unit vector (float32)."""
        gathered = self[rows]
        return gathered.cosines(slice(None), vector)

    def as_matrix(self) -> SentenceVectors:
        """The rows as one matrix, documents in order (a copy: what a snapshot saves)."""
        return self[:]


def _matrix_of(rows: SentenceVectors) -> tuple[tuple[int, int], SentenceVectors, int]:
    """The matrix these rows are a slice of (the one whose memory their views share: a build's stacked matrix, or a
    snapshot's mapped one, which numpy holds as a flat buffer reshaped), a key naming it, and where the rows start in
    it; the rows themselves, from 0, when they are not such a slice."""
    steps, scale = _root(rows.steps), _root(rows.scale)
    width = rows.steps.shape[1] if rows.steps.ndim == 2 else 0
    whole = (width and all(a.flags.c_contiguous for a in (rows.steps, rows.scale, steps, scale))
             and steps.dtype == rows.steps.dtype and scale.dtype == rows.scale.dtype
             and steps.size % width == 0 and steps.size // width == scale.size)
    if whole:
        at, left = divmod(_address(rows.steps) - _address(steps), width * steps.itemsize)
        if not left and at * scale.itemsize == _address(rows.scale) - _address(scale) and \
                0 <= at <= scale.size - len(rows):
            return (id(steps), id(scale)), SentenceVectors(steps.reshape(-1, width), scale.reshape(-1)), at
    return (id(rows.steps), id(rows.scale)), rows, 0


def _root(array: np.ndarray) -> np.ndarray:
    """The array that holds the memory this one is a view of."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


class SavedRows(NamedTuple):
    """Where a document's vectors are in the corpus's matrix, as a snapshot saves them (the matrix once, beside the
    documents): rows `first` up to `last`."""

    first: int
    last: int

    def of(self, vectors: SentenceVectors | None) -> SentenceVectors:
        """These rows of the matrix; ValueError when it has none such."""
        if vectors is None or not 0 <= self.first <= self.last <= len(vectors):
            raise ValueError(f"rows {self.first} to {self.last} are not rows of the saved vectors")
        return vectors[self.first:self.last]
