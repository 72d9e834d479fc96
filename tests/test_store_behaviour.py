"""What every store does: the folder store and the PostgreSQL store pass the same tests, run against each.

A new store joins by adding a parameter to the `open_store` fixture.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from parse_counting import counting_parses
from postgres.server import postgres_installed
from sample_files import scanned_pdf, two_column_pdf, word_document

from qa_service import create_app
from qa_service.documents import DocumentRejected
from qa_service.store import FolderStore, PostgresStore
from qa_service.store.base import Precondition, PreconditionFailed, UnknownDocument, UnknownVersion

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 100_000  # room for a Word file: python-docx's template alone is about 36 kB
LITHIUM = b"Lithium Facts\n\nLithium is a soft metal. It floats on oil."
SODIUM = b"# Sodium\n\nSodium is a soft metal that reacts with water."


@pytest.fixture(params=["folder", "postgresql"])
def open_store(request, tmp_path: Path):
    """A function that opens a (new handle on the same) store; each test gets an empty one."""
    if request.param == "folder":
        folder = tmp_path / "corpus"
        yield lambda: FolderStore(folder, LIMIT)
        return
    if not postgres_installed():
        pytest.skip("the PostgreSQL server programs (initdb, postgres) are not installed")
    url = request.getfixturevalue("database_url")
    opened = []

    def open_postgres():
        store = PostgresStore(url, LIMIT)
        store.set_up(seed=FolderStore(tmp_path / "no-seed", LIMIT))
        opened.append(store)
        return store

    yield open_postgres
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store):
    return open_store()


def served(store) -> dict[str, tuple[str, str, str]]:
    documents, skipped = store.load()
    assert skipped == []
    return {d.id: (d.format, d.title, d.text) for d in documents}


def test_a_new_document_is_created_and_served(store):
    written = store.put("lithium", LITHIUM, "text")

    assert written.created
    assert written.document.version == store.current("lithium").version
    assert served(store) == {"lithium": ("text", "Lithium Facts", LITHIUM.decode())}


def test_a_document_is_replaced_and_its_version_changes(store):
    first = store.put("lithium", LITHIUM, "text").document
    second = store.put("lithium", LITHIUM + b" It is silvery.", "text")

    assert not second.created
    assert second.document.version != first.version
    assert served(store)["lithium"][2].endswith("It is silvery.")


def test_a_change_of_format_leaves_one_document_under_the_id(store):
    store.put("lithium", LITHIUM, "text")
    store.put("lithium", b"<h1>Lithium</h1><p>Lithium is light.</p>", "html")

    assert served(store) == {"lithium": ("html", "Lithium", "Lithium\n\nLithium is light.")}


def test_a_title_given_with_the_document_is_kept(open_store):
    open_store().put("sodium", SODIUM, "markdown", title="All about sodium")

    assert served(open_store())["sodium"][:2] == ("markdown", "All about sodium")


def stored_bytes(store, doc_id: str) -> bytes:
    """What the store holds for a document, looked at behind its back."""
    if isinstance(store, FolderStore):
        (path,) = store.document_files(doc_id)
        return path.read_bytes()
    with store._transaction() as connection:
        return bytes(connection.execute("SELECT original FROM qa_documents WHERE id = %s", (doc_id,)).fetchone()[0])


def test_pdf_and_word_files_are_kept_byte_for_byte_and_served_as_their_text(open_store):
    pdf, word = two_column_pdf(), word_document()
    writer = open_store()
    writer.put("handbook", pdf, "pdf")
    writer.put("guide", word, "docx")

    documents = served(open_store())

    assert stored_bytes(writer, "handbook") == pdf
    assert stored_bytes(writer, "guide") == word
    assert documents["handbook"][:2] == ("pdf", "Lithium Handbook")
    assert "Lithium can cause a fine tremor of the hands" in documents["handbook"][2]
    assert documents["guide"][:2] == ("docx", "Sodium Guide")
    assert "250 mg | morning" in documents["guide"][2]
    assert open_store().current("handbook").version == writer.current("handbook").version


def test_writes_are_seen_by_another_handle_on_the_same_store(open_store):
    writer, reader = open_store(), open_store()
    writer.put("lithium", LITHIUM, "text")
    writer.put("sodium", SODIUM, "markdown")
    writer.delete("lithium")

    assert set(served(reader)) == {"sodium"}


def test_every_write_moves_the_marker_even_twice_in_a_row(store):
    markers = [store.marker()]
    store.put("lithium", LITHIUM, "text")
    markers.append(store.marker())
    store.put("lithium", LITHIUM, "text")
    markers.append(store.marker())
    store.delete("lithium")
    markers.append(store.marker())

    assert len(set(markers)) == 4


@pytest.mark.parametrize(("doc_id", "raw", "fmt", "reason"), [
    ("../etc/passwd", LITHIUM, "text", "bad_id"),
    ("", LITHIUM, "text", "bad_id"),
    ("..", LITHIUM, "text", "bad_id"),
    (".hidden", LITHIUM, "text", "bad_id"),  # a folder keeps its own files under such names, never documents
    ("x" * 101, LITHIUM, "text", "bad_id"),
    ("lithium", b"Lithium is a soft metal. " * 5000, "text", "too_large"),
    ("lithium", "café au lait.".encode("latin-1"), "text", "encoding"),
    ("lithium", b"   \n\n  ", "text", "empty"),
    ("lithium", b"-- --", "text", "no_text"),
    ("lithium", b"<script>alert(1)</script>", "html", "no_text"),
    ("lithium", LITHIUM, "rtf", "format"),
    ("lithium", scanned_pdf(), "pdf", "no_text_layer"),
    ("lithium", b"%PDF-1.7\nnot really a PDF", "pdf", "unreadable"),
    ("lithium", b"PK\x03\x04 not really a Word file", "docx", "unreadable"),
])
def test_a_rejected_write_changes_nothing(store, doc_id, raw, fmt, reason):
    store.put("lithium", LITHIUM, "text")
    before = (served(store), store.marker())

    with pytest.raises(DocumentRejected) as rejected:
        store.put(doc_id, raw, fmt)

    assert rejected.value.reason == reason
    assert (served(store), store.marker()) == before


def test_if_match_with_an_old_version_is_refused_and_changes_nothing(store):
    old = store.put("lithium", LITHIUM, "text").document.version
    store.put("lithium", LITHIUM + b" It is silvery.", "text")
    before = served(store)

    with pytest.raises(PreconditionFailed):
        store.put("lithium", SODIUM, "markdown", precondition=Precondition(if_match=frozenset({old})))
    with pytest.raises(PreconditionFailed):
        store.delete("lithium", precondition=Precondition(if_match=frozenset({old})))

    assert served(store) == before


def test_if_match_with_the_current_version_goes_ahead(store):
    version = store.put("lithium", LITHIUM, "text").document.version

    store.put("lithium", SODIUM, "markdown", precondition=Precondition(if_match=frozenset({version})))

    assert served(store)["lithium"][0] == "markdown"


def test_if_none_match_star_creates_but_never_replaces(store):
    create_only = Precondition(if_none_match=frozenset({"*"}))
    assert store.put("lithium", LITHIUM, "text", precondition=create_only).created

    with pytest.raises(PreconditionFailed):
        store.put("lithium", SODIUM, "markdown", precondition=create_only)
    assert served(store)["lithium"][0] == "text"


def test_if_match_on_a_missing_document_is_refused(store):
    with pytest.raises(PreconditionFailed):
        store.put("lithium", LITHIUM, "text", precondition=Precondition(if_match=frozenset({"*"})))
    assert served(store) == {}


def test_deleting_an_unknown_document_is_an_error_that_changes_nothing(store):
    store.put("lithium", LITHIUM, "text")
    marker = store.marker()

    with pytest.raises(UnknownDocument):
        store.delete("sodium")
    assert store.marker() == marker


def test_concurrent_writers_lose_no_document(open_store):
    open_store().put("seed", LITHIUM, "text")
    errors = []

    def writer(n: int):
        handle = open_store()
        try:
            for i in range(5):
                handle.put(f"doc-{n}-{i}", LITHIUM + f" Number {n}.{i}.".encode(), "text")
        except Exception as error:  # a failure in a thread must fail the test, not vanish
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert set(served(open_store())) == {"seed"} | {f"doc-{n}-{i}" for n in range(4) for i in range(5)}


def test_of_two_editors_holding_the_same_version_only_one_wins(open_store):
    version = open_store().put("lithium", LITHIUM, "text").document.version
    expected = Precondition(if_match=frozenset({version}))
    start = threading.Barrier(2)
    outcomes = []

    def editor(text: bytes):
        handle = open_store()
        start.wait(10)
        try:
            handle.put("lithium", text, "text", precondition=expected)
            outcomes.append(("written", text))
        except PreconditionFailed:
            outcomes.append(("refused", text))

    threads = [threading.Thread(target=editor, args=(LITHIUM + f" Edit {n}.".encode(),)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(kind for kind, _ in outcomes) == ["refused", "written"]
    winner = next(text for kind, text in outcomes if kind == "written")
    assert served(open_store())["lithium"][2] == winner.decode()


def test_a_load_parses_only_what_changed_since_the_last(store, monkeypatch):
    for n in range(5):
        store.put(f"doc-{n}", LITHIUM + f" Number {n}.".encode(), "text")
    store.load()
    store.put("doc-3", LITHIUM + b" Changed.", "text")
    parsed = counting_parses(monkeypatch, sys.modules[type(store).__module__])
    documents, _ = store.load()

    assert parsed == ["doc-3"]
    assert len(documents) == 5


def test_the_service_writes_and_answers_through_the_store(open_store, tmp_path):
    # The app opens its own handle from the settings; this one only prepares the store.
    prepared = open_store()
    prepared.put("sodium", SODIUM, "markdown")
    settings = ({"DATABASE_URL": prepared.url} if isinstance(prepared, PostgresStore)
                else {"QA_CORPUS": str(prepared.folder)})
    app = create_app({**settings, "QA_RELOAD_SECONDS": 3600, "QA_ADMIN_TOKEN": "t" * 20})
    client = app.test_client()
    auth = {"Authorization": "Bearer " + "t" * 20}

    created = client.put("/api/documents/lithium", data=LITHIUM, content_type="text/plain", headers=auth)
    answer = client.post("/api/ask", json={"question": "Does lithium float on oil?"}).get_json()
    removed = client.delete("/api/documents/lithium", headers={**auth, "If-Match": created.headers["ETag"]})
    after = client.post("/api/ask", json={"question": "Does lithium float on oil?"}).get_json()

    assert created.status_code == 201
    assert answer["corpus_version"] == created.get_json()["corpus_version"]
    assert any("It floats on oil." in q["text"] for q in answer["quotes"])
    assert removed.status_code == 204
    assert not any("lithium" in q["document"] for q in after["quotes"])
    assert set(served(open_store())) == {"sodium"}


# --- history: every write keeps the version it replaces ------------------------------------------------------


def test_every_write_keeps_the_previous_version_with_who_wrote_it(store):
    first = store.put("lithium", LITHIUM, "text", editor="alice").document
    second = store.put("lithium", LITHIUM + b" It is silvery.", "text", editor="bob").document

    kept = store.versions("lithium")

    assert [(v.version, v.stored_by, v.current) for v in kept] == [(second.version, "bob", True),
                                                                   (first.version, "alice", False)]
    assert kept[1].title == "Lithium Facts"
    assert kept[1].size == len(first.text.encode("utf-8"))


def test_a_restore_brings_back_the_exact_previous_text_and_title_as_a_new_write(store):
    first = store.put("sodium", SODIUM, "markdown", title="All about sodium").document
    store.put("sodium", b"# Sodium\n\nRewritten badly.", "markdown", editor="bob")

    restored = store.restore("sodium", first.version, editor="alice")

    assert restored.document == first
    assert store.current("sodium") == first
    assert served(store)["sodium"] == ("markdown", "All about sodium", first.text)
    assert [(c.action, c.by) for c in store.changes("sodium")][:1] == [("restore", "alice")]


def test_a_restore_respects_if_match(store):
    first = store.put("lithium", LITHIUM, "text").document
    second = store.put("lithium", LITHIUM + b" It is silvery.", "text").document

    with pytest.raises(PreconditionFailed):
        store.restore("lithium", first.version, Precondition(if_match=frozenset({first.version})))

    assert store.current("lithium") == second


def test_a_version_that_was_never_written_is_unknown(store):
    store.put("lithium", LITHIUM, "text")

    with pytest.raises(UnknownVersion):
        store.version("lithium", "0123456789abcdef")
    with pytest.raises(UnknownVersion):
        store.version("sodium", "0123456789abcdef")
    assert store.versions("sodium") == []


def test_a_removed_document_keeps_its_last_version_and_the_removal_can_be_undone(store):
    written = store.put("lithium", LITHIUM, "text").document
    store.delete("lithium", editor="alice")

    assert [(c.doc_id, c.by, c.from_version) for c in store.removed()] == [("lithium", "alice", written.version)]
    assert not store.versions("lithium")[0].current

    store.restore("lithium", written.version, Precondition(if_none_match=frozenset({"*"})))

    assert served(store) == {"lithium": ("text", "Lithium Facts", LITHIUM.decode())}
    assert store.removed() == []


def test_the_audit_log_says_who_changed_what_from_which_version_to_which(store):
    first = store.put("lithium", LITHIUM, "text", editor="alice").document
    second = store.put("lithium", SODIUM, "markdown", editor="bob").document
    store.delete("lithium", editor="carol")

    assert [(c.doc_id, c.action, c.by, c.from_version, c.to_version) for c in store.changes()] == [
        ("lithium", "delete", "carol", second.version, None),
        ("lithium", "replace", "bob", first.version, second.version),
        ("lithium", "create", "alice", None, first.version),
    ]
    assert len(store.changes(limit=1)) == 1
    assert store.changes("sodium") == []


def test_history_past_the_retention_period_is_dropped_but_the_served_version_stays(store):
    store.put("lithium", LITHIUM, "text")
    current = store.put("lithium", LITHIUM + b" It is silvery.", "text").document
    store.put("sodium", SODIUM, "markdown")
    store.delete("sodium")

    dropped = store.purge_history(datetime.now(UTC) + timedelta(seconds=1))

    assert dropped == 2
    assert [v.version for v in store.versions("lithium")] == [current.version]
    assert store.versions("sodium") == [] and store.removed() == [] and store.changes() == []


def test_a_store_with_no_retention_drops_the_replaced_version_at_the_next_write(open_store):
    store = open_store()
    store.history_days = 0
    store.put("lithium", LITHIUM, "text")
    store.put("lithium", LITHIUM + b" It is silvery.", "text")
    store.put("sodium", SODIUM, "markdown")

    assert [v.current for v in store.versions("lithium")] == [True]


def test_history_is_seen_by_another_handle_on_the_same_store(open_store):
    first = open_store().put("lithium", LITHIUM, "text").document
    open_store().put("lithium", SODIUM, "markdown")

    assert open_store().version("lithium", first.version).document == first


def test_a_restore_killed_at_any_moment_leaves_one_of_the_two_versions_whole(open_store):
    store = open_store()
    old = store.put("lithium", LITHIUM * 50, "text").document
    new = store.put("lithium", SODIUM * 50, "markdown").document
    opening = (f"PostgresStore({store.url!r}, {LIMIT})" if isinstance(store, PostgresStore)
               else f"FolderStore({str(store.folder)!r}, {LIMIT})")
    restorer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from qa_service.store import FolderStore, PostgresStore
        store = {opening}
        for n in range(10_000):
            store.restore("lithium", {old.version!r} if n % 2 else {new.version!r})
            print(n, flush=True)
    """)], stdout=subprocess.PIPE, text=True)
    for _ in range(5):
        restorer.stdout.readline()
    restorer.send_signal(signal.SIGKILL)
    restorer.wait(30)

    assert served(open_store())["lithium"][2] in (old.text, new.text)
    assert {v.version for v in open_store().versions("lithium")} == {old.version, new.version}


# --- what changed since a position: what a live corpus reads after a write ---------------------------------------

def texts(changes) -> dict[str, str | None]:
    return {doc_id: document.text if document else None for doc_id, document in changes.documents.items()}


def test_changes_since_a_position_are_the_documents_written_since_by_any_handle(open_store):
    reader, writer = open_store(), open_store()
    writer.put("lithium", LITHIUM, "text")
    writer.put("sodium", SODIUM, "markdown")
    first = reader.changes_since(None)

    replaced = writer.put("lithium", LITHIUM + b" It is silvery.", "text").document
    writer.delete("sodium")
    added = writer.put("potassium", b"Potassium\n\nPotassium is a soft metal.", "text").document
    changes = reader.changes_since(first.position)

    assert first.complete and set(first.documents) == {"lithium", "sodium"}
    assert not changes.complete
    assert texts(changes) == {"lithium": replaced.text, "sodium": None, "potassium": added.text}
    assert reader.changes_since(changes.position).documents == {}


def test_changes_made_by_another_process_are_reported(open_store):
    reader = open_store()
    reader.put("lithium", LITHIUM, "text")
    start = reader.changes_since(None).position
    opening = (f"PostgresStore({reader.url!r}, {LIMIT})" if isinstance(reader, PostgresStore)
               else f"FolderStore({str(reader.folder)!r}, {LIMIT})")
    subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from qa_service.store import FolderStore, PostgresStore
        store = {opening}
        store.put("sodium", {SODIUM!r}, "markdown")
        store.delete("lithium")
    """)], check=True, timeout=60)

    changes = reader.changes_since(start)

    assert set(changes.documents) == {"sodium", "lithium"}
    assert changes.documents["lithium"] is None and "reacts with water" in changes.documents["sodium"].text


def test_changes_since_read_only_the_documents_written(open_store, monkeypatch):
    reader, writer = open_store(), open_store()
    for n in range(20):
        writer.put(f"doc-{n}", LITHIUM + f" Number {n}.".encode(), "text")
    start = reader.changes_since(None).position
    writer.put("doc-7", LITHIUM + b" Changed.", "text")
    parsed = counting_parses(monkeypatch, sys.modules[type(reader).__module__])
    changes = reader.changes_since(start)

    assert parsed == ["doc-7"]
    assert list(changes.documents) == ["doc-7"]


def test_a_position_another_handle_gave_gets_every_document(open_store):
    first, second = open_store(), open_store()
    first.put("lithium", LITHIUM, "text")
    position = first.changes_since(None).position

    changes = second.changes_since(position)

    assert changes.complete and set(changes.documents) == {"lithium"}


def test_documents_load_in_the_order_of_their_ids(store):
    for doc_id in ("a-b", "a", "a.b", "b"):
        store.put(doc_id, LITHIUM, "text")

    assert [d.id for d in store.load()[0]] == ["a", "a-b", "a.b", "b"]


def settled(store) -> None:
    """Date every file of a folder store a minute back, as the files of a corpus are when a service starts on them
    (a file modified within the file system's clock tick of being read is read again at the next start anyway)."""
    if isinstance(store, FolderStore):
        then = time.time() - 60
        for path in store.files():
            os.utime(path, (then, then))


def test_a_handle_resumed_from_a_lasting_position_reads_only_what_was_written_since(open_store, monkeypatch):
    earlier = open_store()  # the process that saved the position, and then stopped
    for n in range(20):
        earlier.put(f"doc-{n}", LITHIUM + f" Number {n}.".encode(), "text")
    settled(earlier)
    known = earlier.changes_since(None).documents
    position = earlier.lasting_position()
    writer = open_store()  # writes made while no process read the store
    writer.put("doc-7", LITHIUM + b" Changed.", "text")
    writer.delete("doc-3")
    writer.put("doc-new", SODIUM, "markdown")
    everything = open_store().changes_since(None)

    resumed = open_store()
    taken_up = resumed.resume(position, known.values())
    parsed = counting_parses(monkeypatch, sys.modules[type(resumed).__module__])
    changes = resumed.changes_since(None)

    assert taken_up
    assert sorted(parsed) == ["doc-7", "doc-new"]
    assert changes.complete and changes.documents == everything.documents
    assert changes.skipped == everything.skipped


def test_a_handle_resumed_on_an_unchanged_store_reads_nothing_and_serves_the_saved_documents(open_store,
                                                                                            monkeypatch):
    earlier = open_store()
    for n in range(5):
        earlier.put(f"doc-{n}", LITHIUM + f" Number {n}.".encode(), "text")
    settled(earlier)
    known = earlier.changes_since(None).documents
    position = earlier.lasting_position()

    resumed = open_store()
    resumed.resume(position, known.values())
    parsed = counting_parses(monkeypatch, sys.modules[type(resumed).__module__])
    changes = resumed.changes_since(None)

    assert parsed == []
    assert all(changes.documents[doc_id] is document for doc_id, document in known.items())


def test_a_handle_that_has_read_the_store_does_not_resume(open_store):
    earlier = open_store()
    earlier.put("lithium", LITHIUM, "text")
    settled(earlier)
    known = earlier.changes_since(None).documents
    position = earlier.lasting_position()
    reading = open_store()
    reading.changes_since(None)

    assert not reading.resume(position, known.values())


def test_a_position_saved_with_documents_of_other_versions_reads_those_documents_again(open_store, monkeypatch):
    earlier = open_store()
    earlier.put("lithium", LITHIUM, "text")
    earlier.put("sodium", SODIUM, "markdown")
    settled(earlier)
    known = earlier.changes_since(None).documents
    position = earlier.lasting_position()
    stale = dataclasses.replace(known["lithium"], text=known["lithium"].text + " An older text.")

    resumed = open_store()
    resumed.resume(position, [known["sodium"], stale])
    parsed = counting_parses(monkeypatch, sys.modules[type(resumed).__module__])
    changes = resumed.changes_since(None)

    assert parsed == ["lithium"]
    assert changes.documents == known
