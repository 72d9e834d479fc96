"""Packed per-sentence data (qa_service/packed.py) reads back exactly as the tuples and counts it was made from."""

import pickle
from collections import Counter

import pytest

from qa_service.document_analysis import Window, analyse
from qa_service.documents import Document
from qa_service.packed import PackedCounts, PackedRows, PackedTerms, smallest_unsigned
from qa_service.sentences import Sentence

SENTENCES = [Sentence(0, 12, 0, True, False), Sentence(13, 40, 1), Sentence(41, 90, 1, False, True)]


def test_packed_rows_read_back_as_the_named_tuples_they_were_made_from():
    packed = PackedRows.of(SENTENCES, Sentence)

    assert len(packed) == 3
    assert list(packed) == SENTENCES
    assert packed[1] == SENTENCES[1] and packed[-1] == SENTENCES[-1]
    assert packed[0:2] == SENTENCES[0:2]
    assert packed == SENTENCES


def test_packed_rows_give_bools_back_as_bools():
    heading = PackedRows.of(SENTENCES, Sentence)[0]

    assert heading.heading is True and heading.question is False
    assert type(heading.start) is int


def test_packed_rows_of_nothing_are_empty():
    packed = PackedRows.of([], Window)

    assert len(packed) == 0 and list(packed) == []


def test_packed_terms_read_back_as_each_sentences_tuple_of_terms():
    sentence_terms = [("keppra", "dose"), (), ("dose", "rais", "slow", "dose")]
    packed = PackedTerms.of(sentence_terms)

    assert len(packed) == 3
    assert [packed[i] for i in range(3)] == sentence_terms
    assert list(packed) == sentence_terms
    assert packed[-1] == sentence_terms[-1] and packed[0:2] == sentence_terms[0:2]
    assert packed.terms == ("keppra", "dose", "rais", "slow")
    with pytest.raises(IndexError):
        packed[3]


def test_packed_terms_made_apart_share_one_string_per_term():
    first = PackedTerms.of([("".join(["mig", "raine"]),)])
    second = PackedTerms.of([("".join(["migr", "aine"]), "aura")])

    assert first[0] == ("migraine",) and second[0] == ("migraine", "aura")
    assert first.terms[0] is second.terms[0]


def test_packed_forms_unpickled_share_strings_again_once_interned():
    made = PackedTerms.of([("migraine", "aura")])
    counts = PackedCounts.of({"migraine": 2})
    sent_terms, sent_counts = pickle.loads(pickle.dumps((made, counts)))

    assert sent_terms.terms[0] is not made.terms[0]
    assert sent_terms.interned().terms[0] is made.terms[0]
    assert sent_counts.interned().words[0] is made.terms[0]
    assert list(sent_terms.interned()) == list(made)


def test_packed_counts_look_up_as_the_counter_they_were_made_from():
    counts = Counter({"fatigue": 3, "dizziness": 1, "keppra": 300})
    packed = PackedCounts.of(counts)

    assert packed == counts and dict(packed.items()) == dict(counts)
    assert packed["keppra"] == 300 and packed.get("fatigue", 0) == 3
    assert packed.get("headache", 0) == 0 and "headache" not in packed and 42 not in packed
    assert sorted(packed.keys()) == sorted(counts) and len(packed) == 3
    with pytest.raises(KeyError):
        packed["headache"]


def test_packed_counts_survive_pickling():
    packed = PackedCounts.of(Counter({"aura": 2, "migraine": 5}))

    assert pickle.loads(pickle.dumps(packed)) == packed


def test_the_narrowest_unsigned_type_holds_the_largest_value():
    assert [smallest_unsigned(n).__name__ for n in (0, 255, 256, 65_535, 65_536)] == [
        "uint8", "uint8", "uint16", "uint16", "uint32"]


def test_an_analysed_document_reads_the_same_after_a_snapshot_round_trip():
    text = "Keppra helps some people.\n\nIt is raised slowly. The dose is doubled after two weeks. Ask first."
    analysed = analyse(Document("leaflet", "Leaflet", text))
    loaded = pickle.loads(pickle.dumps(analysed))

    assert list(loaded.sentences) == list(analysed.sentences)
    assert list(loaded.sentence_terms) == list(analysed.sentence_terms)
    assert list(loaded.windows) == [Window(0, 0), Window(1, 3)]
    assert dict(loaded.surface_words.items()) == dict(analysed.surface_words.items())
    assert loaded.sentence_text(2) == "The dose is doubled after two weeks."


def test_a_column_reads_one_field_of_every_row_as_ints():
    packed = PackedRows.of(SENTENCES, Sentence)

    assert list(packed.column("paragraph")) == [0, 1, 1]
    assert list(packed.column("heading")) == [1, 0, 0]
    assert pickle.loads(pickle.dumps(packed)).column("end")[2] == 90
