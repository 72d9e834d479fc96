"""What a worker keeps of its answers' work is bounded: recent.Recent, and the index's postings, passages and traits."""

from __future__ import annotations

import numpy as np
import pytest

from qa_service import index as index_module
from qa_service.answering import answer
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.recent import Recent


def test_a_value_is_kept_until_two_generations_have_filled_after_it():
    recent: Recent[str, int] = Recent(3)
    recent.put("a", 1)
    for key in "bcdefg":
        recent.put(key, 0)

    assert recent.get("a") is None
    assert [recent.get(key) for key in "def"] == [0, 0, 0]
    assert len(recent) <= 6


def test_a_value_used_again_stays_however_many_others_come():
    recent: Recent[int, str] = Recent(4)
    recent.put(-1, "often")

    for key in range(100):
        recent.put(key, "once")
        assert recent.get(-1) == "often"
        assert len(recent) <= 8


def test_the_budget_is_of_weight_when_values_are_weighed():
    recent: Recent[int, bytes] = Recent(1000, len)
    for key in range(50):
        recent.put(key, bytes(300))

    assert recent.weight <= 2000
    assert recent.get(49) == bytes(300)


def test_a_value_used_again_counts_once_though_both_generations_hold_it():
    recent: Recent[str, bytes] = Recent(200, len)
    recent.put("a", bytes(60))
    recent.put("b", bytes(60))
    recent.put("c", bytes(100))  # over the budget: "a" and "b" are the old generation now

    recent.get("a")  # kept in the young one too

    assert len(recent) == 3 and recent.weight == 220


def test_a_value_heavier_than_the_budget_is_kept_alone_and_given_back():
    recent: Recent[str, bytes] = Recent(10, len)
    recent.put("small", b"x")

    assert recent.put("large", bytes(50)) == bytes(50)
    assert recent.get("large") == bytes(50)
    assert recent.get("small") == b"x"  # the old generation, until another generation fills


def corpus_of_many_terms(documents: int = 30) -> list:
    return [analyse(parse_document(f"note-{d}", f"Note {d}\n\n" + " ".join(
        f"The word{d}x{s} sits beside word{(d + 1) % documents}x{s} and shared{s % 7} in sentence {s}."
        for s in range(12)))) for d in range(documents)]


def test_an_index_keeps_postings_within_its_budget_and_scores_as_if_it_kept_them_all(monkeypatch):
    monkeypatch.setattr(index_module, "POSTINGS_KEPT_BYTES", 2_000)
    documents = corpus_of_many_terms()
    bounded, unbounded = Index.build(documents), None
    monkeypatch.setattr(index_module, "POSTINGS_KEPT_BYTES", 1 << 30)
    unbounded = Index.build(documents)
    queries = [{f"word{d}x{s}": 1.0, f"shared{s % 7}": 0.5} for d in range(30) for s in range(0, 12, 3)]

    for query in queries + queries[::-1]:
        assert np.array_equal(bounded.scores(query), unbounded.scores(query))

    assert bounded.kept()["postings_bytes"] <= 2 * 2_000 < unbounded.kept()["postings_bytes"]


@pytest.mark.parametrize("limit", [8, 1 << 20])
def test_answers_are_the_same_however_little_an_index_keeps(monkeypatch, limit):
    monkeypatch.setattr(index_module, "PASSAGES_KEPT", limit)
    monkeypatch.setattr(index_module, "POSTINGS_KEPT_BYTES", limit * 16)
    monkeypatch.setattr(index_module, "TRAITS_KEPT", limit)
    documents = corpus_of_many_terms(12)
    index = Index.build(documents)
    questions = [f"Which word sits beside word{d}x{s}?" for d in range(12) for s in range(0, 12, 4)]

    first = [answer(index, q).quotes for q in questions]
    again = [answer(index, q).quotes for q in questions]

    assert first == again
    assert first == [answer(Index.build(documents), q).quotes for q in questions]
    kept = index.kept()
    assert 0 < kept["passages"] <= 2 * limit and 0 < kept["traits"] <= 2 * limit
