"""The folder store: which files become documents, and how a bad file is skipped with a warning, never a crash."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from qa_service import create_app
from qa_service.store import FolderStore

GOOD = "Lithium Facts\n\nLithium is a soft metal. It floats on oil."


def store_of(folder: Path, max_bytes: int = 10_000) -> FolderStore:
    return FolderStore(folder, max_document_bytes=max_bytes)


def test_txt_md_and_html_files_are_read_and_named_by_their_stem(tmp_path):
    (tmp_path / "lithium.txt").write_text(GOOD)
    (tmp_path / "sodium.md").write_text("# Sodium\n\nSodium is a **soft** metal.")
    (tmp_path / "potassium.html").write_text("<h1>Potassium</h1><p>Potassium is a soft metal.</p>")

    documents, skipped = store_of(tmp_path).load()

    assert {(d.id, d.format, d.title) for d in documents} == {
        ("lithium", "text", "Lithium Facts"),
        ("sodium", "markdown", "Sodium"),
        ("potassium", "html", "Potassium"),
    }
    assert skipped == []


def test_other_files_and_hidden_files_are_ignored(tmp_path):
    (tmp_path / "lithium.txt").write_text(GOOD)
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    (tmp_path / ".draft.txt").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inner.txt").write_text(GOOD)

    documents, skipped = store_of(tmp_path).load()

    assert [d.id for d in documents] == ["lithium"]
    assert skipped == []


def test_a_missing_folder_is_an_empty_corpus(tmp_path):
    assert store_of(tmp_path / "nowhere").load() == ([], [])


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("latin1.txt", "café au lait, served hot.".encode("latin-1"), "encoding"),
    ("empty.txt", b"", "empty"),
    ("blank.md", b"\n   \n", "empty"),
    ("huge.txt", b"Lithium is a soft metal. " * 100, "too_large"),
])
def test_a_bad_file_is_skipped_with_a_warning_naming_it(tmp_path, caplog, name, content, reason):
    (tmp_path / "lithium.txt").write_text(GOOD)
    (tmp_path / name).write_bytes(content)

    with caplog.at_level(logging.WARNING, logger="qa_service.store"):
        documents, skipped = store_of(tmp_path, max_bytes=1000).load()

    assert [d.id for d in documents] == ["lithium"]
    assert [(s.name, s.reason) for s in skipped] == [(name, reason)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert name in warnings[0].getMessage()


def test_two_files_with_the_same_stem_keep_the_first_and_skip_the_second_naming_the_one_served(tmp_path, caplog):
    (tmp_path / "lithium.md").write_text("# Lithium\n\nFrom Markdown.")
    (tmp_path / "lithium.txt").write_text(GOOD)

    with caplog.at_level(logging.WARNING, logger="qa_service.store"):
        documents, skipped = store_of(tmp_path).load()

    assert [(d.id, d.format) for d in documents] == [("lithium", "markdown")]
    assert [(s.name, s.reason) for s in skipped] == [("lithium.txt", "duplicate_id")]
    assert skipped[0].message.startswith("lithium.txt: lithium.md is served under the id 'lithium'")
    assert "lithium.txt" in caplog.text


def test_a_file_name_that_is_not_a_valid_id_is_skipped(tmp_path, caplog):
    (tmp_path / "two words.txt").write_text(GOOD)

    with caplog.at_level(logging.WARNING, logger="qa_service.store"):
        documents, skipped = store_of(tmp_path).load()

    assert documents == []
    assert [(s.name, s.reason) for s in skipped] == [("two words.txt", "bad_id")]
    assert "ASCII letters" in skipped[0].message and "rename the file" in skipped[0].message
    assert "two words.txt" in caplog.text


def test_the_service_starts_on_a_folder_of_bad_files_and_lists_them(tmp_path, caplog):
    (tmp_path / "lithium.txt").write_text(GOOD)
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    (tmp_path / "empty.html").write_bytes(b"")

    with caplog.at_level(logging.WARNING, logger="qa_service.store"):
        client = create_app({"QA_CORPUS": str(tmp_path), "QA_RELOAD_SECONDS": 0}).test_client()
    listing = client.get("/api/documents").get_json()

    assert [d["id"] for d in listing["documents"]] == ["lithium"]
    assert sorted(s["name"] for s in listing["skipped"]) == ["empty.html", "latin1.txt"]
    assert "latin1.txt" in caplog.text and "empty.html" in caplog.text
