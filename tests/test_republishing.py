"""Publishing the index again in the background: when a serving process starts a publishing child, and that only one
runs at a time per cache folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from qa_service import analysis_processes, create_app, state
from qa_service.republishing import CHILD_NICENESS, Republisher, held_lock
from qa_service.snapshots import IndexSnapshots

ADMIN = {"Authorization": "Bearer a-token-of-16-chars+"}


def child_command(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def waits_for(release: Path, then: str = "") -> str:
    """A child's script: wait until the `release` file exists, then run `then`."""
    return (f"import os, pathlib, time\nwhile not pathlib.Path({str(release)!r}).exists(): time.sleep(0.01)\n"
            f"{then}")


def test_no_publication_starts_until_the_analysis_owed_reaches_the_mark(tmp_path):
    done = tmp_path / "published"
    republisher = Republisher(1.0, tmp_path / "cache", os.environ,
                              child_command(f"open({str(done)!r}, 'w').close()"))

    republisher.analysed(0.4)
    republisher.analysed(0.4)
    assert republisher.child is None

    republisher.analysed(0.4)
    assert republisher.child is not None
    assert republisher.child.wait(timeout=60) == 0
    assert done.exists()
    assert republisher.owed_seconds == 0.0


def test_zero_seconds_means_the_index_is_never_published_in_the_background(tmp_path):
    republisher = Republisher(0.0, tmp_path / "cache", os.environ, child_command("raise SystemExit(1)"))

    republisher.analysed(1e6)

    assert republisher.child is None


def test_the_child_holds_the_lock_so_another_worker_crossing_the_mark_starts_none_and_counts_again(tmp_path):
    release = tmp_path / "release"
    first = Republisher(1.0, tmp_path / "cache", os.environ, child_command(waits_for(release)))
    second = Republisher(1.0, tmp_path / "cache", os.environ, child_command("raise SystemExit(1)"))

    first.analysed(1.0)
    second.analysed(1.5)

    assert first.child is not None and second.child is None
    assert second.owed_seconds == 0.0
    assert held_lock(tmp_path / "cache") is None  # the child holds it, not the process that started it
    release.touch()
    assert first.child.wait(timeout=60) == 0
    handle = held_lock(tmp_path / "cache")
    assert handle is not None
    os.close(handle)


def test_the_child_runs_at_a_lower_cpu_priority_than_the_process_that_started_it(tmp_path):
    release, niceness = tmp_path / "release", tmp_path / "niceness"
    republisher = Republisher(1.0, tmp_path / "cache", os.environ, child_command(
        waits_for(release, f"pathlib.Path({str(niceness)!r}).write_text(str(os.nice(0)))")))

    republisher.analysed(2.0)
    release.touch()

    assert republisher.child.wait(timeout=60) == 0
    assert int(niceness.read_text()) == min(os.nice(0) + CHILD_NICENESS, 19)


def test_a_serving_app_publishes_in_the_background_after_writes_so_a_restart_analyses_nothing(
        corpus_dir, tmp_path, monkeypatch):
    settings = {"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": str(tmp_path / "cache"), "QA_SEMANTIC": "off",
                "QA_ADMIN_TOKEN": ADMIN["Authorization"].removeprefix("Bearer "), "QA_RELOAD_SECONDS": 0,
                "QA_PUBLISH_AFTER_SECONDS": 1e-9}
    serving = create_app(settings)
    client = serving.test_client()

    response = client.put("/api/documents/lithium", data="Lithium Notes\n\nLithium is a soft metal.",
                          content_type="text/plain", headers=ADMIN)
    assert response.status_code == 201
    assert client.post("/api/ask", json={"question": "Is lithium soft?"}).get_json()["found"]

    child = state.live_corpus(serving).republisher.child
    assert child is not None
    assert child.wait(timeout=120) == 0
    monkeypatch.setattr(analysis_processes, "analyse",
                        lambda document: pytest.fail(f"{document.id} was analysed again"))
    restarted = state.live_corpus(create_app({**settings, "QA_PUBLISH_AFTER_SECONDS": 0}))
    assert restarted.origin.how == "loaded"
    assert {d.document.id for d in restarted.current().index.documents} == {"keppra-article", "lithium"}


def test_without_a_cache_folder_nothing_is_published_in_the_background(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": "off", "QA_SEMANTIC": "off",
                      "QA_PUBLISH_AFTER_SECONDS": 1e-9})

    assert state.live_corpus(app).republisher is None


def test_a_start_that_updated_an_older_publication_serves_at_once_and_a_child_publishes_it(
        corpus_dir, tmp_path, monkeypatch):
    settings = {"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": str(tmp_path / "cache"), "QA_SEMANTIC": "off",
                "QA_PUBLISH_AFTER_SECONDS": 0}
    create_app(settings)  # builds and publishes
    (corpus_dir / "lithium.txt").write_text("Lithium Notes\n\nLithium is a soft metal.")
    published_here = []
    monkeypatch.setattr(IndexSnapshots, "save", lambda self, *args: published_here.append(args) or True)

    starting = state.live_corpus(create_app({**settings, "QA_PUBLISH_AFTER_SECONDS": 5}))

    assert starting.origin.how == "updated"
    assert published_here == []
    assert starting.republisher.child.wait(timeout=120) == 0
    monkeypatch.undo()
    monkeypatch.setattr(analysis_processes, "analyse",
                        lambda document: pytest.fail(f"{document.id} was analysed again"))
    restarted = state.live_corpus(create_app(settings))
    assert restarted.origin.how == "loaded"
    assert {d.document.id for d in restarted.current().index.documents} == {"keppra-article", "lithium"}


def test_a_cache_folder_that_cannot_be_written_starts_no_publication_and_raises_nothing(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    republisher = Republisher(1.0, blocked / "cache", os.environ, child_command("raise SystemExit(1)"))

    republisher.analysed(2.0)

    assert republisher.child is None
