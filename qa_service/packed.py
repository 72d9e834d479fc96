"""Packed, read-only forms of an analysed document's per-sentence data: rows of small integers in one array, each
sentence's terms as numbers into the document's own term list, and word counts as two parallel columns.

A corpus of a million passages has 1.3 million sentences, and as Python objects (a named tuple per sentence, per
paragraph and per passage window, a tuple of terms per sentence, a Counter of words per document) their analyses
took about 880 MiB, every object a header and a pointer per field. Packed, they read back as the same tuples and
mappings, built on access: a question reads a few hundred of them, a build reads them all once. Reads go through
a memoryview of the arrays, which gives Python ints without making a numpy object per read.

Strings are interned (`intern_all`), so every document holding "the" points at one string, not its own copy.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, get_type_hints

import numpy as np


def smallest_unsigned(largest: int) -> type:
    """The narrowest unsigned integer type that holds 0 to `largest`."""
    return np.uint8 if largest < 2**8 else np.uint16 if largest < 2**16 else np.uint32


class _Packed:
    """What the packed forms share: pickled as their fields only (a memoryview cannot be pickled), their views made
    again on load."""

    def __post_init__(self) -> None:
        self._view()

    def _view(self) -> None:
        raise NotImplementedError

    def __getstate__(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self._view()


def intern_all(strings: Iterable[str]) -> tuple[str, ...]:
    """The strings as the interpreter's one copy of each (sys.intern).

    A packed form interns its strings when it is made, so the documents analysed in one process share them. One
    unpickled gets copies of its own: a snapshot written from shared strings loads them shared again (pickle writes
    an object once), but analyses sent back by other processes come one batch at a time, so the process that
    receives them interns them again (analysis_processes.py). Interning on every load instead doubled the time to
    load the million-passage index (7.5 s against 3.8, in process, on a busy machine).
    """
    return tuple(map(sys.intern, strings))


@dataclass(frozen=True, eq=False)
class PackedRows(_Packed, Sequence):
    """Named tuples of integers (such as sentences.Sentence), one row of an int32 array each. Fields that the named
    tuple annotates as bool read back as bools."""

    kind: type  # the named tuple class each row is made into
    table: np.ndarray  # rows x fields, int32

    @classmethod
    def of(cls, rows: Sequence[tuple], kind: type) -> PackedRows:
        return cls(kind, np.array(rows, dtype=np.int32).reshape(len(rows), len(kind._fields)))

    def _view(self) -> None:
        flat = memoryview(np.ascontiguousarray(self.table).reshape(-1))
        width = self.table.shape[1]
        object.__setattr__(self, "_flat", flat)
        object.__setattr__(self, "_width", width)
        object.__setattr__(self, "_bools", _bool_fields(self.kind))

    def column(self, name: str) -> memoryview:
        """One field of every row, as ints (bools as 0 and 1): what a loop over many rows reads, where making each
        row's tuple would cost twenty times as much. The view is made on each call (about 0.2 µs), not kept: kept
        per field, the views of a million-passage corpus's documents were 230,000 objects (about 40 MiB), which
        every worker's reads then copied from the master page by page."""
        return self._flat[_field_numbers(self.kind)[name]::self._width]

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._make(row) for row in self.table[i].tolist()]
        n = len(self.table)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("row index out of range")
        width = self._width
        return self._make(self._flat[i * width:(i + 1) * width].tolist())

    def __iter__(self) -> Iterator[tuple]:
        return map(self._make, self.table.tolist())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def _make(self, row: list[int]) -> tuple:
        for i in self._bools:
            row[i] = row[i] != 0
        return tuple.__new__(self.kind, row)  # the named tuple's own _make, without its length check


@cache
def _field_numbers(kind: type) -> dict[str, int]:
    """A named tuple's field names to their positions."""
    return {name: k for k, name in enumerate(kind._fields)}


@cache
def _bool_fields(kind: type) -> tuple[int, ...]:
    """The positions of a named tuple's fields annotated as bool."""
    hints = get_type_hints(kind)
    return tuple(i for i, name in enumerate(kind._fields) if hints.get(name) is bool)


@dataclass(frozen=True, eq=False)
class PackedTerms(_Packed, Sequence):
    """Each sentence's terms, a tuple of strings, stored as numbers into `terms`: the document's distinct terms."""

    terms: tuple[str, ...]
    numbers: np.ndarray  # every sentence's term numbers, one after the other (uint8, uint16 or uint32)
    starts: np.ndarray  # sentence i's numbers are numbers[starts[i]:starts[i + 1]], int32

    @classmethod
    def of(cls, sentence_terms: Sequence[tuple[str, ...]]) -> PackedTerms:
        number: dict[str, int] = {}
        flat = [number.setdefault(term, len(number)) for terms in sentence_terms for term in terms]
        lengths = np.fromiter(map(len, sentence_terms), dtype=np.int32, count=len(sentence_terms))
        return cls(intern_all(number), np.array(flat, dtype=smallest_unsigned(len(number))),
                   np.concatenate(([0], np.cumsum(lengths, dtype=np.int32))).astype(np.int32))

    def interned(self) -> PackedTerms:
        """The same terms, read from the interpreter's one copy of each string."""
        return dataclasses.replace(self, terms=intern_all(self.terms))

    def _view(self) -> None:
        object.__setattr__(self, "_numbers", memoryview(np.ascontiguousarray(self.numbers)))
        object.__setattr__(self, "_starts", memoryview(np.ascontiguousarray(self.starts)))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self.starts) - 1
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("sentence index out of range")
        starts = self._starts
        return tuple(map(self.terms.__getitem__, self._numbers[starts[i]:starts[i + 1]]))

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        terms = self.terms
        flat = [terms[n] for n in self.numbers.tolist()]
        return (tuple(flat[a:b]) for a, b in itertools.pairwise(self.starts.tolist()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)


@dataclass(frozen=True, eq=False)
class PackedCounts(_Packed, Mapping):
    """A word -> count mapping (a Counter's contents) as sorted words and their counts; a lookup bisects."""

    words: tuple[str, ...]  # sorted
    counts: np.ndarray  # uint8, uint16 or uint32

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> PackedCounts:
        words = tuple(sorted(counts))
        largest = max(counts.values(), default=0)
        return cls(intern_all(words), np.fromiter((counts[w] for w in words), dtype=smallest_unsigned(largest),
                                                count=len(words)))

    def interned(self) -> PackedCounts:
        """The same counts, their words read from the interpreter's one copy of each string."""
        return dataclasses.replace(self, words=intern_all(self.words))

    def _view(self) -> None:
        object.__setattr__(self, "_counts", memoryview(np.ascontiguousarray(self.counts)))

    def _position(self, word: object) -> int:
        if not isinstance(word, str):
            return -1
        at = bisect_left(self.words, word)
        return at if at < len(self.words) and self.words[at] == word else -1

    def __getitem__(self, word: str) -> int:
        at = self._position(word)
        if at < 0:
            raise KeyError(word)
        return self._counts[at]

    def get(self, word: str, default: Any = None) -> Any:
        at = self._position(word)
        return default if at < 0 else self._counts[at]

    def __contains__(self, word: object) -> bool:
        return self._position(word) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __len__(self) -> int:
        return len(self.words)

    def items(self) -> Iterable[tuple[str, int]]:  # type: ignore[override]
        return zip(self.words, self.counts.tolist(), strict=True)
