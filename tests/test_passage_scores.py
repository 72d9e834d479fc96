"""PassageScores: a query's BM25 scores summed over the postings read, the same floats as a score per passage."""

import numpy as np

from qa_service.passage_scores import PassageScores


def postings(rng, terms, passages):
    ids = [np.sort(rng.choice(passages, size=rng.integers(1, passages // 2), replace=False)).astype(np.int32)
           for _ in range(terms)]
    return ids, [rng.random(i.size) * rng.random() * 5 for i in ids]


def test_sums_are_the_floats_of_a_score_per_passage_added_term_by_term():
    rng = np.random.default_rng(7)
    for _ in range(50):
        ids, contributions = postings(rng, int(rng.integers(1, 8)), 300)
        every = np.zeros(300)
        for term_ids, term_contributions in zip(ids, contributions, strict=True):
            every[term_ids] += term_contributions
        scores = PassageScores.summed(ids, contributions)
        assert np.array_equal(scores.dense(300), every)
        assert np.array_equal(scores.ids, np.flatnonzero(np.isin(np.arange(300), np.concatenate(ids))))


def test_no_terms_score_nothing():
    scores = PassageScores.summed([], [])
    assert scores.ids.size == 0
    assert not scores.dense(4).any()
    assert scores.best(3)[0].size == 0
    assert scores.of(2) == 0.0


def test_a_passage_no_term_holds_scores_zero():
    scores = PassageScores.summed([np.array([2, 5])], [np.array([1.5, 0.5])])
    assert scores.of(5) == 0.5
    assert scores.of(3) == 0.0
    assert scores.of(9) == 0.0


def test_best_is_the_highest_first_with_ties_by_id():
    scores = PassageScores.summed([np.array([1, 4, 6, 8]), np.array([4, 9])],
                                  [np.array([2.0, 1.5, 3.0, 2.0]), np.array([1.0, 0.5])])
    ids, values = scores.best(2)
    assert ids.tolist() == [6, 4]
    assert values.tolist() == [3.0, 2.5]
    ids, values = scores.best(10)
    assert ids.tolist() == [6, 4, 1, 8, 9]
    assert values.tolist() == [3.0, 2.5, 2.0, 2.0, 0.5]


def test_best_leaves_out_what_the_mask_drops_and_scores_of_zero():
    scores = PassageScores.summed([np.array([1, 2, 3])], [np.array([0.0, 2.0, 1.0])])
    assert scores.best(5)[0].tolist() == [2, 3]
    assert scores.best(5, keep=np.array([True, False, True]))[0].tolist() == [3]
