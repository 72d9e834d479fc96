"""The nearest sentences in meaning: a shortlist by principal axes, read a few clusters at a time, finds what
comparing every vector finds; a write moves the projection instead of fitting it again."""

from __future__ import annotations

import numpy as np
import pytest

from qa_service import vector_search
from qa_service.sentence_vectors import SentenceVectors
from qa_service.vector_search import SEARCH_WIDTH, SHORTLIST, Projection, nearest


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def corpus_like(n: int, width: int = 384, seed: int = 1) -> SentenceVectors:
    """Unit vectors that, like sentence embeddings, vary mostly along a few directions."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(40, width))
    mix = rng.normal(size=(n, 40)) * np.linspace(3, 0.2, 40)
    return SentenceVectors.of(unit(mix @ topics + 0.3 * rng.normal(size=(n, width))))


def exact(vectors: SentenceVectors, vector: np.ndarray, k: int) -> list[int]:
    cosines = vectors.cosines(slice(None), vector)
    return sorted(range(len(cosines)), key=lambda row: (-cosines[row], row))[:k]


def test_the_shortlist_finds_the_same_ten_nearest_as_comparing_every_vector():
    vectors = corpus_like(3000)
    projection = Projection.of(vectors)
    assert projection is not None and projection.base.rows.shape == (3000, SEARCH_WIDTH)
    rng = np.random.default_rng(2)
    questions = unit(vectors.floats(rng.choice(3000, 50)) + 0.2 * unit(rng.normal(size=(50, 384))))
    same = [list(nearest(vectors, projection, q.astype(np.float32), None, 10)[0]) == exact(vectors, q, 10)
            for q in questions]
    assert np.mean(same) >= 0.9


def test_the_cosines_returned_are_the_exact_ones_best_first():
    vectors = corpus_like(500)
    question = vectors.floats(7)
    rows, cosines = nearest(vectors, Projection.of(vectors), question, None, 5)
    assert rows[0] == 7
    assert np.allclose(cosines, vectors.floats(rows) @ question)
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
    rows, _ = nearest(vectors, Projection.of(vectors), vectors.floats(5), allowed, 10)
    assert sorted(rows) == [100, 101, 102]


def test_equal_cosines_are_ordered_by_row():
    vectors = SentenceVectors.of(np.tile(unit(np.ones((1, 384))), (5, 1)))
    rows, _ = nearest(vectors, None, unit(np.ones(384, np.float32)), None, 3)
    assert list(rows) == [0, 1, 2]


@pytest.fixture
def small_clusters(monkeypatch):
    """Clusters of about 64 sentences, 8 read per question: the large-corpus path on a corpus a test can make."""
    monkeypatch.setattr(vector_search, "CLUSTER_SIZE", 64)
    monkeypatch.setattr(vector_search, "PROBED", 8)


def near_questions(vectors: SentenceVectors, count: int, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chosen = vectors.floats(rng.choice(len(vectors), count))
    return unit(chosen + 0.2 * unit(rng.normal(size=(count, vectors.width))))


def topical_corpus(n: int, topics: int = 200, width: int = 384, seed: int = 3) -> SentenceVectors:
    """Unit vectors in tight groups, as sentences on the same subject are."""
    rng = np.random.default_rng(seed)
    centres = unit(rng.normal(size=(topics, width)))
    return SentenceVectors.of(unit(centres[rng.integers(0, topics, n)] + 0.04 * rng.normal(size=(n, width))))


def by_sentence(projection: Projection) -> np.ndarray:
    """The projection's rows in sentence order (it keeps them cluster by cluster)."""
    return projection.rows_of(np.arange(len(projection)))


def clusters_of_sentences(projection: Projection) -> np.ndarray:
    """Each sentence's cluster."""
    return projection.clusters()


def test_rows_are_kept_cluster_by_cluster_so_a_cluster_is_one_slice(small_clusters):
    vectors = corpus_like(8000)
    projection = Projection.of(vectors)
    on_axes = np.clip(np.rint((vectors.floats() - projection.mean) @ projection.axes / projection.step),
                      -127, 127).astype(np.int8)
    base = projection.base
    assert np.array_equal(base.rows, on_axes[base.order])
    cluster = clusters_of_sentences(projection)
    for c in (0, 7, len(projection.centres) - 1):
        start, end = base.bounds[c], base.bounds[c + 1]
        assert set(base.order[start:end]) == set(np.flatnonzero(cluster == c))


def test_a_large_corpus_is_read_a_few_clusters_at_a_time_and_the_nearest_are_still_found(small_clusters):
    vectors = topical_corpus(8000)
    projection = Projection.of(vectors)
    assert len(projection.centres) == 125
    questions = near_questions(vectors, 50)
    assert max(len(projection.candidates(q, None)[0]) for q in questions) < 8000 / 4
    found = [len(set(nearest(vectors, projection, q, None, 10)[0]) & set(exact(vectors, q, 10))) / 10
             for q in questions]
    assert np.mean(found) >= 0.95


def test_what_the_clusters_read_is_ranked_exactly(small_clusters):
    vectors = corpus_like(8000)
    projection = Projection.of(vectors)
    for question in near_questions(vectors, 20):
        read, rows = projection.candidates(question, None)
        assert np.array_equal(rows, by_sentence(projection)[read])
        cosines = vectors.cosines(read, question)
        best_read = read[np.argsort(-cosines, kind="stable")[:3]]
        assert set(nearest(vectors, projection, question, None, 3)[0]) == set(best_read)


def test_a_corpus_of_few_clusters_is_read_whole(small_clusters):
    vectors = corpus_like(8 * 64)
    projection = Projection.of(vectors)
    assert len(projection.centres) == 1
    assert sorted(projection.candidates(vectors.floats(0), None)[0]) == list(range(len(vectors)))


def test_allowed_rows_fewer_than_the_clusters_read_are_all_compared(small_clusters):
    vectors = corpus_like(8000)
    allowed = np.zeros(8000, dtype=bool)
    allowed[::40] = True  # 200 rows, spread over every cluster
    question = vectors.floats(3000)
    rows, _ = nearest(vectors, Projection.of(vectors), question, allowed, 5)
    assert list(rows) == [r for r in exact(vectors, question, 8000) if allowed[r]][:5]


def corpus_changed(vectors: SentenceVectors, dropped: slice, added: SentenceVectors
                   ) -> tuple[SentenceVectors, np.ndarray, np.ndarray]:
    """The corpus with the rows `dropped` taken out and `added` put at the end: the new vectors, where each old row
    went (-1: dropped), and the new rows."""
    keep = np.ones(len(vectors), bool)
    keep[dropped] = False
    moves = np.full(len(vectors), -1, np.int64)
    moves[keep] = np.arange(int(keep.sum()))
    changed = SentenceVectors.stacked([vectors[keep], added])
    return changed, moves, np.arange(int(keep.sum()), len(changed))


def test_a_write_projects_only_the_new_rows_on_the_same_axes_and_clusters(small_clusters):
    vectors = corpus_like(8000)
    projection = Projection.of(vectors)
    added = corpus_like(300, seed=9)
    changed, moves, new_rows = corpus_changed(vectors, slice(0, 200), added)

    moved = projection.updated(changed, moves, new_rows)

    assert moved.centres is projection.centres and moved.axes is projection.axes
    assert np.array_equal(by_sentence(moved)[:7800], by_sentence(projection)[200:])
    assert np.array_equal(clusters_of_sentences(moved)[:7800], clusters_of_sentences(projection)[200:])
    on_same_axes = np.rint((added.floats() - projection.mean) @ projection.axes / projection.step)
    assert np.array_equal(by_sentence(moved)[new_rows], np.clip(on_same_axes, -127, 127).astype(np.int8))
    for row in new_rows[:20]:
        assert nearest(changed, moved, changed.floats(row), None, 1)[0][0] == row


def test_a_corpus_grown_past_the_refit_growth_is_fitted_anew(small_clusters):
    vectors = corpus_like(2000)
    projection = Projection.of(vectors)
    changed, moves, new_rows = corpus_changed(vectors, slice(0, 0), corpus_like(2500, seed=9))

    moved = projection.updated(changed, moves, new_rows)

    assert moved.fitted_on == 4500 and len(moved.centres) == round(4500 / 64)


def test_a_write_leaves_the_arranged_rows_where_they_are_and_puts_the_new_sentences_in_a_small_tail(small_clusters):
    vectors = corpus_like(8000)
    projection = Projection.of(vectors)
    changed, moves, new_rows = corpus_changed(vectors, slice(100, 300), corpus_like(150, seed=9))

    moved = projection.updated(changed, moves, new_rows)

    assert moved.base.rows is projection.base.rows  # not moved, not copied: the pages every worker shares
    assert len(moved.tail) == 150 and moved.gone == 200
    assert set(moved.tail.order) == set(new_rows)


def test_after_writes_a_question_reads_the_same_sentences_as_from_rows_arranged_anew(small_clusters):
    vectors = corpus_like(8000)
    projection = Projection.of(vectors)
    for seed, dropped in ((9, slice(0, 200)), (10, slice(4000, 4100)), (11, slice(7700, 7850))):
        vectors, moves, new_rows = corpus_changed(vectors, dropped, corpus_like(120, seed=seed))
        projection = projection.updated(vectors, moves, new_rows)
    assert len(projection.tail) > 0 and projection.gone > 0
    everyone = np.arange(len(vectors))
    arranged_anew = Projection.arranged(
        projection.mean, projection.axes, projection.step, projection.centres, projection.fitted_on,
        vector_search.ClusteredRows.of(everyone, projection.clusters(), len(projection.centres), projection.rows_of))

    for question in near_questions(vectors, 20):
        read, rows = projection.candidates(question, None)
        read_anew, _ = arranged_anew.candidates(question, None)
        live = read >= 0
        assert sorted(read[live]) == sorted(read_anew)
        assert np.array_equal(rows[live], by_sentence(projection)[read[live]])
        assert list(nearest(vectors, projection, question, None, 5)[0]) == \
            list(nearest(vectors, arranged_anew, question, None, 5)[0])


def test_a_sentence_whose_document_left_is_never_read(small_clusters):
    vectors = corpus_like(8000)
    projection = Projection.of(vectors)
    changed, moves, new_rows = corpus_changed(vectors, slice(0, 500), corpus_like(10, seed=9))

    moved = projection.updated(changed, moves, new_rows)

    allowed = np.ones(len(changed), bool)
    allowed[::2] = False
    for question in vectors.floats(np.arange(0, 500, 50)):
        assert nearest(changed, moved, question, None, 10)[0].min() >= 0
        assert np.all(moved.candidates(question, allowed)[0] % 2 == 1)
        assert np.all(nearest(changed, moved, question, allowed, 10)[0] % 2 == 1)


@pytest.mark.parametrize("dropped, added", [(slice(0, 0), 2100), (slice(0, 2100), 10)])
def test_a_tail_or_gone_rows_past_a_quarter_of_the_base_are_arranged_anew_with_it(small_clusters, dropped, added):
    vectors = corpus_like(8000)
    projection = Projection.of(vectors)
    changed, moves, new_rows = corpus_changed(vectors, dropped, corpus_like(added, seed=9))

    moved = projection.updated(changed, moves, new_rows)

    assert len(moved.tail) == 0 and moved.gone == 0 and len(moved.base) == len(changed)
    assert moved.centres is projection.centres
    staying = moves >= 0
    assert np.array_equal(by_sentence(moved)[moves[staying]], by_sentence(projection)[staying])
    assert np.array_equal(clusters_of_sentences(moved)[moves[staying]], clusters_of_sentences(projection)[staying])
