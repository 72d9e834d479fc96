"""The live corpus: writes are served at once, hand edits within the reload period, and rebuilds reuse analyses."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from qa_service import analysis_processes
from qa_service import corpus as corpus_module
from qa_service import index as index_module
from qa_service.answering import answer
from qa_service.corpus import LiveCorpus
from qa_service.document_analysis import analyse
from qa_service.index import Index
from qa_service.segments import MERGE_FACTOR
from qa_service.snapshots import IndexSnapshots
from qa_service.store import FolderStore
from qa_service.store import folder as folder_module
from qa_service.store.base import StoreUnavailable

ROOT = Path(__file__).resolve().parent.parent
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


def test_a_hand_edit_is_served_once_the_reload_period_has_passed_even_when_a_write_elsewhere_came_first(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=0)
    live.current()
    elsewhere = FolderStore(folder, LIMIT)  # another worker's handle

    elsewhere.put("doc-9", text(9), "text")
    (folder / "by-hand.txt").write_bytes(text(7))

    assert {"doc-9", "by-hand"} <= set(ids(live))


def test_a_file_edited_by_hand_is_not_looked_for_before_the_reload_period_is_over(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)

    (folder / "by-hand.txt").write_bytes(text(7))

    assert "by-hand" not in ids(live)


def test_replacing_one_document_analyses_only_that_document(folder, monkeypatch):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    analysed = []
    real_analyse = analysis_processes.analyse
    monkeypatch.setattr(analysis_processes, "analyse", lambda document: analysed.append(document.id) or
                        real_analyse(document))

    live.store.put("doc-2", text(2, "It was replaced."), "text")
    live.current()

    assert analysed == ["doc-2"]


def test_a_write_by_another_process_reads_no_other_file_and_lists_no_folder(folder, monkeypatch):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    FolderStore(folder, LIMIT).put("doc-2", text(2, "It was replaced."), "text")
    read, listed = [], []
    real_read, real_scandir = FolderStore.read, os.scandir
    monkeypatch.setattr(FolderStore, "read", lambda store, path: read.append(path.name) or real_read(store, path))
    monkeypatch.setattr(folder_module.os, "scandir", lambda path: listed.append(path) or real_scandir(path))

    corpus = live.current()

    assert read == ["doc-2.txt"] and listed == []
    assert "It was replaced." in corpus.document("doc-2").document.text


def test_a_corpus_refreshed_from_the_changes_of_writes_and_hand_edits_scores_as_a_fresh_build(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=0)
    elsewhere = FolderStore(folder, LIMIT)
    elsewhere.put("a-first", text(10, "It comes first."), "text")
    elsewhere.put("doc-2a", text(11, "It sits between two and three."), "text")
    elsewhere.put("doc-3", text(3, "It was replaced by element 12."), "text")
    elsewhere.delete("doc-1")
    (folder / "doc-2.b.txt").write_bytes(text(12, "It was copied in by hand."))
    (folder / "doc-4.txt").unlink()

    live.current()  # the writes, from the store's journal
    index = live.current().index  # and the hand edits, by a look behind the store's back
    fresh = Index.build([analyse(d) for d in FolderStore(folder, LIMIT).load()[0]])
    every_term = dict.fromkeys(fresh.document_frequency, 1.0)

    assert [d.document.id for d in index.documents] == [d.document.id for d in fresh.documents]
    assert index.document_frequency == fresh.document_frequency
    assert np.array_equal(index.scores(every_term), fresh.scores(every_term))
    assert answers(index) == answers(fresh)


def test_a_look_for_hand_edits_that_took_long_waits_in_proportion_before_the_next(folder, monkeypatch):
    store = FolderStore(folder, LIMIT)
    live = LiveCorpus(store, reload_seconds=1.0)
    clock = [time.monotonic() + 5.0]
    monkeypatch.setattr(corpus_module.time, "monotonic", lambda: clock[0])
    looks = []
    real_changes_since = store.changes_since

    def timed_changes_since(position, look_behind=False):
        if look_behind:
            looks.append(clock[0])
            clock[0] += 0.5  # a look that took half a second: a folder of many files under load
        return real_changes_since(position, look_behind)

    store.changes_since = timed_changes_since
    live.current()
    assert len(looks) == 1
    (folder / "by-hand.txt").write_bytes(text(7))
    clock[0] += 9.0  # past reload_seconds, short of LOOK_PACE times the look
    assert "by-hand" not in live.current().index.position
    clock[0] += 1.1
    assert "by-hand" in live.current().index.position
    assert len(looks) == 2


def test_a_quick_look_for_hand_edits_waits_only_the_reload_period(folder, monkeypatch):
    store = FolderStore(folder, LIMIT)
    live = LiveCorpus(store, reload_seconds=1.0)
    clock = [time.monotonic() + 5.0]
    monkeypatch.setattr(corpus_module.time, "monotonic", lambda: clock[0])
    live.current()
    (folder / "by-hand.txt").write_bytes(text(7))
    clock[0] += 1.0
    assert "by-hand" in live.current().index.position


def test_while_a_rebuild_runs_other_readers_are_answered_from_the_previous_corpus(folder):
    store = FolderStore(folder, LIMIT)
    live = LiveCorpus(store, reload_seconds=0)
    previous = live.current()
    loading, release = threading.Event(), threading.Event()
    real_changes_since = store.changes_since

    def slow_changes_since(*args, **kwargs):
        loading.set()
        release.wait(30)
        return real_changes_since(*args, **kwargs)

    store.changes_since = slow_changes_since
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


# --- segments: what a write indexes, and merges off the answer path -------------------------------------------

QUESTIONS = ["What is element number 3?", "Which document is about element 12?", "What was replaced?"]


def answers(index) -> list[tuple]:
    return [(a.found, a.confidence, [(q.document, q.start, q.end) for q in a.quotes])
            for a in (answer(index, question) for question in QUESTIONS)]


def wait_until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the background merge never happened"
        time.sleep(0.05)


def test_a_write_indexes_only_the_written_document_in_a_new_segment(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    before = live.current().index

    live.store.put("doc-2", text(2, "It was replaced."), "text")
    after = live.current().index

    assert after.segments[0] is before.segments[0]
    assert len(after.segments) == 2 and after.segments[1].document_count == 1


def test_a_corpus_written_document_by_document_answers_as_one_built_at_once(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    for n in range(5, 5 + MERGE_FACTOR + 3):
        live.store.put(f"doc-{n}", text(n, f"Element {n} was replaced." if n % 4 == 0 else ""), "text")
        live.current()
    live.store.delete("doc-1")
    live.store.put("doc-3", text(3, "It was replaced by element 12."), "text")

    written = live.current().index
    documents, _ = FolderStore(folder, LIMIT).load()

    assert answers(written) == answers(Index.build([analyse(d) for d in documents]))


def test_segments_are_merged_in_the_background_into_an_index_that_answers_the_same(folder):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    for n in range(5, 5 + MERGE_FACTOR + 1):
        live.store.put(f"doc-{n}", text(n), "text")
        live.current()

    wait_until(lambda: len(live.current().index.segments) < MERGE_FACTOR)

    assert answers(live.current().index) == answers(Index.build(live.current().index.documents))


def test_a_merge_that_fails_midway_leaves_the_served_index_answering(folder, monkeypatch, caplog):
    live = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)
    real_segment = index_module.Segment.of

    def failing_on_merges(documents):
        if len(documents) > 1:  # a write indexes one document here; a merge, many
            raise MemoryError("the merge ran out of memory")
        return real_segment(documents)

    monkeypatch.setattr(index_module.Segment, "of", failing_on_merges)
    with caplog.at_level(logging.ERROR, logger="qa_service.corpus"):
        for n in range(5, 5 + MERGE_FACTOR + 1):
            live.store.put(f"doc-{n}", text(n), "text")
            live.current()
        wait_until(lambda: "cannot embed or merge" in caplog.text)
    served = live.current().index
    monkeypatch.undo()

    assert len(served.segments) > MERGE_FACTOR
    assert answers(served) == answers(Index.build(served.documents))


def test_a_process_killed_during_a_merge_leaves_a_store_that_the_others_and_the_next_start_serve_whole(folder,
                                                                                                      tmp_path):
    cache = tmp_path / "cache"
    watching = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER)  # another worker, alive throughout
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from qa_service.corpus import LiveCorpus
        from qa_service.index import Index
        from qa_service.snapshots import IndexSnapshots
        from qa_service.store import FolderStore

        real_merged = Index.merged

        def announced(index, numbers):
            print("merging", flush=True)
            time.sleep(0.2)
            return real_merged(index, numbers)

        Index.merged = announced
        live = LiveCorpus(FolderStore({str(folder)!r}, {LIMIT}), reload_seconds=3600,
                          snapshots=IndexSnapshots({str(cache)!r}))
        for n in range(5, 10_000):
            live.store.put(f"doc-{{n}}", f"Document {{n}}\\n\\nDocument {{n}} is about element {{n}}.".encode(),
                           "text")
            live.current()
    """)], stdout=subprocess.PIPE, text=True)
    try:
        for line in writer.stdout:
            if line.strip() == "merging":
                break
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait(30)

    documents, _ = FolderStore(folder, LIMIT).load()
    fresh = Index.build([analyse(d) for d in documents])
    restarted = LiveCorpus(FolderStore(folder, LIMIT), reload_seconds=NEVER, snapshots=IndexSnapshots(cache))

    assert len(documents) > 5  # the fixture's, and what the killed process wrote
    for index in (watching.current().index, restarted.current().index):
        assert [d.document for d in index.documents] == documents
        assert answers(index) == answers(fresh)
