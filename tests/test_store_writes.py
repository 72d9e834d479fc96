"""Writes to the folder store: atomic under SIGKILL, temporary files never served, the title line convention."""

from __future__ import annotations

import inspect
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qa_service.store import FolderStore

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 8 * 1024 * 1024


def version_text(name: str) -> bytes:
    # About 1 MB, so that a write takes long enough to be killed in the middle of it.
    return f"{name} version\n\n".encode() + f"The {name} version is whole. ".encode() * 40_000


OLD, NEW = version_text("old"), version_text("new")


def start_writer(folder: Path, script: str) -> subprocess.Popen:
    """A separate Python process that writes to the folder store as the script says and reports on stdout."""
    prelude = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from qa_service.store import FolderStore
        store = FolderStore({str(folder)!r}, {LIMIT})
    """) + textwrap.dedent(inspect.getsource(version_text)) + 'OLD, NEW = version_text("old"), version_text("new")\n'
    return subprocess.Popen([sys.executable, "-c", prelude + textwrap.dedent(script)], stdout=subprocess.PIPE,
                            text=True)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def test_a_writer_killed_after_writing_but_before_renaming_leaves_the_old_version_whole(tmp_path):
    store = FolderStore(tmp_path, LIMIT)
    store.put("report", OLD, "text")
    old = store.current("report")
    # The child stops for good inside its first fsync: the new text is complete in the temporary file.
    writer = start_writer(tmp_path, """
        real_fsync = os.fsync
        def fsync_and_wait(fd):
            real_fsync(fd)
            print("in fsync", flush=True)
            signal.pause()
        os.fsync = fsync_and_wait
        store.put("report", NEW, "text")
    """)
    assert writer.stdout.readline() == "in fsync\n"
    kill(writer)

    documents, skipped = FolderStore(tmp_path, LIMIT).load()

    assert [(d.id, d.version) for d in documents] == [("report", old.version)]
    assert skipped == []
    assert any(p.name.startswith(FolderStore.TEMPORARY_PREFIX) for p in tmp_path.iterdir())


def test_a_writer_killed_at_any_moment_leaves_one_whole_version(tmp_path):
    store = FolderStore(tmp_path, LIMIT)
    store.put("report", OLD, "text")
    versions = {FolderStore(tmp_path, LIMIT).current("report").text}
    store.put("report", NEW, "text")
    versions.add(store.current("report").text)
    writer = start_writer(tmp_path, """
        for n in range(1000):
            store.put("report", NEW if n % 2 else OLD, "text" if n % 3 else "markdown")
            print(n, flush=True)
    """)
    for _ in range(5):
        writer.stdout.readline()
    kill(writer)

    documents, skipped = FolderStore(tmp_path, LIMIT).load()

    assert [d.id for d in documents] == ["report"]
    assert documents[0].text in versions
    assert skipped == []


def test_the_next_write_clears_what_a_killed_writer_left(tmp_path):
    store = FolderStore(tmp_path, LIMIT)
    leftover = tmp_path / f"{FolderStore.TEMPORARY_PREFIX}0123"
    leftover.write_bytes(NEW[:1000])

    store.put("report", OLD, "text")

    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".qa-")) == ["report.txt"]
    assert not leftover.exists()


def test_a_write_replaces_by_rename_so_an_open_reader_keeps_the_old_file(tmp_path):
    store = FolderStore(tmp_path, LIMIT)
    store.put("report", OLD, "text")
    with open(tmp_path / "report.txt", "rb") as reader:
        store.put("report", NEW, "text")
        assert reader.read() == OLD
    assert (tmp_path / "report.txt").read_bytes() == NEW


def test_a_title_line_in_a_file_edited_by_hand_is_its_title_and_not_its_text(tmp_path):
    (tmp_path / "notes.md").write_text("% Notes from the lab\n# Results\n\nThe samples were clean.", encoding="utf-8")

    documents, _ = FolderStore(tmp_path, LIMIT).load()

    assert [(d.title, d.text) for d in documents] == [("Notes from the lab", "Results\n\nThe samples were clean.")]


def test_writing_to_a_missing_folder_creates_it(tmp_path):
    store = FolderStore(tmp_path / "new" / "corpus", LIMIT)

    assert store.put("report", OLD, "text").created
    assert [d.id for d in store.load()[0]] == ["report"]


def test_reading_a_folder_creates_no_file_in_it(tmp_path):
    (tmp_path / "report.txt").write_bytes(OLD)

    documents, _ = FolderStore(tmp_path, LIMIT).load()

    assert [d.id for d in documents] == ["report"]
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_a_restore_killed_at_any_moment_leaves_one_of_the_two_versions_whole_and_the_history_readable(tmp_path):
    store = FolderStore(tmp_path, LIMIT)
    old = store.put("report", OLD, "text").document
    new = store.put("report", NEW, "text").document
    restorer = start_writer(tmp_path, f"""
        for n in range(1000):
            store.restore("report", {old.version!r} if n % 2 else {new.version!r})
            print(n, flush=True)
    """)
    for _ in range(5):
        restorer.stdout.readline()
    kill(restorer)

    reopened = FolderStore(tmp_path, LIMIT)
    documents, skipped = reopened.load()

    assert [d.text for d in documents] in ([old.text], [new.text])
    assert skipped == []
    assert {v.version for v in reopened.versions("report")} == {old.version, new.version}
    assert reopened.restore("report", old.version).document == old


def test_a_restore_killed_inside_its_write_leaves_the_version_it_was_replacing(tmp_path):
    store = FolderStore(tmp_path, LIMIT)
    old = store.put("report", OLD, "text").document
    new = store.put("report", NEW, "text").document
    restorer = start_writer(tmp_path, f"""
        real_fsync = os.fsync
        def fsync_and_wait(fd):
            real_fsync(fd)
            print("in fsync", flush=True)
            signal.pause()
        os.fsync = fsync_and_wait
        store.restore("report", {old.version!r})
    """)
    assert restorer.stdout.readline() == "in fsync\n"
    kill(restorer)

    assert FolderStore(tmp_path, LIMIT).current("report") == new


# --- a write never deletes a file it did not serve ------------------------------------------------------------

LATIN_1 = "Café notes\n\nThe café opens at nine.\n".encode("latin-1")


def set_aside_files(folder: Path) -> dict[str, bytes]:
    """The set-aside folder's files by their own names (without the time that leads them)."""
    aside = folder / ".qa-history" / "set-aside"
    return {p.name.split("-", 1)[1]: p.read_bytes() for p in aside.iterdir()} if aside.is_dir() else {}


def test_a_write_in_another_format_sets_aside_the_unreadable_file_of_its_id_instead_of_deleting_it(tmp_path):
    (tmp_path / "cafe.txt").write_bytes(LATIN_1)
    store = FolderStore(tmp_path, LIMIT)

    written = store.put("cafe", b"# Cafe notes\n\nThe cafe opens at nine.\n", "markdown")

    assert written.created  # nothing was served under the id
    assert [n.split("/")[-1].split("-", 1)[1] for n in written.set_aside] == ["cafe.txt"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["cafe.md"]
    assert set_aside_files(tmp_path) == {"cafe.txt": LATIN_1}


def test_a_write_in_the_format_of_an_unreadable_file_sets_it_aside_before_taking_its_name(tmp_path):
    (tmp_path / "cafe.txt").write_bytes(LATIN_1)
    store = FolderStore(tmp_path, LIMIT)

    written = store.put("cafe", b"Cafe notes\n\nThe cafe opens at nine.\n", "text")

    assert len(written.set_aside) == 1
    assert (tmp_path / "cafe.txt").read_bytes() == b"Cafe notes\n\nThe cafe opens at nine.\n"
    assert set_aside_files(tmp_path) == {"cafe.txt": LATIN_1}


def test_a_write_keeps_the_served_file_in_the_history_and_sets_aside_the_second_file_of_the_id(tmp_path):
    (tmp_path / "floor.md").write_text("# Floor plan\n\nThe desk is on the ground floor.\n", encoding="utf-8")
    (tmp_path / "floor.txt").write_text("Floor plan\n\nThe lifts are behind the desk.\n", encoding="utf-8")
    store = FolderStore(tmp_path, LIMIT)
    served = store.current("floor")

    written = store.put("floor", b"Floor plan\n\nThe desk moved upstairs.\n", "text")

    assert not written.created
    assert set_aside_files(tmp_path) == {"floor.txt": b"Floor plan\n\nThe lifts are behind the desk.\n"}
    assert store.version("floor", served.version).document.text == served.text


def test_removing_an_id_only_unreadable_files_hold_sets_them_aside(tmp_path):
    (tmp_path / "cafe.txt").write_bytes(LATIN_1)
    store = FolderStore(tmp_path, LIMIT)

    set_aside = store.delete("cafe")

    assert len(set_aside) == 1 and set_aside[0].startswith(".qa-history/set-aside/")
    assert not (tmp_path / "cafe.txt").exists()
    assert set_aside_files(tmp_path) == {"cafe.txt": LATIN_1}


def test_files_set_aside_are_dropped_with_the_history_and_other_files_there_are_left_alone(tmp_path):
    (tmp_path / "cafe.txt").write_bytes(LATIN_1)
    store = FolderStore(tmp_path, LIMIT)
    store.delete("cafe")
    own = tmp_path / ".qa-history" / "set-aside" / "kept-by-hand.txt"
    own.write_text("an operator's own note")

    store.purge_history(datetime.now(UTC) + timedelta(seconds=1))

    assert [p.name for p in own.parent.iterdir()] == ["kept-by-hand.txt"]
