"""The array-based index build: postings, frequencies and filters equal a direct count over each passage."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest

from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import K1, B, Index

WORDS = "lithium sodium potassium kidney tremor dose child adult renal liver seizure migraine".split()


def random_documents(rng: random.Random, count: int) -> list:
    documents = []
    for d in range(count):
        paragraphs = []
        for _ in range(rng.randint(1, 4)):
            sentences = []
            for _ in range(rng.randint(1, 6)):
                # Some sentences are stop words only: sentences and passages without a single term.
                words = rng.choices(WORDS, k=rng.randint(1, 9)) if rng.random() > 0.15 else ["the", "of", "and"]
                sentences.append(" ".join(words).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        documents.append(analyse(parse_document(f"doc{d}", "\n\n".join(paragraphs))))
    return documents


def passage_counts(index: Index) -> list[Counter]:
    counts = []
    for passage in index.passages:
        sentence_terms = index.documents[passage.document].sentence_terms
        counts.append(Counter(t for i in range(passage.first, passage.last + 1) for t in sentence_terms[i]))
    return counts


@pytest.mark.parametrize("seed", range(6))
def test_postings_list_every_passage_holding_a_term_with_its_bm25_term_weight(seed):
    documents_count = 1 + seed % 4
    index = Index.build(random_documents(random.Random(seed), documents_count))
    counts = passage_counts(index)
    lengths = [sum(c.values()) for c in counts]
    average = sum(lengths) / len(lengths)

    assert len(index.documents) == documents_count
    assert set(index.postings) == set().union(*counts)
    for term in index.postings:
        ids, weights = index.postings[term]
        expected_ids = [p for p, c in enumerate(counts) if term in c]
        assert ids.tolist() == expected_ids
        tf = np.array([counts[p][term] for p in expected_ids], dtype=float)
        dl = np.array([lengths[p] for p in expected_ids], dtype=float)
        assert np.array_equal(weights, tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / average)))
        assert index.document_frequency[term] == len(expected_ids)


def test_terms_are_kept_in_the_order_the_passages_first_use_them():
    index = Index.build(random_documents(random.Random(11), 3))

    first_use = list(dict.fromkeys(t for c in passage_counts(index) for t in c))

    assert list(index.document_frequency) == first_use
    assert list(index.idf) == first_use
    assert list(index.postings) == first_use


def test_each_passage_belongs_to_the_document_it_was_cut_from():
    index = Index.build(random_documents(random.Random(5), 4))

    assert index.document_of(np.arange(index.passage_count)).tolist() == [p.document for p in index.passages]


def test_an_empty_corpus_builds_an_index_that_finds_nothing():
    index = Index.build([])

    assert index.passage_count == 0
    assert index.search({"lithium": 1.0}) == []
    assert index.scores({"lithium": 1.0}).shape == (0,)


def test_a_corpus_of_stop_words_has_no_terms_and_finds_nothing():
    index = Index.build([analyse(parse_document("empty", "The of and. It is the one."))])

    assert len(index.postings) == 0
    assert index.search({"the": 1.0}) == []
    assert not index.scores({"lithium": 1.0}).any()


def test_a_document_filter_naming_only_unknown_documents_finds_nothing():
    index = Index.build(random_documents(random.Random(2), 2))

    assert index.search({"lithium": 1.0}, documents=["no-such-document"]) == []
    assert index.search({"lithium": 1.0}, documents=[]) == []


def test_scores_add_each_terms_weighted_contribution():
    index = Index.build(random_documents(random.Random(9), 3))
    counts = passage_counts(index)

    scores = index.scores({"lithium": 2.0, "kidney": 0.5, "unseen": 1.0})

    for p, c in enumerate(counts):
        expected = 0.0
        for term, weight in (("lithium", 2.0), ("kidney", 0.5)):
            if term in c:
                ids, weights = index.postings[term]
                expected += index.idf[term] * weight * weights[ids.tolist().index(p)]
        assert math.isclose(scores[p], expected, rel_tol=1e-12, abs_tol=1e-12)
