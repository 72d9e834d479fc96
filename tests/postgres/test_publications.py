"""Index snapshots published in PostgreSQL: one host builds, the others load; whole or not at all, and pruned."""

from __future__ import annotations

import mmap
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest

from qa_service import analysis_processes, create_app, payload
from qa_service.config import Settings
from qa_service.corpus import LiveCorpus
from qa_service.document_analysis import analyse
from qa_service.index import Index
from qa_service.publications import FolderPlace, PostgresPlace, SnapshotKey, open_place
from qa_service.publications import postgres as postgres_place
from qa_service.snapshots import WORDS_ONLY, IndexSnapshots, code_version
from qa_service.store import FolderStore, PostgresStore

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5 * 1024 * 1024
SECOND_DOCUMENT = "Lithium Notes\n\nLithium is a metal. Sodium is another metal.\n\nKidney function matters for dosing."


def seeded_store(database_url: str, tmp_path: Path) -> PostgresStore:
    folder = tmp_path / "seed"
    folder.mkdir(exist_ok=True)
    shutil.copy(ROOT / "corpus" / "keppra-article.txt", folder)
    (folder / "lithium.txt").write_text(SECOND_DOCUMENT)
    store = PostgresStore(database_url, LIMIT)
    store.set_up(seed=FolderStore(folder, LIMIT))
    return store


def place_of(database_url: str) -> PostgresPlace:
    place = PostgresPlace(database_url)
    place.set_up()
    return place


def host(store: PostgresStore, place: PostgresPlace, cache: Path) -> LiveCorpus:
    """One host's corpus: its own cache folder, the deployment's database."""
    return LiveCorpus(store, 1e9, IndexSnapshots(cache, place))


def fresh_index(store: PostgresStore) -> Index:
    return Index.build([analyse(d) for d in store.load()[0]])


def refuse_analysis(monkeypatch) -> None:
    def no_analysis(document):
        raise AssertionError(f"analysed {document.id} again")

    monkeypatch.setattr(analysis_processes, "analyse", no_analysis)


def publications(database_url: str) -> list[tuple[int, str, int, int]]:
    """(id, corpus, chunk rows, bytes in them) of every publication, oldest first."""
    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT s.id, s.corpus, count(c.seq), coalesce(sum(length(c.data)), 0) FROM qa_index_snapshots s "
            "LEFT JOIN qa_index_snapshot_chunks c ON c.snapshot = s.id GROUP BY s.id ORDER BY s.id").fetchall()


def test_a_second_host_loads_the_index_the_first_published_without_analysing_anything(database_url, tmp_path,
                                                                                        monkeypatch):
    store = seeded_store(database_url, tmp_path)
    first = host(store, place_of(database_url), tmp_path / "host-a")
    refuse_analysis(monkeypatch)

    second = host(PostgresStore(database_url, LIMIT), place_of(database_url), tmp_path / "host-b")

    assert first.origin.how == "built" and first.origin.published_by is None
    assert second.origin.how == "loaded" and second.origin.published_by
    assert not (tmp_path / "host-b").exists()  # nothing was saved on the second host
    monkeypatch.undo()
    expected = fresh_index(store)
    assert [d.document for d in second.current().index.documents] == [d.document for d in expected.documents]
    assert second.current().index.passages == expected.passages
    assert [row[1] for row in publications(database_url)] == [str(store.marker())]


def test_a_host_starting_after_a_write_loads_the_earlier_snapshot_and_analyses_only_the_changed_document(
        database_url, tmp_path, monkeypatch):
    store = seeded_store(database_url, tmp_path)
    host(store, place_of(database_url), tmp_path / "host-a")
    store.put("lithium", b"Lithium Notes\n\nLithium is a soft metal.", "text")
    analysed = []
    monkeypatch.setattr(analysis_processes, "analyse", lambda d: analysed.append(d.id) or analyse(d))

    second = host(PostgresStore(database_url, LIMIT), place_of(database_url), tmp_path / "host-b")

    assert analysed == ["lithium"]
    assert second.origin.how == "updated"
    assert "a soft metal" in second.current().document("lithium").document.text
    assert len(publications(database_url)) == 2  # the updated index is published for the hosts after it


def test_a_payload_larger_than_a_chunk_is_stored_in_chunks_and_read_back_whole(database_url, monkeypatch):
    monkeypatch.setattr(postgres_place, "CHUNK_BYTES", 1000)
    place = place_of(database_url)
    payload = bytes(range(256)) * 20  # 5,120 bytes: five full chunks and part of a sixth
    # Pieces of any size, a chunk's end falling inside them, on their ends and in an empty one.
    pieces = [payload[:10], memoryview(payload)[10:2500], b"", payload[2500:3000], payload[3000:]]

    assert place.publish(SnapshotKey("7", "code", "model"), {"n": 1}, pieces)

    [(_, corpus, chunks, size)] = publications(database_url)
    assert (corpus, chunks, size) == ("7", 6, len(payload))
    [found] = place.published("code", "model")
    assert found.header == {"n": 1}
    assert found.read_payload() == payload
    assert list(place.published("code", "other model")) == []
    assert list(place.published("other code", "model")) == []


def test_a_payload_read_from_the_database_is_a_mapped_file_in_the_spool_folder_that_leaves_no_name_behind(
        database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(postgres_place, "CHUNK_BYTES", 1000)
    spool = tmp_path / "cache"
    place = PostgresPlace(database_url, spool)
    place.set_up()
    payload = bytes(range(256)) * 20
    place.publish(SnapshotKey("7", "code", "model"), {"n": 1}, [payload])
    [found] = place.published("code", "model")

    read = found.read_payload()

    assert read == payload and isinstance(read.obj, mmap.mmap)
    assert list(spool.iterdir()) == []


def test_a_host_of_a_deployment_maps_the_index_it_loads_from_the_database(database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(payload, "OUT_OF_BAND_BYTES", 0)  # every array outside the pickles, however small
    store = seeded_store(database_url, tmp_path)
    host(store, place_of(database_url), tmp_path / "host-a")

    second = host(PostgresStore(database_url, LIMIT), PostgresPlace(database_url, tmp_path / "host-b"),
                  tmp_path / "host-b")

    assert second.origin.how == "loaded"
    passages = second.current().index.segments[0].passages
    while isinstance(passages, np.ndarray):
        passages = passages.base
    assert isinstance(passages.obj, mmap.mmap)
    assert second.current().index.passages == fresh_index(store).passages


@pytest.mark.parametrize("damage", ["flipped byte", "missing chunk", "shortened chunk"])
def test_a_corrupt_publication_is_never_served_and_the_one_before_it_is(database_url, tmp_path, monkeypatch, damage):
    monkeypatch.setattr(postgres_place, "CHUNK_BYTES", 4096)
    store = seeded_store(database_url, tmp_path)
    host(store, place_of(database_url), tmp_path / "host-a")
    store.put("lithium", b"Lithium Notes\n\nLithium is a soft metal.", "text")
    host(PostgresStore(database_url, LIMIT), place_of(database_url), tmp_path / "host-b")
    older, newer = publications(database_url)
    with psycopg.connect(database_url) as connection:
        if damage == "flipped byte":
            connection.execute("UPDATE qa_index_snapshot_chunks SET data = set_byte(data, 100, "
                               "get_byte(data, 100) # 255) WHERE snapshot = %s AND seq = 1", (newer[0],))
        elif damage == "missing chunk":
            connection.execute("DELETE FROM qa_index_snapshot_chunks WHERE snapshot = %s AND seq = 1", (newer[0],))
        else:
            connection.execute("UPDATE qa_index_snapshot_chunks SET data = substring(data from 1 for 10) "
                               "WHERE snapshot = %s AND seq = 1", (newer[0],))
    analysed = []
    monkeypatch.setattr(analysis_processes, "analyse", lambda d: analysed.append(d.id) or analyse(d))

    third = host(PostgresStore(database_url, LIMIT), place_of(database_url), tmp_path / "host-c")

    assert third.origin.how == "updated"  # from the older publication, the newer being passed over
    assert analysed == ["lithium"]
    assert "a soft metal" in third.current().document("lithium").document.text
    assert third.current().index.passages == fresh_index(store).passages
    assert [row[0] for row in publications(database_url)][-1] > newer[0]  # published again, whole this time


def test_publishing_keeps_the_newest_publications_and_drops_the_older_with_their_chunks(database_url, monkeypatch):
    monkeypatch.setattr(postgres_place, "CHUNK_BYTES", 10)
    place = place_of(database_url)

    for n in range(postgres_place.KEPT + 3):
        place.publish(SnapshotKey(str(n), "code", "model"), {"n": n}, [b"x" * 25])

    kept = publications(database_url)
    assert [row[1] for row in kept] == [str(n) for n in range(3, postgres_place.KEPT + 3)]
    assert all(chunks == 3 for _, _, chunks, _ in kept)
    with psycopg.connect(database_url) as connection:
        assert connection.execute("SELECT count(*) FROM qa_index_snapshot_chunks").fetchone()[0] == 3 * len(kept)
    assert [p.header["n"] for p in place.published("code", "model")] == list(range(postgres_place.KEPT + 2, 2, -1))


def test_two_publishers_of_one_key_at_once_leave_one_whole_publication(database_url):
    place = place_of(database_url)
    payloads = [bytes([n]) * 3_000_000 for n in (1, 2)]
    results = []

    def publish(payload: bytes) -> None:
        results.append(place.publish(SnapshotKey("1", "code", "model"), {"first": payload[0]}, [payload]))

    threads = [threading.Thread(target=publish, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    [found] = place.published("code", "model")
    assert found.read_payload() == payloads[found.header["first"] - 1]


def waiting_for_advisory_lock(database_url: str) -> bool:
    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                                  ).fetchone()[0] > 0


def test_a_host_starting_while_another_builds_waits_for_its_snapshot_instead_of_building(database_url, tmp_path,
                                                                                          monkeypatch):
    store = seeded_store(database_url, tmp_path)
    place = place_of(database_url)
    started: list[LiveCorpus] = []
    with place.building(code_version(), WORDS_ONLY):
        second = threading.Thread(target=lambda: started.append(
            host(PostgresStore(database_url, LIMIT), place_of(database_url), tmp_path / "host-b")))
        second.start()
        deadline = time.monotonic() + 30
        while not waiting_for_advisory_lock(database_url) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_for_advisory_lock(database_url), "the second host did not wait for the build lock"
        # The first host's build and publication, while the second waits:
        IndexSnapshots(tmp_path / "host-a", place).save(fresh_index(store), store.marker())
        refuse_analysis(monkeypatch)
    second.join(60)

    assert started and started[0].origin.how == "loaded"


def test_a_build_for_another_model_does_not_hold_up_a_host_starting(database_url, tmp_path):
    store = seeded_store(database_url, tmp_path)
    started: list[LiveCorpus] = []
    with place_of(database_url).building(code_version(), "another model"):
        starting = threading.Thread(target=lambda: started.append(host(store, place_of(database_url), tmp_path / "b")))
        starting.start()
        starting.join(120)

        assert started and started[0].origin.how == "built"


def test_the_database_is_the_place_with_database_url_unless_publishing_is_off(database_url, tmp_path):
    cache = tmp_path / "cache"

    assert isinstance(open_place(Settings(database_url=database_url), cache), PostgresPlace)
    assert isinstance(open_place(Settings(database_url=database_url, qa_publish_index=False), cache), FolderPlace)
    assert isinstance(open_place(Settings(), cache), FolderPlace)
    assert open_place(Settings(), None) is None


def test_the_corpus_status_says_which_host_published_the_index_this_one_loaded(database_url, tmp_path):
    seeded_store(database_url, tmp_path).close()
    settings = {"DATABASE_URL": database_url, "QA_CORPUS": str(tmp_path / "seed"), "QA_SEMANTIC": "off"}
    first = create_app({**settings, "QA_CACHE_DIR": str(tmp_path / "a")}).test_client().get("/api/corpus").get_json()

    second = create_app({**settings, "QA_CACHE_DIR": "off"}).test_client().get("/api/corpus").get_json()

    assert (first["index_origin"], first["index_published_by"]) == ("built", None)
    assert second["index_origin"] == "loaded" and second["index_published_by"]
    assert second["version"] == first["version"] and second["passages"] == first["passages"]
    with psycopg.connect(database_url) as connection:
        assert connection.execute("SELECT code FROM qa_index_snapshots").fetchall() == [(code_version(),)]
