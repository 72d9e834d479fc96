"""The sentence-embedding model: the shipped export computes what the original model computes, and its cosines
say what a reader means."""

import numpy as np
import pytest
from minilm_reference import ReferenceMiniLM

from qa_service.meaning import BATCH, WIDTH, SentenceEncoder, _batches, model_files

SENTENCES = [
    "Does it make you tired?",
    "Common side effects include fatigue, dizziness and drowsiness.",
    "The medicine has not been approved for this use by the regulator.",
    "Prune the tomato plants in early spring, before the first flowers open.",
]


@pytest.fixture(scope="module")
def encoder():
    return SentenceEncoder(model_files(), threads=1)


def test_the_shipped_export_matches_the_original_weights_run_in_numpy(encoder):
    reference = ReferenceMiniLM()
    shipped = encoder.encode(SENTENCES)
    for text, vector in zip(SENTENCES, shipped, strict=True):
        assert float(vector @ reference.encode_one(text)) > 0.995, text


def test_vectors_have_unit_length_whatever_the_batch_order(encoder):
    together = encoder.encode(SENTENCES)
    alone = np.vstack([encoder.encode([s]) for s in SENTENCES])
    assert together.shape == (len(SENTENCES), WIDTH)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)


def test_texts_are_batched_shortest_first_and_a_long_one_is_not_padded_with_short_ones():
    lengths = [40, 9, 12, 250, 10, 9] + [11] * BATCH

    batches = [[int(p) for p in batch] for batch in _batches(lengths)]

    assert [p for batch in batches for p in batch] == sorted(range(len(lengths)), key=lambda p: lengths[p])
    assert all(len(batch) <= BATCH for batch in batches)
    assert all(max(lengths[p] for p in batch) <= 2 * min(lengths[p] for p in batch) for batch in batches)
    assert batches[-2:] == [[0], [3]]


def test_a_lay_question_is_closer_to_the_sentence_it_means_than_to_others(encoder):
    question, fatigue, approval, garden = encoder.encode(SENTENCES)
    assert question @ fatigue > question @ approval
    assert question @ fatigue > question @ garden


def test_text_that_is_not_valid_unicode_is_still_encoded(encoder):
    assert encoder.encode(["half a surrogate pair: \ud800"]).shape == (1, WIDTH)


def test_nothing_to_encode_gives_no_rows(encoder):
    assert encoder.encode([]).shape == (0, WIDTH)


def test_the_model_names_itself_by_its_bytes():
    files = model_files()
    assert files.identity.startswith("all-MiniLM-L6-v2-int8/")
    assert files.identity == model_files().identity


def test_the_session_hands_each_runs_buffers_back_instead_of_keeping_an_arena(encoder):
    # An arena would keep the largest batch's buffers (hundreds of MiB after a long document) for the process's life.
    assert encoder.open().get_session_options().enable_cpu_mem_arena is False
