"""Sentence embeddings of the live corpus: computed once per document, kept across restarts, and never in the way
of an answer."""

from __future__ import annotations

import gc
import time
import weakref
from pathlib import Path

import numpy as np
import pytest

from qa_service import corpus as corpus_module
from qa_service import create_app
from qa_service.answering import answer
from qa_service.corpus import LiveCorpus
from qa_service.meaning import load_encoder
from qa_service.snapshots import IndexSnapshots
from qa_service.store import FolderStore

LIMIT = 100_000
NEVER = 3600.0


class CountingEncoder:
    """The shipped model, counting the sentences it is asked to embed."""

    def __init__(self):
        self.model = load_encoder(1)
        self.identity = self.model.identity
        self.embedded = 0

    def encode(self, texts):
        self.embedded += len(texts)
        return self.model.encode(texts)


def text(n: int) -> bytes:
    return f"Document {n}\n\nDocument {n} is about element number {n}. It has a second sentence.".encode()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    store = FolderStore(tmp_path / "corpus", LIMIT)
    for n in range(3):
        store.put(f"doc-{n}", text(n), "text")
    return tmp_path / "corpus"


def sentences(live: LiveCorpus) -> int:
    return sum(len(d.sentences) for d in live.served.index.documents)


def wait_for_vectors(live: LiveCorpus, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while live.current().index.vectors is None:
        assert time.monotonic() < deadline, "the changed corpus was never embedded"
        time.sleep(0.05)


def test_every_sentence_is_embedded_before_the_first_answer(folder):
    encoder = CountingEncoder()
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, encoder=encoder)
    index = live.current().index
    assert index.vectors is not None and index.meaning == encoder.identity
    assert len(index.vectors) == sentences(live) == encoder.embedded
    assert np.allclose(np.linalg.norm(index.vectors.floats(), axis=1), 1.0, atol=1e-2)


def test_a_write_is_answered_at_once_by_words_and_only_the_changed_document_is_embedded_again(folder):
    encoder = CountingEncoder()
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, encoder=encoder)
    before = encoder.embedded

    live.store.put("doc-9", text(9), "text")

    assert "doc-9" in live.current().index.position
    wait_for_vectors(live)
    assert "doc-9" in live.current().index.position
    assert encoder.embedded - before == len(live.current().document("doc-9").sentences)


def test_the_indexes_a_write_replaces_are_freed_without_waiting_for_a_garbage_collection(folder):
    """In gunicorn's workers (their start-up objects frozen) a full collection seldom runs: an index that needed one
    kept its vectors and their projection in memory after each write, a copy per write per worker."""
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, encoder=CountingEncoder())
    answer(live.current().index, "What is document 1 about?", encoder=live.encoder)
    before = weakref.ref(live.current().index)
    gc.collect()
    gc.disable()
    try:
        live.store.put("doc-9", text(9), "text")
        answer(live.current().index, "What is document 9 about?", encoder=live.encoder)
        wait_for_vectors(live)
        answer(live.current().index, "What is document 9 about?", encoder=live.encoder)
        assert before() is None
    finally:
        gc.enable()


def test_after_a_write_the_vectors_projection_moves_by_the_changed_document_and_is_not_fitted_again(tmp_path,
                                                                                                     monkeypatch):
    store = FolderStore(tmp_path / "corpus", LIMIT)
    for n in range(120):
        store.put(f"doc-{n}", text(n), "text")
    live = LiveCorpus(store, NEVER, encoder=CountingEncoder())
    fitted = live.current().index.projection
    assert fitted is not None
    monkeypatch.setattr("qa_service.vector_search.Projection.of", lambda vectors: pytest.fail("fitted again"))

    store.put("doc-500", text(500), "text")
    assert live.current().index.vectors is None
    wait_for_vectors(live)

    index = live.current().index
    assert index.projection.axes is fitted.axes and index.projection.centres is fitted.centres
    assert len(index.projection) == len(index.vectors) == sentences(live)


def test_a_restart_on_an_unchanged_corpus_embeds_nothing(folder, tmp_path):
    cache = tmp_path / "cache"
    LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(cache), CountingEncoder())
    again = CountingEncoder()
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(cache), again)
    assert again.embedded == 0
    assert live.current().index.vectors is not None


def test_embeddings_saved_by_an_earlier_release_are_reused_when_the_index_snapshot_is_not(folder, tmp_path):
    cache = tmp_path / "cache"
    LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(cache), CountingEncoder())
    (cache / "index.snapshot").write_bytes(b"made by other code")
    again = CountingEncoder()
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(cache), again)
    assert again.embedded == 0
    assert live.current().index.vectors is not None


def test_a_corpus_with_more_to_embed_than_allowed_before_serving_answers_by_words_at_once(folder, tmp_path):
    encoder = CountingEncoder()
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(tmp_path / "cache"), encoder,
                      embed_before_serving=sentences_in(folder) - 1)
    assert encoder.embedded == 0
    assert live.served.index.vectors is None


def test_the_first_question_starts_embedding_in_the_background_and_the_embedded_corpus_is_published(folder,
                                                                                                     tmp_path):
    cache = tmp_path / "cache"
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(cache), CountingEncoder(),
                      embed_before_serving=0)
    time.sleep(0.2)
    assert live.served.index.vectors is None, "nothing is embedded before a question comes"

    wait_for_vectors(live)
    deadline = time.monotonic() + 30
    while IndexSnapshots(cache, model=live.encoder.identity).load().vectors is None:
        assert time.monotonic() < deadline, "the embedded corpus was never published"
        time.sleep(0.05)

    again = CountingEncoder()
    restarted = LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(cache), again, embed_before_serving=0)
    assert again.embedded == 0
    assert restarted.origin.how == "loaded"
    assert restarted.served.index.vectors is not None


def test_a_corpus_within_the_allowance_is_embedded_before_serving(folder):
    encoder = CountingEncoder()
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, encoder=encoder, embed_before_serving=sentences_in(folder))
    assert live.served.index.vectors is not None
    assert encoder.embedded == sentences(live)


def test_embeddings_are_saved_group_by_group_so_an_interrupted_embedding_keeps_what_it_did(folder, tmp_path,
                                                                                         monkeypatch):
    class StoppingEncoder(CountingEncoder):
        def encode(self, texts):
            if self.embedded:
                raise RuntimeError("stopped half-way")
            return super().encode(texts)

    monkeypatch.setattr(corpus_module, "EMBEDDED_AT_ONCE", 1)  # one document at a time
    with pytest.raises(RuntimeError):
        LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(tmp_path / "cache"), StoppingEncoder())
    assert len(list((tmp_path / "cache" / "embeddings").glob("*.npy"))) == 1

    again = CountingEncoder()
    LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(tmp_path / "cache"), again)
    assert again.embedded == sentences_in(folder) - len(first_document(folder).sentences)


def first_document(folder: Path):
    return LiveCorpus(FolderStore(folder, LIMIT), NEVER).served.index.documents[0]


def sentences_in(folder: Path) -> int:
    return sentences(LiveCorpus(FolderStore(folder, LIMIT), NEVER))


def test_over_the_api_a_large_new_corpus_is_answered_by_words_until_it_is_embedded(folder, tmp_path):
    app = create_app({"QA_CORPUS": str(folder), "QA_CACHE_DIR": str(tmp_path / "cache"),
                      "QA_EMBED_BEFORE_SERVING": "0"})
    client = app.test_client()
    assert client.get("/api/corpus").get_json()["answering_by"] == "words"
    reply = client.post("/api/ask", json={"question": "What is document 1 about?"})
    assert reply.status_code == 200
    assert reply.get_json()["quotes"][0]["text"].startswith("Document 1 is about element number 1.")
    deadline = time.monotonic() + 30
    while client.get("/api/corpus").get_json()["answering_by"] != "reading":
        assert time.monotonic() < deadline, "the corpus was never embedded"
        time.sleep(0.05)


def test_without_an_encoder_nothing_is_embedded_and_the_index_has_no_vectors(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER)
    assert live.current().index.vectors is None


def test_the_api_says_which_model_answers(client):
    assert client.get("/api/corpus").get_json()["answering_by"] == "reading"


def test_with_reading_off_the_meaning_model_answers(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_READING": "off"})
    assert app.test_client().get("/api/corpus").get_json()["answering_by"] == "meaning"


def test_with_the_semantic_stage_off_the_api_says_words_answer(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_SEMANTIC": "off"})
    assert app.test_client().get("/api/corpus").get_json()["answering_by"] == "words"


def test_publishing_a_corpus_left_to_embed_later_embeds_every_sentence_and_publishes_it_with_its_vectors(
        folder, tmp_path):
    cache = tmp_path / "cache"
    encoder = CountingEncoder()
    live = LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(cache), encoder, embed_before_serving=0)
    assert live.served.index.vectors is None

    assert live.publish()

    assert encoder.embedded == sentences_in(folder)
    assert live.served.index.vectors is not None
    again = CountingEncoder()
    restarted = LiveCorpus(FolderStore(folder, LIMIT), NEVER, IndexSnapshots(cache), again, embed_before_serving=0)
    assert again.embedded == 0 and restarted.origin.how == "loaded"
    assert restarted.served.index.vectors is not None
