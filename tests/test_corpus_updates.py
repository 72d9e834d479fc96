"""The live corpus: writes are served at once, hand edits within the reload period, and rebuilds reuse analyses."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from qa_service import corpus as corpus_module
from qa_service.corpus import LiveCorpus
from qa_service.store import FolderStore
from qa_service.store.base import StoreUnavailable

LIMIT = 100_000
NEVER = 3600.0


def text(n: int, words: str = "") -> bytes:
    return f"Document {n}\n\nDocument {n} is about element number {n}. {words}".encode()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    store = FolderStore(tmp_path, LIMIT)
    for n in range(5):
        store.put(f"doc-{n}", text(n), "text")
    return tmp_path


def ids(live: LiveCorpus) -> list[str]:
    return [d.document.id for d in live.current().index.documents]


def test_a_write_through_the_store_is_served_by_the_next_call_without_waiting_for_the_reload_period(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    before = live.current().version

    live.store.put("doc-9", text(9), "text")

    assert "doc-9" in ids(live)
    assert live.current().version != before


def test_a_write_by_another_process_is_served_by_the_next_call(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    elsewhere = FolderStore(folder, LIMIT)  # another worker's handle: only the marker file connects them

    elsewhere.delete("doc-0")

    assert "doc-0" not in ids(live)


def test_a_file_edited_by_hand_is_served_once_the_reload_period_has_passed(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=0)

    (folder / "by-hand.txt").write_bytes(text(7))

    assert "by-hand" in ids(live)


def test_a_file_edited_by_hand_is_not_looked_for_before_the_reload_period_is_over(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)

    (folder / "by-hand.txt").write_bytes(text(7))

    assert "by-hand" not in ids(live)


def test_replacing_one_document_analyses_only_that_document(folder, monkeypatch):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    analysed = []
    real_analyse = corpus_module.analyse
    monkeypatch.setattr(corpus_module, "analyse", lambda document: analysed.append(document.id) or
                        real_analyse(document))

    live.store.put("doc-2", text(2, "It was replaced."), "text")
    live.current()

    assert analysed == ["doc-2"]


def test_while_a_rebuild_runs_other_readers_are_answered_from_the_previous_corpus(folder):
    store = FolderStore(folder, LIMIT)
    live = LiveCorpus(store, reload_seconds=0)
    previous = live.current()
    loading, release = threading.Event(), threading.Event()
    real_load = store.load

    def slow_load():
        loading.set()
        release.wait(30)
        return real_load()

    store.load = slow_load
    (folder / "by-hand.txt").write_bytes(text(7))
    rebuilt = []
    rebuilder = threading.Thread(target=lambda: rebuilt.append(live.current()))
    rebuilder.start()
    assert loading.wait(30)

    during = live.current()
    release.set()
    rebuilder.join(30)

    assert during is previous
    assert "by-hand" in rebuilt[0].index.position
    assert live.current() is rebuilt[0]


def test_when_the_store_cannot_be_read_the_last_corpus_is_served_and_the_failure_logged(folder, caplog):
    store = FolderStore(folder, LIMIT)
    live = LiveCorpus(store, reload_seconds=0)
    previous = live.current()

    def unavailable():
        raise StoreUnavailable("the disk is gone")

    store.marker = unavailable
    with caplog.at_level(logging.WARNING, logger="qa_service.corpus"):
        assert live.current() is previous
    assert "the disk is gone" in caplog.text
