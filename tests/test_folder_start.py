"""The folder store at a start: resumed from the lasting position a stopped process saved (DocumentStore.resume),
and many files read on several processes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from parse_counting import counting_parses
from test_folder_changes import LIMIT, LITHIUM, SODIUM, age, texts

from qa_service.store import FolderStore
from qa_service.store import folder as folder_module

POTASSIUM = b"Potassium Facts\n\nPotassium is a soft metal that burns lilac."


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lithium.txt").write_bytes(LITHIUM)
    return corpus


def stopped_reader(folder: Path) -> tuple[dict, dict]:
    """The documents a process read from the folder, with the files dated an hour back as a corpus's are, and the
    lasting position it saved; the process then stopped."""
    for path in folder.iterdir():
        age(path)
    earlier = FolderStore(folder, LIMIT)
    return earlier.changes_since(None).documents, earlier.lasting_position()


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The id of every document the folder store parses from now on."""
    return counting_parses(monkeypatch, folder_module)


def test_files_edited_added_and_removed_by_hand_while_no_process_ran_are_found_by_a_resumed_start(folder, parses):
    (folder / "sodium.txt").write_bytes(SODIUM)
    (folder / "beryllium.txt").write_bytes(b"Beryllium Facts\n\nBeryllium is a light metal.")
    known, position = stopped_reader(folder)
    # Edited in place to the same size: only its modification time tells.
    (folder / "lithium.txt").write_bytes(LITHIUM.replace(b"soft", b"hard"))
    (folder / "sodium.txt").unlink()
    (folder / "potassium.txt").write_bytes(POTASSIUM)
    parses.clear()

    resumed = FolderStore(folder, LIMIT)
    taken_up = resumed.resume(position, known.values())
    changes = resumed.changes_since(None)

    assert taken_up
    assert sorted(parses) == ["lithium", "potassium"]
    assert changes.documents == FolderStore(folder, LIMIT).changes_since(None).documents
    assert "hard metal" in changes.documents["lithium"].text and "sodium" not in changes.documents


def test_a_file_modified_within_a_second_of_being_read_is_read_again_at_the_next_start(folder, parses):
    age(folder / "lithium.txt")
    (folder / "sodium.txt").write_bytes(SODIUM)  # modified just now: the scan below is within its clock tick
    earlier = FolderStore(folder, LIMIT)
    known = earlier.changes_since(None).documents
    position = earlier.lasting_position()
    status = (folder / "sodium.txt").stat()
    # Edited again within the same tick of the file system's clock: same size, same modification time.
    (folder / "sodium.txt").write_bytes(SODIUM.replace(b"water", b"acids"))
    os.utime(folder / "sodium.txt", ns=(status.st_atime_ns, status.st_mtime_ns))
    parses.clear()

    resumed = FolderStore(folder, LIMIT)
    resumed.resume(position, known.values())
    changes = resumed.changes_since(None)

    assert parses == ["sodium"]
    assert changes.documents["sodium"].text.endswith("reacts with acids.")


def test_a_position_saved_for_another_folder_is_not_taken_up_and_every_file_is_read(folder, tmp_path, parses):
    known, position = stopped_reader(folder)
    other = tmp_path / "other"
    shutil.copytree(folder, other)  # the same names, sizes and modification times
    parses.clear()

    resumed = FolderStore(other, LIMIT)
    taken_up = resumed.resume(position, known.values())
    resumed.changes_since(None)

    assert not taken_up
    assert parses == ["lithium"]


def test_writes_and_a_journal_started_anew_while_no_process_ran_lose_no_change_at_a_resumed_start(folder):
    (folder / "sodium.txt").write_bytes(SODIUM)
    known, position = stopped_reader(folder)
    writer = FolderStore(folder, LIMIT)
    writer.put("potassium", POTASSIUM, "text")
    writer.delete("sodium")
    (folder / FolderStore.JOURNAL_NAME).unlink()
    writer.put("lithium", LITHIUM + b" It is silvery.", "text")

    resumed = FolderStore(folder, LIMIT)
    resumed.resume(position, known.values())

    assert texts(resumed.changes_since(None)) == {"lithium": LITHIUM.decode() + " It is silvery.",
                                                  "potassium": POTASSIUM.decode()}


def test_a_scan_on_several_processes_reads_every_file_as_one_process_does(tmp_path, monkeypatch):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for n in range(40):
        (folder / f"doc-{n}.txt").write_bytes(LITHIUM + f" Number {n}.".encode())
    (folder / "page.html").write_text("<html><head><title>Page</title></head><body><p>Sodium is a metal.</p></body>"
                                      "</html>")
    (folder / "doc-3.md").write_bytes(SODIUM)  # a second file of one id
    (folder / "latin1.txt").write_bytes("café".encode("latin-1"))
    (folder / "huge.txt").write_bytes(b"word " * LIMIT)
    (folder / "bad id.txt").write_bytes(LITHIUM)
    pools = []
    real_map = folder_module.map_on_processes

    def counted(function, items, processes, chunksize):
        pools.append(processes)
        return real_map(function, items, processes, chunksize)

    monkeypatch.setattr(folder_module, "map_on_processes", counted)
    monkeypatch.setattr(folder_module, "MIN_BYTES_PER_READING_PROCESS", 1)

    shared_out = FolderStore(folder, LIMIT, reading_processes=2).changes_since(None)
    in_one = FolderStore(folder, LIMIT).changes_since(None)

    assert pools == [2]
    assert shared_out.documents == in_one.documents and len(in_one.documents) == 41
    assert shared_out.skipped == in_one.skipped
    assert {s.reason for s in in_one.skipped} == {"duplicate_id", "encoding", "too_large", "bad_id"}


def test_a_look_with_few_bytes_to_read_reads_them_in_this_process(folder, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("started processes to read a few files")

    monkeypatch.setattr(folder_module, "map_on_processes", refuse)
    (folder / "sodium.txt").write_bytes(SODIUM)

    assert set(FolderStore(folder, LIMIT, reading_processes=2).changes_since(None).documents) == {"lithium", "sodium"}
