"""The nearest sentences in meaning: a shortlist by principal axes finds what comparing every vector finds."""

from __future__ import annotations

import numpy as np

from qa_service.vector_search import SEARCH_WIDTH, SHORTLIST, Projection, nearest


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def corpus_like(n: int, width: int = 384, seed: int = 1) -> np.ndarray:
    """Unit vectors that, like sentence embeddings, vary mostly along a few directions."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(40, width))
    mix = rng.normal(size=(n, 40)) * np.linspace(3, 0.2, 40)
    return unit(mix @ topics + 0.3 * rng.normal(size=(n, width))).astype(np.float16)


def exact(vectors: np.ndarray, vector: np.ndarray, k: int) -> list[int]:
    cosines = vectors.astype(np.float32) @ vector
    return sorted(range(len(cosines)), key=lambda row: (-cosines[row], row))[:k]


def test_the_shortlist_finds_the_same_ten_nearest_as_comparing_every_vector():
    vectors = corpus_like(3000)
    projection = Projection.of(vectors)
    assert projection is not None and projection.rows.shape == (3000, SEARCH_WIDTH)
    rng = np.random.default_rng(2)
    questions = unit(vectors[rng.choice(3000, 50)].astype(np.float32) + 0.2 * unit(rng.normal(size=(50, 384))))
    same = [list(nearest(vectors, projection, q.astype(np.float32), None, 10)[0]) == exact(vectors, q, 10)
            for q in questions]
    assert np.mean(same) >= 0.9


def test_the_cosines_returned_are_the_exact_ones_best_first():
    vectors = corpus_like(500)
    question = vectors[7].astype(np.float32)
    rows, cosines = nearest(vectors, Projection.of(vectors), question, None, 5)
    assert rows[0] == 7
    assert np.allclose(cosines, vectors[rows].astype(np.float32) @ question)
    assert list(cosines) == sorted(cosines, reverse=True)


def test_a_corpus_no_larger_than_the_shortlist_is_compared_in_full():
    vectors = corpus_like(SHORTLIST)
    assert Projection.of(vectors) is None
    question = unit(np.ones(384, np.float32))
    assert list(nearest(vectors, None, question, None, 10)[0]) == exact(vectors, question, 10)


def test_only_allowed_rows_are_returned_even_when_fewer_than_asked():
    vectors = corpus_like(1000)
    allowed = np.zeros(1000, dtype=bool)
    allowed[100:103] = True
    rows, _ = nearest(vectors, Projection.of(vectors), vectors[5].astype(np.float32), allowed, 10)
    assert sorted(rows) == [100, 101, 102]


def test_equal_cosines_are_ordered_by_row():
    vectors = np.tile(unit(np.ones((1, 384))), (5, 1)).astype(np.float16)
    rows, _ = nearest(vectors, None, unit(np.ones(384, np.float32)), None, 3)
    assert list(rows) == [0, 1, 2]
