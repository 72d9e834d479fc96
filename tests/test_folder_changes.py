"""The folder store's change reporting: its change journal, and hand edits found by a look behind the store's back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa_service.documents import parse_document
from qa_service.store import FolderStore
from qa_service.store import folder as folder_module
from qa_service.store import journal as journal_module
from qa_service.store.journal import ChangeJournal
from qa_service.store.view import StoreView

LIMIT = 100_000
LITHIUM = b"Lithium Facts\n\nLithium is a soft metal. It floats on oil."
SODIUM = b"Sodium Facts\n\nSodium is a soft metal that reacts with water."
AN_HOUR_AGO_NS = 3600 * 10**9


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lithium.txt").write_bytes(LITHIUM)
    return corpus


def age(path: Path) -> None:
    """Set a file's (or folder's) modification time an hour back, as if it had not been touched since."""
    then = path.stat().st_mtime_ns - AN_HOUR_AGO_NS
    os.utime(path, ns=(then, then))


def texts(changes) -> dict[str, str | None]:
    return {doc_id: document.text if document else None for doc_id, document in changes.documents.items()}


@pytest.fixture
def listings(monkeypatch) -> list[Path]:
    """Every listing of a folder's names that a reader of the folder store makes (a writer lists only one id's)."""
    made = []
    real_scandir = os.scandir

    def counted(path):
        made.append(Path(path))
        return real_scandir(path)

    monkeypatch.setattr(folder_module.os, "scandir", counted)
    return made


def test_a_file_copied_into_the_folder_by_hand_is_found_by_a_look_behind(folder):
    store = FolderStore(folder, LIMIT)
    start = store.changes_since(None).position

    (folder / "sodium.txt").write_bytes(SODIUM)

    assert "sodium" in store.changes_since(start, look_behind=True).documents


def test_a_file_rewritten_in_place_by_hand_is_found_by_a_look_behind_without_listing_the_folder(folder, listings):
    age(folder / "lithium.txt")
    age(folder)
    store = FolderStore(folder, LIMIT)
    start = store.changes_since(None).position
    listings.clear()

    with open(folder / "lithium.txt", "r+b") as file:  # in place: the folder's own modification time stays
        file.write(SODIUM)
    changes = store.changes_since(start, look_behind=True)

    assert list(changes.documents) == ["lithium"] and "reacts with water" in changes.documents["lithium"].text
    assert listings == []


def test_a_file_removed_by_hand_is_found_by_a_look_behind(folder):
    store = FolderStore(folder, LIMIT)
    start = store.changes_since(None).position

    (folder / "lithium.txt").unlink()

    assert store.changes_since(start, look_behind=True).documents == {"lithium": None}


def test_the_folder_is_listed_again_only_when_its_modification_time_moves(folder, listings):
    age(folder)
    store = FolderStore(folder, LIMIT)
    position = store.changes_since(None).position
    listings.clear()

    position = store.changes_since(position, look_behind=True).position
    unmoved = len(listings)
    (folder / "sodium.txt").write_bytes(SODIUM)
    changes = store.changes_since(position, look_behind=True)

    assert unmoved == 0
    assert listings == [folder] and "sodium" in changes.documents


def test_a_folder_listed_within_a_second_of_its_last_change_is_listed_again_at_the_next_look(folder, listings):
    store = FolderStore(folder, LIMIT)  # the folder was just written: its time is too recent to trust
    position = store.changes_since(None).position
    listings.clear()

    store.changes_since(position, look_behind=True)

    assert listings == [folder]


def test_a_write_is_read_from_the_journal_without_listing_the_folder(folder, listings):
    reader, writer = FolderStore(folder, LIMIT), FolderStore(folder, LIMIT)
    start = reader.changes_since(None).position  # there is no journal yet: the first write starts it
    writer.put("sodium", SODIUM, "text")
    listings.clear()

    changes = reader.changes_since(start)

    assert set(changes.documents) == {"sodium"} and listings == []


def test_without_a_look_behind_only_writes_through_a_store_are_reported(folder):
    store = FolderStore(folder, LIMIT)
    start = store.changes_since(None).position

    (folder / "by-hand.txt").write_bytes(SODIUM)
    FolderStore(folder, LIMIT).put("sodium", SODIUM, "text")

    assert set(store.changes_since(start).documents) == {"sodium"}


def test_a_journal_started_anew_makes_a_reader_scan_once_and_miss_nothing(folder, monkeypatch):
    reader, writer = FolderStore(folder, LIMIT), FolderStore(folder, LIMIT)
    writer.put("sodium", SODIUM, "text")
    start = reader.changes_since(None).position
    monkeypatch.setattr(journal_module, "MAX_BYTES", 0)  # every write starts a new journal

    writer.put("potassium", b"Potassium\n\nPotassium is a soft metal.", "text")
    writer.delete("lithium")
    changes = reader.changes_since(start)

    assert set(changes.documents) == {"potassium", "lithium"} and changes.documents["lithium"] is None


def test_a_writer_killed_half_way_through_a_journal_line_loses_no_later_line(tmp_path):
    journal = ChangeJournal(tmp_path / ".qa-journal", ".qa-tmp-")
    journal.append("lithium")
    position = journal.end()
    with open(journal.path, "ab") as file:
        file.write(b"\nsodi")  # the killed writer's partial line
    read_early, position_early = journal.read_from(position)

    journal.append("potassium")
    ids, _ = journal.read_from(position_early)

    assert read_early == [] and "potassium" in ids


def test_a_reader_that_found_no_journal_scans_when_the_journal_is_not_the_first(folder, monkeypatch):
    reader, writer = FolderStore(folder, LIMIT), FolderStore(folder, LIMIT)
    start = reader.changes_since(None).position  # no journal yet
    monkeypatch.setattr(journal_module, "MAX_BYTES", 0)
    writer.put("sodium", SODIUM, "text")
    writer.put("potassium", b"Potassium\n\nPotassium is a soft metal.", "text")  # the second journal: sodium's is gone

    assert set(reader.changes_since(start).documents) == {"sodium", "potassium"}


def test_reading_changes_creates_no_file_in_the_folder(folder):
    FolderStore(folder, LIMIT).changes_since(None, look_behind=True)

    assert [p.name for p in folder.iterdir()] == ["lithium.txt"]


def test_the_changes_since_a_position_are_the_ids_changed_after_it_each_once_with_what_it_serves_now():
    view = StoreView()
    for doc_id, text in (("a", "one"), ("b", "two"), ("c", "three")):
        view.set(doc_id, parse_document(doc_id, text))
    start = view.changes_since(None).position
    view.set("a", parse_document("a", "one again"))
    view.set("b", None)
    view.set("a", parse_document("a", "one more time"))
    middle = view.changes_since(start).position
    view.set("c", parse_document("c", "three"))  # the same document again: no change
    view.set("d", parse_document("d", "four"))

    assert texts(view.changes_since(start)) == {"a": "one more time", "b": None, "d": "four"}
    assert texts(view.changes_since(middle)) == {"d": "four"}
    assert view.changes_since(view.changes_since(start).position).documents == {}


def test_a_write_that_died_after_its_file_was_in_place_is_reported_at_the_next_change(folder, monkeypatch):
    watching = FolderStore(folder, LIMIT)
    start = watching.changes_since(None).position
    dying = FolderStore(folder, LIMIT)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this line of the write runs
    monkeypatch.setattr(dying, "_append_change", killed)
    with pytest.raises(KeyboardInterrupt):
        dying.put("sodium", SODIUM, "text")
    monkeypatch.undo()
    FolderStore(folder, LIMIT).put("lithium", LITHIUM + b" It is the lightest metal.", "text")

    assert set(watching.changes_since(start).documents) == {"sodium", "lithium"}
