"""The spelling table: every one-deletion variant of each corpus word of three letters or more (and the word itself),
to the words it comes from, for spelling correction by symmetric deletion (questions.correct).

At a million passages the corpus has about 67,000 such words and 700,000 variants. As a dict of lists the table took
2 to 3 s to build, which every restart paid in the gunicorn master before its workers started. Here it is a few
arrays, made with the index (`Index.build`), saved in its snapshot and shared as they are by the forked workers: one
entry per variant of each word, holding a 64-bit key of the variant (`variant_key`), the word's number and the letter
left out. A lookup finds the entries of the variant's key by bisection and keeps the words whose variant, made again
from the word, is the one asked: two variants can share a key, never a word they do not come from.

A write moves the table by the words that came and went (`moved`): like the index's `LayeredTable`s, the arrays are
shared with the index before and never changed, under the variants the writes changed since; a merge folds those in
(`flattened`).
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .packed import smallest_unsigned

MIN_LENGTH = 3  # shorter corpus words are left out of the table
_MULTIPLIER = 0x9E3779B97F4A7C15  # odd, so every step of the polynomial key is a bijection modulo 2**64
_MASK = 2**64 - 1


def deletions(word: str) -> set[str]:
    """The word with one letter left out, every way."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def variant_key(text: str) -> int:
    """The text's code points as a polynomial in _MULTIPLIER modulo 2**64 (Horner's rule): `SpellingTable.of` works
    out the same keys for every variant of every word at once, from the word's prefixes and suffixes."""
    key = 0
    for character in text:
        key = (key * _MULTIPLIER + ord(character)) & _MASK
    return key


@dataclass(frozen=True, eq=False)
class SpellingTable:
    """variant -> the corpus words it comes from (`get`), as sorted arrays of entries, under the writes' changes."""

    words: tuple[str, ...]  # the words of the entries, by number
    keys: np.ndarray  # each entry's variant_key, ascending (uint64)
    word_numbers: np.ndarray  # each entry's word
    left_out: np.ndarray  # the letter each entry's variant leaves out of its word (its length: the word itself)
    # The variants whose words writes changed since the arrays were made, to their words now (empty: none).
    changes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, words: Iterable[str]) -> SpellingTable:
        """The table of these words (those shorter than MIN_LENGTH left out), each variant's words in this order."""
        words = tuple(word for word in words if len(word) >= MIN_LENGTH)
        lengths = np.fromiter(map(len, words), np.int64, len(words))
        keys, numbers, left_out = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for length in np.unique(lengths).tolist():
            numbered = np.flatnonzero(lengths == length)
            codes = np.array([words[n] for n in numbered.tolist()], dtype=f"<U{length}").view(np.uint32)
            variant_keys, kept = _variant_keys(codes.reshape(len(numbered), length).astype(np.uint64))
            keys.append(variant_keys[kept])
            numbers.append(np.broadcast_to(numbered[:, None], kept.shape)[kept])
            left_out.append(np.broadcast_to(np.arange(length + 1), kept.shape)[kept])
        keys_, numbers_, left_out_ = np.concatenate(keys), np.concatenate(numbers), np.concatenate(left_out)
        order = np.lexsort((numbers_, keys_))  # by key, then by word: a variant's words in the order given
        return cls(words, keys_[order], numbers_[order].astype(smallest_unsigned(len(words))),
                   left_out_[order].astype(smallest_unsigned(int(lengths.max(initial=0)))))

    def get(self, variant: str, default=None):
        """The corpus words this variant comes from (a tuple), or `default` when none does."""
        words = self.changes.get(variant)
        if words is None:
            words = self._packed_words(variant)
        return words or default

    def _packed_words(self, variant: str) -> tuple[str, ...]:
        # Read through memoryviews, which give Python ints without making a numpy object per read: a misspelt word
        # looks up a dozen variants, and a write every variant of each word it brings or takes away.
        key = variant_key(variant)
        keys, numbers, left_out = memoryview(self.keys), memoryview(self.word_numbers), memoryview(self.left_out)
        found = []
        at = bisect_left(keys, key)
        while at < len(keys) and keys[at] == key:
            word, i = self.words[numbers[at]], left_out[at]
            if word[:i] + word[i + 1:] == variant:
                found.append(word)
            at += 1
        return tuple(found)

    def moved(self, arrived: Iterable[str], left: Iterable[str]) -> SpellingTable:
        """The table with the words that came into the corpus and without those that left it; this one is left as
        it was. The variants changed are copied, not the arrays, until they outnumber the arrays' entries."""
        changes: dict[str, tuple[str, ...]] = {}
        for word, arriving in [*((word, False) for word in left), *((word, True) for word in arrived)]:
            if len(word) < MIN_LENGTH:
                continue
            for variant in deletions(word) | {word}:
                words = changes[variant] if variant in changes else self.get(variant, ())
                changes[variant] = (*words, word) if arriving else tuple(known for known in words if known != word)
        if not changes:
            return self
        moved = dataclasses.replace(self, changes={**self.changes, **changes})
        return moved.flattened() if len(moved.changes) > len(self.keys) else moved

    def flattened(self) -> SpellingTable:
        """The same table as arrays alone, without changes."""
        if not self.changes:
            return self
        changes = self.changes
        # A word is in the table while its own variant (the word itself) lists it.
        kept = [word for word in self.words if word not in changes or word in changes[word]]
        packed = set(self.words)
        arrived = dict.fromkeys(word for words in changes.values() for word in words if word not in packed)
        return SpellingTable.of([*kept, *arrived])


def _variant_keys(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For words of one length n (a row of code points each): the variant_key of each word with letter i left out,
    in column i, and of the word itself, in column n; and which of them to keep, leaving out a letter that repeats
    the one before it (the same variant again)."""
    count, n = codes.shape
    multiplier = np.uint64(_MULTIPLIER)
    powers = np.array([pow(_MULTIPLIER, k, 2**64) for k in range(n + 1)], np.uint64)
    prefix = np.zeros((count, n + 1), np.uint64)  # prefix[:, i]: the key of the first i letters
    suffix = np.zeros((count, n + 1), np.uint64)  # suffix[:, i]: the last n - i letters' share of the word's key
    for i in range(n):
        prefix[:, i + 1] = prefix[:, i] * multiplier + codes[:, i]
    for i in range(n - 1, -1, -1):
        suffix[:, i] = suffix[:, i + 1] + codes[:, i] * powers[n - 1 - i]
    keys = np.empty((count, n + 1), np.uint64)
    keys[:, :n] = prefix[:, :n] * powers[:n][::-1] + suffix[:, 1:]
    keys[:, n] = prefix[:, n]
    kept = np.ones((count, n + 1), bool)
    kept[:, 1:n] = codes[:, 1:] != codes[:, :-1]
    return keys, kept
