"""The spelling table (spelling.py): its arrays look every variant up as a dict of each word's one-deletion variants
does, after writes that add and remove words, once flattened, and after pickling (a snapshot)."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from qa_service import spelling
from qa_service.spelling import SpellingTable, deletions, variant_key

WORDS = ["keppra", "kepra", "treats", "seizures", "seizure", "aaa", "abba", "ab", "x", "café", "cafe", "naïve",
         "straße", "λίθιο", "levetiracetam", "lithium", "lithum", "litium"]


def reference_table(words) -> dict[str, list[str]]:
    """The table as a dict: each one-deletion variant of each word of three letters or more (and the word itself) to
    the words it comes from, in the order given."""
    table: dict[str, list[str]] = {}
    for word in words:
        if len(word) >= spelling.MIN_LENGTH:
            for variant in deletions(word) | {word}:
                table.setdefault(variant, []).append(word)
    return table


def probes(words) -> set[str]:
    """Every variant of these words, and their own one-deletion variants (mostly no key of the table)."""
    found = set()
    for variant in reference_table(words):
        found |= deletions(variant) | {variant}
    return found


def assert_looks_up_as(table: SpellingTable, words, asked=()) -> None:
    """The table finds, for every variant of these words and of the words `asked`, the words of the dict form, in
    any order; and nothing for any other text probed."""
    reference = reference_table(words)
    for variant in probes([*words, *asked]):
        assert sorted(table.get(variant, ())) == sorted(reference.get(variant, [])), variant


def random_words(rng: random.Random, count: int) -> list[str]:
    letters = "aabbcdeéklpst"  # few letters, so that words share variants
    return list(dict.fromkeys("".join(rng.choices(letters, k=rng.randint(1, 9))) for _ in range(count)))


def test_a_variant_finds_the_words_it_comes_from_in_the_order_given():
    table = SpellingTable.of(WORDS)

    reference = reference_table(WORDS)
    assert all(table.get(variant) == tuple(words) for variant, words in reference.items())
    assert table.get("kepra") == ("keppra", "kepra")
    assert table.get("caf") == ("café", "cafe")
    assert table.get("ab") is None and table.get("a", ()) == ()
    assert_looks_up_as(table, WORDS)


def test_the_keys_worked_out_for_all_words_at_once_are_each_variants_own_key():
    table = SpellingTable.of(WORDS)

    entries = [(variant_key(variant), word) for variant, words in reference_table(WORDS).items() for word in words]
    assert sorted(entries) == sorted(zip(table.keys.tolist(), [table.words[n] for n in table.word_numbers.tolist()],
                                         strict=True))
    assert np.all(np.diff(table.keys.astype(object)) >= 0)


def test_a_lookup_keeps_only_the_words_whose_variant_it_is_when_variants_share_a_key(monkeypatch):
    # A multiplier of 0 keys every text by its last letter alone: variants share keys everywhere.
    monkeypatch.setattr(spelling, "_MULTIPLIER", 0)
    table = SpellingTable.of(WORDS)

    assert len(set(table.keys.tolist())) < len(reference_table(WORDS))
    assert_looks_up_as(table, WORDS)


@pytest.mark.parametrize("seed", range(4))
def test_writes_that_add_and_remove_words_look_up_as_a_table_of_the_words_held(seed):
    rng = random.Random(seed)
    pool = random_words(rng, 60)
    held = pool[:30]
    table = SpellingTable.of(held)
    for _ in range(25):
        left = rng.sample(held, k=rng.randint(0, min(3, len(held))))
        arrived = [w for w in rng.sample(pool, k=rng.randint(0, 3)) if w not in held]
        before, held_before = table, list(held)
        held = [w for w in held if w not in left] + arrived

        table = table.moved(arrived=arrived, left=left)

        assert_looks_up_as(table, held, asked=pool)
        assert_looks_up_as(before, held_before, asked=pool)  # the table a write was made from is left as it was
    assert_looks_up_as(table.flattened(), held, asked=pool)
    assert not table.flattened().changes


def test_a_word_that_left_and_came_back_is_found_once():
    table = SpellingTable.of(["keppra", "lithium"])

    table = table.moved(arrived=[], left=["keppra"]).moved(arrived=["keppra"], left=[])

    assert table.get("kepra") == ("keppra",)
    assert table.flattened().get("kepra") == ("keppra",)


def test_changes_that_outnumber_the_arrays_are_folded_into_them_at_once():
    table = SpellingTable.of(["keppra"])

    moved = table.moved(arrived=["lithium", "sodium"], left=[])

    assert not moved.changes
    assert_looks_up_as(moved, ["keppra", "lithium", "sodium"])


def test_a_table_survives_pickling_with_its_changes():
    table = SpellingTable.of(WORDS).moved(arrived=["lamotrigine"], left=["treats"])

    loaded = pickle.loads(pickle.dumps(table, protocol=5))

    assert_looks_up_as(loaded, [w for w in WORDS if w != "treats"] + ["lamotrigine"], asked=["treats"])


def test_a_table_of_no_words_finds_nothing():
    table = SpellingTable.of([])

    assert table.get("kepra") is None
    assert table.moved(arrived=["keppra"], left=[]).get("kepra") == ("keppra",)
