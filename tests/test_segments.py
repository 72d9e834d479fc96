"""Segments: an index updated by writes, and merged, holds exactly what a fresh build over the same documents holds,
scores every passage as BM25Okapi does, and answers every question the same."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_index import VOCABULARY, random_corpus, reference_scores
from test_spelling import probes

from qa_service.analysis import terms
from qa_service.answering import answer
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index, LayeredTable
from qa_service.segments import MERGE_FACTOR, merge_plan

ROOT = Path(__file__).resolve().parent.parent


def assert_same_as_fresh_build(index: Index) -> None:
    """Every statistic, every passage and every score equal, to the bit, those of Index.build over the same list."""
    fresh = Index.build(index.documents)
    assert list(index.passages) == list(fresh.passages)
    assert index.passage_start.tolist() == fresh.passage_start.tolist()
    assert index.live_length == fresh.live_length
    assert index.average_length == fresh.average_length
    assert index.document_frequency == fresh.document_frequency
    assert dict(index.idf) == dict(fresh.idf)
    assert index.average_idf == fresh.average_idf
    assert index.vocabulary == fresh.vocabulary
    assert index.aliases == fresh.aliases
    assert index.variants == fresh.variants
    assert index.sentence_frequency == fresh.sentence_frequency
    assert index.sentence_count == fresh.sentence_count
    assert index.word_documents == fresh.word_documents
    assert index.alias_documents == fresh.alias_documents
    assert index.alpha_terms == fresh.alpha_terms
    assert index.position == fresh.position
    assert index.sentence_base.tolist() == fresh.sentence_base.tolist()
    assert index.version == fresh.version
    assert_same_spelling(index, fresh)
    for term in fresh.postings:
        ids, weights = index.postings[term]
        fresh_ids, fresh_weights = fresh.postings[term]
        assert np.array_equal(ids, fresh_ids) and np.array_equal(weights, fresh_weights)
    for words in (VOCABULARY[:3], VOCABULARY[::5], VOCABULARY[-4:], ["lithium", "unseen"]):
        query = dict.fromkeys(terms(" ".join(words)), 1.0)
        assert np.array_equal(index.scores(query), fresh.scores(query))
        assert index.search(query, k=5) == fresh.search(query, k=5)


def assert_same_spelling(index: Index, fresh: Index) -> None:
    """The spelling table finds the same words as a fresh build's for every variant of the words either holds, and
    of the words that left since its arrays were made (which they still hold, under the writes' changes)."""
    words = {*fresh.vocabulary, *index.spelling.words, *fresh.spelling.words,
             *(word for words in index.spelling.changes.values() for word in words)}
    for variant in probes(words):
        assert sorted(index.spelling.get(variant, ())) == sorted(fresh.spelling.get(variant, ())), variant


def changes_between(before: list, after: list) -> dict:
    """What a store reports a write changed: each new or replaced document by id, None for each removed one."""
    old = {doc.document.id: doc for doc in before}
    new = {doc.document.id: doc for doc in after}
    return {doc_id: new.get(doc_id) for doc_id in old.keys() | new.keys() if old.get(doc_id) is not new.get(doc_id)}


def write(documents: list, rng: random.Random, pool: list) -> list:
    """The document list after one random write: a new document, a replaced one or a removed one, kept in id order
    as the stores list them."""
    by_id = {doc.document.id: doc for doc in documents}
    action = rng.choice(["add", "replace", "remove"] if len(by_id) > 1 else ["add", "replace"])
    if action == "remove":
        del by_id[rng.choice(sorted(by_id))]
    else:
        new = rng.choice(pool)
        doc_id = rng.choice(sorted(by_id)) if action == "replace" else f"new{len(by_id)}-{rng.randrange(10**6)}"
        by_id[doc_id] = analyse(parse_document(doc_id, new.document.text))
    return [by_id[doc_id] for doc_id in sorted(by_id)]


def written(rng: random.Random, pool_size: int, first: int, count: int) -> Iterator[Index]:
    """An index built on the first documents of a random pool, after each of `count` random writes in turn."""
    pool = random_corpus(rng, documents=pool_size)
    documents = sorted(pool[:first], key=lambda d: d.document.id)
    index = Index.build(documents)
    for _ in range(count):
        documents = write(documents, rng, pool)
        index = index.updated(documents)
        yield index


# --- add, replace, remove, merge: the same as a fresh build --------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_an_index_updated_by_any_sequence_of_writes_equals_a_fresh_build(seed):
    for index in written(random.Random(seed), pool_size=8, first=3, count=12):
        assert_same_as_fresh_build(index)


@pytest.mark.parametrize("seed", range(6))
def test_scores_after_adds_and_removals_equal_bm25okapi_over_the_live_passages(seed):
    rng = random.Random(50 + seed)
    *_, index = written(rng, pool_size=8, first=4, count=8)

    for _ in range(10):
        query_terms = list(dict.fromkeys(terms(" ".join(rng.sample(VOCABULARY, k=rng.randint(1, 5))))))
        expected = reference_scores(index, query_terms)

        found = index.scores(dict.fromkeys(query_terms, 1.0))

        assert np.allclose(found, expected, rtol=1e-12, atol=1e-12)


def test_a_replaced_document_goes_to_a_new_segment_and_its_old_passages_stop_counting():
    documents = random_corpus(random.Random(1), documents=4)
    index = Index.build(documents)
    replacement = analyse(parse_document(documents[1].document.id, "Lithium lithium lithium. Sodium."))

    updated = index.updated([documents[0], replacement, *documents[2:]])

    assert len(updated.segments) == 2
    assert updated.segments[0] is index.segments[0]
    assert updated.segments[1].document_count == 1
    assert updated.passage_count == index.passage_count - len(documents[1].windows) + len(replacement.windows)
    assert_same_as_fresh_build(updated)


def test_updating_with_the_same_documents_indexes_nothing_again():
    documents = random_corpus(random.Random(2), documents=3)
    index = Index.build(documents)

    same = index.updated(list(documents))

    assert same.segments == index.segments
    assert same.document_frequency is index.document_frequency


def test_a_segment_whose_documents_are_all_removed_is_dropped():
    documents = random_corpus(random.Random(3), documents=3)
    index = Index.build(documents[:2]).updated(documents)

    without_new = index.updated(documents[:2])

    assert len(index.segments) == 2
    assert len(without_new.segments) == 1
    assert_same_as_fresh_build(without_new)


def test_removing_every_document_leaves_an_index_that_finds_nothing():
    index = Index.build(random_corpus(random.Random(4), documents=2))

    empty = index.updated([])

    assert empty.passage_count == 0 and empty.segments == ()
    assert empty.search({"lithium": 1.0}) == []


@pytest.mark.parametrize("seed", range(4))
def test_merging_segments_changes_no_statistic_and_no_score(seed):
    rng = random.Random(200 + seed)
    *_, index = written(rng, pool_size=10, first=2, count=10)
    chosen = rng.sample(range(len(index.segments)), k=rng.randint(1, len(index.segments)))

    merged = index.merged(chosen)

    assert len(merged.segments) == len(index.segments) - len(chosen) + 1
    assert sum(s.passage_count for s in merged.segments) <= sum(s.passage_count for s in index.segments)
    assert_same_as_fresh_build(merged)


def test_a_term_in_most_passages_is_floored_with_the_average_idf_of_a_fresh_build():
    # Every passage holds "lithium", so its idf is negative and floored at EPSILON times the average idf: a float
    # sum over the terms in the order BM25Okapi meets them, which a write moves.
    texts = ["Lithium sodium. Lithium potassium.", "Lithium calcium. Lithium rubidium.", "Lithium caesium."]
    documents = [analyse(parse_document(f"doc{n}", text)) for n, text in enumerate(texts)]
    index = Index.build(documents[1:]).updated(documents)

    assert index.idf["lithium"] == Index.build(documents).idf["lithium"]
    assert_same_as_fresh_build(index)


# --- what a write changes, and only that ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_an_index_changed_by_id_equals_the_index_updated_with_the_whole_list(seed):
    rng = random.Random(300 + seed)
    pool = random_corpus(rng, documents=8)
    documents = sorted(pool[:3], key=lambda d: d.document.id)
    by_id = by_list = Index.build(documents)
    for _ in range(12):
        after = write(documents, rng, pool)
        by_id = by_id.changed(changes_between(documents, after))
        by_list = by_list.updated(after)
        documents = after

        assert by_id.documents == by_list.documents == documents
        assert_same_as_fresh_build(by_id)


@pytest.mark.parametrize("seed", range(4))
def test_the_corpus_version_is_that_of_the_documents_held_whatever_writes_led_there(seed):
    rng = random.Random(400 + seed)
    pool = random_corpus(rng, documents=8)
    documents = sorted(pool[:3], key=lambda d: d.document.id)
    index = Index.build(documents)
    versions_seen = {}
    for _ in range(20):
        after = write(documents, rng, pool)
        index = index.changed(changes_between(documents, after)) if rng.random() < 0.5 else index.updated(after)
        if rng.random() < 0.3 and index.merge_plan():
            index = index.merged(index.merge_plan())
        documents = after
        held = frozenset((doc.document.id, doc.document.version) for doc in documents)

        assert index.version == Index.build(list(reversed(documents))).version
        assert len(index.version) == 16 and int(index.version, 16) >= 0
        assert versions_seen.setdefault(index.version, held) == held


def test_the_spelling_table_moved_by_writes_and_merges_looks_up_as_one_built_afresh():
    rng = random.Random(7)
    pool = random_corpus(rng, documents=8)
    extra = analyse(parse_document("zz-new", "Lithium carbonate neutralises the acidity. Potassium lingers."))
    documents = sorted(pool[:4], key=lambda d: d.document.id)
    index = Index.build(documents)
    for step in range(12):
        after = write(documents, rng, pool)
        index = index.changed(changes_between(documents, after))
        documents = after
        if step == 5:
            index = index.merged(list(range(len(index.segments))))
            assert not index.spelling.changes
    index = index.changed({"zz-new": extra})

    assert index.spelling.changes
    assert "neutralises" in index.spelling.get("neutralses")
    assert_same_spelling(index, Index.build(index.documents))
    merged = index.merged(list(range(len(index.segments))))
    assert not merged.spelling.changes
    assert_same_spelling(merged, Index.build(index.documents))


def test_a_write_leaves_the_index_it_was_made_from_answering_as_before():
    rng = random.Random(8)
    pool = random_corpus(rng, documents=6)
    documents = sorted(pool[:4], key=lambda d: d.document.id)
    index = Index.build(documents)
    replaced = analyse(parse_document(documents[1].document.id, "Lithium lithium. Unheardof words here."))

    later = [index.changed({documents[1].document.id: replaced}),
             index.changed({documents[0].document.id: None}),
             index.changed({"zz-new": pool[5]}),
             index.updated([documents[0], replaced, pool[4]])]

    assert all(after.version != index.version for after in later)
    assert index.documents == documents
    assert_same_as_fresh_build(index)


def test_a_layered_table_reads_as_a_dict_changed_the_same_way_and_leaves_its_predecessors_as_they_were():
    rng = random.Random(9)
    table, plain = LayeredTable.of({}), {}
    history = []
    for _ in range(200):
        changes = {}
        for _ in range(rng.randint(0, 6)):
            key = rng.choice("abcdefghijklmnop")
            changes[key] = None if rng.random() < 0.4 else rng.randint(1, 9)
        history.append((table, dict(plain)))
        table = table.with_changes(changes)
        for key, value in changes.items():
            if value is None:
                plain.pop(key, None)
            else:
                plain[key] = value

        assert dict(table) == plain and len(table) == len(plain)
        assert all((key in table) == (key in plain) and table.get(key) == plain.get(key) for key in "abcdefghijklmnopq")
        assert dict(table.flattened()) == plain and not table.flattened().changes
    assert all(dict(before) == as_it_was for before, as_it_was in history)


# --- the merge policy -----------------------------------------------------------------------------------------


def test_segments_of_one_size_tier_are_merged_once_there_are_merge_factor_of_them():
    assert merge_plan([5000] + [30] * (MERGE_FACTOR - 1)) == []
    assert merge_plan([5000] + [30] * MERGE_FACTOR) == list(range(1, MERGE_FACTOR + 1))


def test_a_segment_mostly_deleted_falls_to_a_lower_tier_and_is_merged_with_the_small_ones():
    assert merge_plan([40] + [30] * (MERGE_FACTOR - 1)) == list(range(MERGE_FACTOR))


def test_an_index_of_many_small_segments_plans_to_merge_them():
    text = "Lithium Notes\n\nLithium is a metal. Sodium is another metal. Kidneys matter. So does the dose."
    pool = [analyse(parse_document(f"doc{n:02d}", text)) for n in range(MERGE_FACTOR + 1)]
    index = Index.build(pool[:1])
    for n in range(1, len(pool)):
        index = index.updated(pool[:n + 1])

    plan = index.merge_plan()

    assert len(index.segments) == MERGE_FACTOR + 1
    assert len(plan) >= MERGE_FACTOR
    assert index.merged(plan).merge_plan() == []


# --- answers --------------------------------------------------------------------------------------------------

QUESTIONS = ["What is Keppra?", "What are the side effects of Keppra?", "Is it used for migraine?",
             "What dose is used for children?", "How does lithium work?", "What about the kidneys?",
             "What is sodium?", "Who discovered levetiracetam?"]
NOTES = ["Lithium Notes\n\nLithium is a metal. Sodium is another metal.\n\nKidney function matters for dosing.",
         "Sodium Notes\n\nSodium is found in salt. Too much sodium raises blood pressure.",
         "Keppra Notes\n\nKeppra, also known as levetiracetam, is taken twice a day. Children take a smaller dose."]


def test_a_corpus_built_by_a_sequence_of_writes_answers_as_one_built_at_once():
    keppra = analyse(parse_document("keppra-article", (ROOT / "corpus" / "keppra-article.txt").read_text()))
    notes = [analyse(parse_document(f"notes-{n}", text)) for n, text in enumerate(NOTES)]
    index = Index.build([keppra])
    for n in range(len(notes)):
        index = index.updated([keppra, *notes[:n + 1]])
    replaced = analyse(parse_document("notes-1", NOTES[1].replace("salt", "table salt")))
    index = index.updated([keppra, notes[0], replaced, notes[2]])
    index = index.updated([keppra, replaced, notes[2]])
    built_at_once = Index.build([keppra, replaced, notes[2]])
    assert_same_as_fresh_build(index)

    for question in QUESTIONS:
        written, at_once = answer(index, question), answer(built_at_once, question)

        assert written.found == at_once.found
        assert written.confidence == at_once.confidence
        assert [(q.document, q.start, q.end) for q in written.quotes] == \
            [(q.document, q.start, q.end) for q in at_once.quotes]
