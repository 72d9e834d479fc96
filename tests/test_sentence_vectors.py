"""Sentence vectors in int8 steps: half the bytes of float16, cosines within a few thousandths, and the embedding
cache reads its own files and those of releases that saved float16."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.embedding_cache import EmbeddingCache
from qa_service.sentence_vectors import SentenceVectors


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
