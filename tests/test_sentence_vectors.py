"""Sentence vectors in int8 steps: half the bytes of float16, cosines within a few thousandths, and the embedding
cache reads its own files and those of releases that saved float16."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from qa_service import sentence_vectors
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.embedding_cache import EmbeddingCache
from qa_service.sentence_vectors import MOST_MATRICES, CorpusVectors, SentenceVectors


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


@pytest.fixture
def floats() -> np.ndarray:
    return unit(np.random.default_rng(7).normal(size=(500, 384))).astype(np.float32)


def test_cosines_read_from_the_steps_stay_within_a_few_thousandths_of_the_float_ones(floats):
    vectors = SentenceVectors.of(floats)
    questions = unit(floats[:40] + 0.5 * unit(np.random.default_rng(8).normal(size=(40, 384)))).astype(np.float32)
    for question in questions:
        assert np.abs(vectors.cosines(slice(None), question) - floats @ question).max() < 0.003


def test_a_vector_takes_one_byte_a_number_and_its_scale():
    vectors = SentenceVectors.of(np.eye(3, 384))
    assert vectors.steps.dtype == np.int8 and vectors.nbytes == 3 * 384 + 3 * 4


def test_no_value_is_clipped_however_large():
    lopsided = unit(np.array([[0.99] + [0.01] * 383, [-1.0] + [0.0] * 383]))
    vectors = SentenceVectors.of(lopsided)
    assert np.abs(vectors.floats() - lopsided).max() < 0.5 * vectors.scale.max()
    assert vectors.steps[0, 0] == 127 and vectors.steps[1, 0] == -127


def test_a_slice_of_rows_is_a_view_and_stacking_keeps_the_order(floats):
    vectors = SentenceVectors.of(floats)
    part = vectors[10:20]
    assert np.shares_memory(part.steps, vectors.steps) and np.shares_memory(part.scale, vectors.scale)
    stacked = SentenceVectors.stacked([vectors[:10], vectors[10:]])
    assert np.array_equal(stacked.steps, vectors.steps) and np.array_equal(stacked.scale, vectors.scale)
    assert np.array_equal(vectors.floats([3, 1]), vectors.floats()[[3, 1]])


def test_the_corpus_vectors_after_a_write_are_the_kept_rows_where_they_are_and_the_new_ones_beside(floats):
    matrix = SentenceVectors.of(floats)
    new = SentenceVectors.of(floats[:7])
    parts = [matrix[0:100], new, matrix[300:500]]

    vectors = CorpusVectors.kept(parts, np.cumsum([0, 100, 7, 200]))

    assert isinstance(vectors, CorpusVectors) and len(vectors.parts) == 2
    assert np.shares_memory(vectors.parts[0].steps, matrix.steps)
    assert np.shares_memory(vectors.parts[1].steps, new.steps)
    stacked = SentenceVectors.stacked(parts)
    assert np.array_equal(vectors.floats(), stacked.floats())
    assert np.array_equal(vectors.floats(103), stacked.floats(103))
    assert np.array_equal(vectors.cosines([150, 2, 104], floats[9]), stacked.cosines([150, 2, 104], floats[9]))
    assert np.array_equal(vectors.as_matrix().steps, stacked.steps)
    assert np.shares_memory(vectors.document(2).steps, matrix.steps)


def test_rows_of_a_matrix_loaded_as_a_reshaped_flat_buffer_are_read_where_they_are(floats):
    """A snapshot's matrix is mapped as numpy rebuilds a pickled array: a flat buffer, reshaped; its slices' base is
    the flat buffer."""
    saved = SentenceVectors.of(floats)
    loaded = SentenceVectors(np.frombuffer(saved.steps.tobytes(), np.int8).reshape(saved.steps.shape),
                             np.frombuffer(saved.scale.tobytes(), np.float32).reshape(-1))
    parts = [loaded[0:200], loaded[200:350], SentenceVectors.of(floats[:3]), loaded[400:500]]

    vectors = CorpusVectors.kept(parts, np.cumsum([0, 200, 150, 3, 100]))

    assert len(vectors.parts) == 2 and np.shares_memory(vectors.parts[0].steps, loaded.steps)
    assert np.array_equal(vectors.floats(), SentenceVectors.stacked(parts).floats())


def test_a_write_carried_from_the_vectors_before_it_looks_only_at_the_written_documents(floats, monkeypatch):
    matrix = SentenceVectors.of(floats)
    before = CorpusVectors.kept([matrix[0:100], SentenceVectors.of(floats[:7]), matrix[300:500]],
                                np.cumsum([0, 100, 7, 200]))
    written = SentenceVectors.of(floats[40:50])
    documents = [before.document(0), written, before.document(2)]  # the second document replaced
    looked_at = []
    matrix_of = sentence_vectors._matrix_of
    monkeypatch.setattr(sentence_vectors, "_matrix_of", lambda rows: looked_at.append(len(rows)) or matrix_of(rows))

    vectors = CorpusVectors.kept(documents, np.cumsum([0, 100, 10, 200]), (before, before.first, np.array([0, -1, 2])))

    assert looked_at.count(10) == 1 and 100 not in looked_at and 200 not in looked_at
    assert len(vectors.parts) == 2  # the replaced document's matrix let go
    assert np.shares_memory(vectors.parts[0].steps, matrix.steps)
    assert np.array_equal(vectors.floats(), SentenceVectors.stacked(documents).floats())


def test_past_the_most_matrices_the_smaller_ones_are_stacked_into_one(floats):
    matrix = SentenceVectors.of(floats)
    written = [SentenceVectors.of(floats[n:n + 2]) for n in range(MOST_MATRICES)]
    parts = [matrix[:400], *written]

    vectors = CorpusVectors.kept(parts, np.cumsum([0, 400] + [2] * MOST_MATRICES))

    assert len(vectors.parts) == 2 and np.shares_memory(vectors.parts[0].steps, matrix.steps)
    assert np.array_equal(vectors.floats(), SentenceVectors.stacked(parts).floats())


def test_when_most_rows_held_belong_to_no_document_the_vectors_are_stacked_again(floats):
    matrix = SentenceVectors.of(floats)
    parts = [matrix[:100], SentenceVectors.of(floats[:5])]

    vectors = CorpusVectors.kept(parts, np.cumsum([0, 100, 5]))

    assert isinstance(vectors, SentenceVectors) and len(vectors) == 105
    assert np.array_equal(vectors.floats(), SentenceVectors.stacked(parts).floats())


@pytest.fixture
def document():
    return analyse(parse_document("kettle", "The kettle boils water. Descale it monthly. Unplug it first.", "text"))


def test_the_embedding_cache_gives_back_the_steps_it_saved(tmp_path, document):
    cache = EmbeddingCache(tmp_path, "model-a")
    vectors = SentenceVectors.of(unit(np.random.default_rng(1).normal(size=(len(document.sentences), 384))))
    cache.put(document, vectors)
    saved = cache.get(document)
    assert np.array_equal(saved.steps, vectors.steps) and np.array_equal(saved.scale, vectors.scale)
    assert EmbeddingCache(tmp_path, "model-b").get(document) is None


def test_the_embedding_cache_reads_float16_vectors_saved_by_an_earlier_release(tmp_path, document):
    cache = EmbeddingCache(tmp_path, "model-a")
    floats = unit(np.random.default_rng(2).normal(size=(len(document.sentences), 384))).astype(np.float16)
    tmp_path.mkdir(exist_ok=True)
    np.save(cache.path(document), floats, allow_pickle=False)
    saved = cache.get(document)
    assert np.abs(saved.floats() - floats.astype(np.float32)).max() < 0.5 * saved.scale.max() + 1e-3


def test_saved_vectors_that_do_not_fit_the_document_are_ignored(tmp_path, document, caplog):
    cache = EmbeddingCache(tmp_path, "model-a")
    np.save(cache.path(document), np.zeros((len(document.sentences) + 1, 384), np.float16), allow_pickle=False)
    assert cache.get(document) is None
    np.save(cache.path(document), np.zeros((len(document.sentences), 384), np.int64), allow_pickle=False)
    assert cache.get(document) is None
    assert "ignoring saved embeddings" in caplog.text


def test_processes_computing_embeddings_for_one_cache_take_turns(tmp_path):
    order = []
    first_holds = threading.Event()

    def second():
        with EmbeddingCache(tmp_path, "model-a").computing():
            order.append("second")

    with EmbeddingCache(tmp_path, "model-a").computing():
        waiting = threading.Thread(target=second)
        waiting.start()
        first_holds.wait(0.3)
        order.append("first done")
    waiting.join(5)
    assert order == ["first done", "second"]


def test_a_process_that_may_not_wait_computes_while_another_has_its_turn(tmp_path):
    computed = threading.Event()

    def not_waiting():
        with EmbeddingCache(tmp_path, "model-a").computing(wait=False):
            computed.set()

    with EmbeddingCache(tmp_path, "model-a").computing():
        threading.Thread(target=not_waiting, daemon=True).start()
        assert computed.wait(5)


def test_embeddings_are_computed_without_turns_where_the_cache_folder_cannot_be_made(tmp_path):
    (tmp_path / "a file").write_text("")
    with EmbeddingCache(tmp_path / "a file" / "embeddings", "model-a").computing():
        pass
