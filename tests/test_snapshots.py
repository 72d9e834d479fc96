"""Index snapshots: a saved index loads back equal to a fresh build, and only for the content it was built from."""

from __future__ import annotations

import ast
import dataclasses
import gc
import importlib
import json
import mmap
import os
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from parse_counting import counting_parses
from test_spelling import probes

from qa_service import analysis_processes, create_app, payload
from qa_service.analysis import terms
from qa_service.config import Settings
from qa_service.corpus import LiveCorpus
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.publications.folder import FILE_NAME, MAGIC
from qa_service.sentence_vectors import CorpusVectors, SentenceVectors
from qa_service.snapshots import _ANALYSIS_MODULES, IndexSnapshots
from qa_service.store import FolderStore
from qa_service.store import folder as folder_module

QUESTIONS = ["What is Keppra?", "side effects of levetiracetam", "dose for children", "mood changes",
             "lithium sodium", "kidney"]
SECOND_DOCUMENT = "Lithium Notes\n\nLithium is a metal. Sodium is another metal.\n\nKidney function matters for dosing."


@pytest.fixture
def two_documents(corpus_dir: Path) -> Path:
    (corpus_dir / "lithium.txt").write_text(SECOND_DOCUMENT)
    return corpus_dir


def fresh_index(folder: Path) -> Index:
    documents, _ = FolderStore(folder, 5 * 1024 * 1024).load()
    return Index.build([analyse(d) for d in documents])


def live(folder: Path, cache: Path) -> LiveCorpus:
    return LiveCorpus(FolderStore(folder, 5 * 1024 * 1024), 0, IndexSnapshots(cache))


def assert_same_index(a: Index, b: Index) -> None:
    assert [d.document for d in a.documents] == [d.document for d in b.documents]
    assert a.passages == b.passages
    assert a.idf == b.idf and a.vocabulary == b.vocabulary and a.aliases == b.aliases
    for question in QUESTIONS:
        query = dict.fromkeys(terms(question), 1.0)
        assert a.search(query, k=12) == b.search(query, k=12)
        assert np.array_equal(a.scores(query), b.scores(query))


def test_a_saved_index_loads_back_equal_to_a_fresh_build(two_documents, tmp_path):
    snapshots = IndexSnapshots(tmp_path / "cache")
    snapshots.save(fresh_index(two_documents))

    loaded = snapshots.load()

    assert loaded is not None
    assert_same_index(loaded, fresh_index(two_documents))


def backing(array: np.ndarray) -> object:
    """What an array's data belongs to, past the arrays it is a view of: the mapped file's, for a loaded array."""
    while isinstance(array, np.ndarray):
        array = array.base
    return getattr(array, "obj", array)


def embedded(sentences: int = 300, width: int = 384) -> Index:
    rng = np.random.default_rng(5)
    analysed = analyse(parse_document("harbours", " ".join(f"Harbour {n} has {n} berths." for n in range(sentences))))
    vectors = rng.standard_normal((len(analysed.sentences), width))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Index.build([dataclasses.replace(analysed, embeddings=SentenceVectors.of(vectors), embedded_by="test")])


def test_a_saved_index_with_sentence_vectors_loads_their_projection_without_fitting_it(tmp_path, monkeypatch):
    built = embedded(width=16)
    assert built.projection is not None
    snapshots = IndexSnapshots(tmp_path / "cache", model="test")
    snapshots.save(built)
    monkeypatch.setattr("qa_service.vector_search.Projection.of", lambda vectors: pytest.fail("fitted again"))

    loaded = snapshots.load()

    assert loaded is not None
    assert np.array_equal(loaded.projection.base.rows, built.projection.base.rows)
    assert loaded.nearest(built.vectors.floats(42)) == built.nearest(built.vectors.floats(42))


def test_a_loaded_index_maps_its_sentence_vectors_from_the_file_as_one_matrix_saved_once(tmp_path):
    built = embedded()
    snapshots = IndexSnapshots(tmp_path / "cache", model="test")
    snapshots.save(built)

    loaded = snapshots.load()

    assert np.array_equal(loaded.vectors.steps, built.vectors.steps)
    assert isinstance(backing(loaded.vectors.steps), mmap.mmap) and not loaded.vectors.steps.flags.writeable
    (document,) = loaded.documents
    assert np.shares_memory(document.embeddings.steps, loaded.vectors.steps)  # rows of it, not stacked again
    assert (tmp_path / "cache" / FILE_NAME).read_bytes().count(built.vectors.steps.tobytes()) == 1
    assert loaded.nearest(built.vectors.floats(7)) == built.nearest(built.vectors.floats(7))


def test_an_index_after_writes_is_saved_as_one_matrix_and_its_writes_then_read_the_mapped_rows(tmp_path):
    built = embedded()
    rng = np.random.default_rng(9)
    analysed = analyse(parse_document("piers", "Pier one is long. Pier two is short. Pier three is gone."))
    vectors = rng.standard_normal((len(analysed.sentences), 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    written = built.changed({"piers": dataclasses.replace(analysed, embeddings=SentenceVectors.of(vectors),
                                                           embedded_by="test")})
    assert isinstance(written.vectors, CorpusVectors)  # the harbours' rows where they were, the piers' beside
    snapshots = IndexSnapshots(tmp_path / "cache", model="test")
    snapshots.save(written)

    loaded = snapshots.load()

    assert isinstance(loaded.vectors, SentenceVectors)
    assert np.array_equal(loaded.vectors.floats(), written.vectors.floats())
    assert all(np.shares_memory(doc.embeddings.steps, loaded.vectors.steps) for doc in loaded.documents)
    again = loaded.changed({"piers": None})
    assert np.shares_memory(again.documents[0].embeddings.steps, loaded.vectors.steps)
    assert isinstance(backing(again.documents[0].embeddings.steps), mmap.mmap)


def test_a_loaded_index_whose_arrays_are_all_pages_of_the_file_takes_writes_and_merges_as_a_fresh_build(
        two_documents, tmp_path, monkeypatch):
    monkeypatch.setattr(payload, "OUT_OF_BAND_BYTES", 0)  # every array mapped, none copied
    snapshots = IndexSnapshots(tmp_path / "cache")
    snapshots.save(fresh_index(two_documents))
    loaded = snapshots.load()
    (segment,) = loaded.segments
    assert all(isinstance(backing(array), mmap.mmap) for array in
               (segment.bounds, segment.passages, segment.counts, segment.passage_length, segment.document_start))
    edited = SECOND_DOCUMENT.replace("another metal", "a soft metal")
    (two_documents / "lithium.txt").write_text(edited)
    (two_documents / "zinc.txt").write_text("Zinc Notes\n\nZinc is a metal too.")

    documents, _ = FolderStore(two_documents, 5 * 1024 * 1024).load()

    changed = loaded.changed({doc.id: analyse(doc) for doc in documents if doc.id != "keppra-article"})
    merged = changed.merged(list(range(len(changed.segments))))

    assert len(changed.segments) == 2 and len(merged.segments) == 1
    assert_same_index(changed, fresh_index(two_documents))
    assert_same_index(merged, fresh_index(two_documents))


def test_a_saved_index_loads_its_spelling_table_as_saved_without_building_it(two_documents, tmp_path, monkeypatch):
    built = fresh_index(two_documents)
    written = analyse(parse_document("zz-written", "Lamotrigine lingers. Levetiracetam calms."))
    built = built.changed({"zz-written": written})  # the table under a write's changes, as a rebuild may save it
    assert built.spelling.changes
    snapshots = IndexSnapshots(tmp_path / "cache")
    snapshots.save(built)
    monkeypatch.setattr("qa_service.spelling.SpellingTable.of", lambda words: pytest.fail("built again"))

    loaded = snapshots.load()

    assert loaded is not None
    words = {*built.spelling.words, *built.vocabulary}
    assert all(loaded.spelling.get(variant) == built.spelling.get(variant) for variant in probes(words))
    assert loaded.spelling.get("lamotrigne") == ("lamotrigine",)


def test_a_restart_with_an_unchanged_corpus_analyses_nothing(two_documents, tmp_path, monkeypatch):
    first = live(two_documents, tmp_path / "cache").current().index

    def no_analysis(document):
        raise AssertionError(f"{document.id} was analysed again")

    monkeypatch.setattr(analysis_processes, "analyse", no_analysis)
    second = live(two_documents, tmp_path / "cache").current().index

    assert_same_index(second, first)


def test_a_serving_process_publishes_the_documents_written_since_it_started_when_asked(two_documents, tmp_path,
                                                                                      monkeypatch):
    serving = live(two_documents, tmp_path / "cache")
    serving.store.put("zinc", b"Zinc Notes\n\nZinc is a metal too.", "text")
    serving.store.put("tin", b"Tin Notes\n\nTin is a soft metal.", "text")
    assert len(serving.current().index.documents) == 4

    published = serving.publish()

    assert published
    monkeypatch.setattr(analysis_processes, "analyse", lambda document: pytest.fail(f"{document.id} analysed"))
    restarted = live(two_documents, tmp_path / "cache")
    assert restarted.origin.how == "loaded"
    assert_same_index(restarted.current().index, fresh_index(two_documents))


def test_a_changed_document_is_analysed_again_and_the_others_are_reused(two_documents, tmp_path, monkeypatch):
    live(two_documents, tmp_path / "cache")
    (two_documents / "lithium.txt").write_text(SECOND_DOCUMENT.replace("another metal", "a soft metal"))
    analysed = []

    def counting_analyse(document):
        analysed.append(document.id)
        return analyse(document)

    monkeypatch.setattr(analysis_processes, "analyse", counting_analyse)
    index = live(two_documents, tmp_path / "cache").current().index

    assert analysed == ["lithium"]
    assert_same_index(index, fresh_index(two_documents))
    assert IndexSnapshots(tmp_path / "cache").load().documents[1].document.text.count("a soft metal") == 1


def test_a_rebuild_while_serving_is_not_saved_and_the_next_start_reuses_what_did_not_change(
        two_documents, tmp_path, monkeypatch):
    serving = live(two_documents, tmp_path / "cache")
    (two_documents / "lithium.txt").write_text(SECOND_DOCUMENT.replace("another metal", "a soft metal"))

    rebuilt = serving.current().index

    assert "a soft metal" in rebuilt.documents[1].document.text
    assert "another metal" in IndexSnapshots(tmp_path / "cache").load().documents[1].document.text
    analysed = []

    def counting_analyse(document):
        analysed.append(document.id)
        return analyse(document)

    monkeypatch.setattr(analysis_processes, "analyse", counting_analyse)
    live(two_documents, tmp_path / "cache")
    assert analysed == ["lithium"]


def test_a_restart_with_a_changed_document_indexes_only_that_document_beside_the_saved_segments(
        two_documents, tmp_path):
    saved = live(two_documents, tmp_path / "cache").current().index
    (two_documents / "lithium.txt").write_text(SECOND_DOCUMENT.replace("another metal", "a soft metal"))

    index = live(two_documents, tmp_path / "cache").current().index

    assert index.segments[0] is not saved.segments[0]  # loaded from the file, not the first run's object
    assert [s.document_count for s in index.segments] == [2, 1]
    assert_same_index(index, fresh_index(two_documents))


def test_a_saved_index_of_several_segments_loads_back_equal_to_a_fresh_build(two_documents, tmp_path):
    documents, _ = FolderStore(two_documents, 5 * 1024 * 1024).load()
    analysed = [analyse(d) for d in documents]
    snapshots = IndexSnapshots(tmp_path / "cache")
    snapshots.save(Index.build(analysed[:1]).updated(analysed))

    loaded = snapshots.load()

    assert loaded is not None and len(loaded.segments) == 2
    assert_same_index(loaded, fresh_index(two_documents))


def test_a_snapshot_of_other_content_is_not_served(two_documents, tmp_path):
    live(two_documents, tmp_path / "cache")
    (two_documents / "lithium.txt").unlink()

    index = live(two_documents, tmp_path / "cache").current().index

    assert [d.document.id for d in index.documents] == ["keppra-article"]
    assert_same_index(index, fresh_index(two_documents))


def saved_snapshot(cache: Path) -> tuple[Path, bytes, int, dict]:
    """The snapshot file, its bytes, where its header line ends, and the header."""
    path = cache / FILE_NAME
    raw = path.read_bytes()
    header_end = raw.index(b"\n", len(MAGIC)) + 1
    return path, raw, header_end, json.loads(raw[len(MAGIC):header_end])


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped byte", "empty", "other code", "other format"])
def test_a_damaged_or_stale_snapshot_is_ignored_and_replaced(two_documents, tmp_path, damage):
    cache = tmp_path / "cache"
    live(two_documents, cache)
    path, raw, header_end, header = saved_snapshot(cache)
    if damage == "garbage":
        path.write_bytes(os.urandom(2048))
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped byte":
        middle = (header_end + len(raw)) // 2
        path.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        header.update({"code": "0" * 64} if damage == "other code" else {"format": 0})
        path.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + raw[header_end:])

    assert IndexSnapshots(cache).load() is None
    index = live(two_documents, cache).current().index

    assert_same_index(index, fresh_index(two_documents))
    assert IndexSnapshots(cache).load() is not None


def as_payload(objects: list) -> bytes:
    """Objects pickled as a snapshot's payload is laid out, whatever they are."""
    return b"".join(bytes(piece) for piece in payload.pieces(objects))


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_loading_a_tampered_snapshot_never_runs_code(two_documents, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    live(two_documents, cache)
    path, raw, header_end, header = saved_snapshot(cache)
    for tampered in ([_RunsCode(), {"index": {}, "store_position": None}], [None, {"documents": _RunsCode()}]):
        data = as_payload(tampered)
        header["crc32"] = zlib.crc32(data)
        path.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + data)

        assert IndexSnapshots(cache).load() is None
        assert not (tmp_path / "pwned").exists()


class OtherCodesTuple(NamedTuple):
    start: int


def test_a_snapshot_holding_a_named_tuple_of_other_code_is_refused(two_documents, tmp_path):
    cache = tmp_path / "cache"
    live(two_documents, cache)
    path, raw, header_end, header = saved_snapshot(cache)
    data = as_payload([None, {"index": {"documents": [OtherCodesTuple(1)]}, "store_position": None}])
    header["crc32"] = zlib.crc32(data)
    path.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + data)

    assert IndexSnapshots(cache).load() is None


def test_a_loaded_index_is_left_out_of_the_garbage_collectors_generations(two_documents, tmp_path):
    snapshots = IndexSnapshots(tmp_path / "cache")
    snapshots.save(fresh_index(two_documents))
    frozen_before = gc.get_freeze_count()

    loaded = snapshots.load()

    sentences = sum(len(doc.sentences) for doc in loaded.documents)
    assert gc.get_freeze_count() - frozen_before >= sentences
    assert gc.isenabled()
    gc.unfreeze()


def test_the_service_saves_its_index_in_the_cache_folder_and_writes_nothing_into_the_corpus(corpus_dir, tmp_path):
    before = sorted(p.name for p in corpus_dir.iterdir())
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": str(tmp_path / "cache")})

    assert app.test_client().get("/healthz").status_code == 200
    assert (Settings(qa_corpus=str(corpus_dir), qa_cache_dir=str(tmp_path / "cache")).index_cache_path(Path("unused"))
            / FILE_NAME).is_file()
    assert sorted(p.name for p in corpus_dir.iterdir()) == before


def test_the_saved_index_is_not_a_document_of_the_corpus(corpus_dir):
    create_app({"QA_CORPUS": str(corpus_dir)})

    listed = create_app({"QA_CORPUS": str(corpus_dir)}).test_client().get("/api/documents").get_json()

    assert [d["id"] for d in listed["documents"]] == ["keppra-article"]
    assert listed["skipped"] == []


@pytest.mark.parametrize("setting", ["QA_CACHE_DIR", "QA_INDEX_CACHE"])
def test_no_snapshot_is_written_when_the_cache_is_off(corpus_dir, tmp_path, monkeypatch, setting):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    app = create_app({"QA_CORPUS": str(corpus_dir), setting: "off"})

    assert app.test_client().get("/healthz").status_code == 200
    assert not (tmp_path / "cache").exists()
    assert not (corpus_dir / ".index-cache").exists()


def test_a_cache_folder_that_cannot_be_written_does_not_stop_the_service(corpus_dir, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")

    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": str(blocked / "cache")})

    assert app.test_client().post("/api/ask", json={"question": "What is Keppra?"}).status_code == 200


def test_the_cache_folder_is_the_instance_folder_unless_set_with_a_subfolder_per_corpus():
    instance = Path("/srv/app/instance")
    default = Settings(qa_corpus="/srv/corpus").index_cache_path(instance)

    assert default.parent == instance / "index"
    assert Settings(qa_corpus="/srv/corpus", qa_cache_dir="/var/cache/qa").index_cache_path(instance) == (
        Path("/var/cache/qa/index") / default.name)
    assert Settings(qa_corpus="/srv/other").index_cache_path(instance) != default
    assert Settings(qa_cache_dir="off").index_cache_path(instance) is None


def test_the_deprecated_index_cache_setting_still_works_and_says_it_is_deprecated():
    settings = Settings(qa_index_cache="/var/cache/qa")

    assert settings.index_cache_path(Path("/srv/app/instance")) == Path("/var/cache/qa")
    assert Settings(qa_index_cache="off").index_cache_path(Path("/srv/app/instance")) is None
    assert "QA_CACHE_DIR" in settings.deprecations[0]
    assert Settings().deprecations == []


def test_the_corpus_status_says_whether_this_process_built_its_index_or_loaded_the_saved_one(corpus_dir, tmp_path):
    settings = {"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": str(tmp_path / "cache"), "QA_SEMANTIC": "off"}
    first = create_app(settings).test_client().get("/api/corpus").get_json()

    again = create_app(settings).test_client().get("/api/corpus").get_json()

    assert (first["index_origin"], first["index_published_by"]) == ("built", None)
    assert again["index_origin"] == "loaded"
    assert again["index_published_by"].endswith(f"(pid {os.getpid()})")


def aged(folder: Path) -> Path:
    """The folder's files dated an hour back, as a corpus's files are when a service restarts on them."""
    for path in folder.iterdir():
        then = path.stat().st_mtime - 3600
        os.utime(path, (then, then))
    return folder


def test_a_restart_on_an_unchanged_corpus_reads_no_source_and_quotes_the_saved_documents(two_documents, tmp_path,
                                                                                       monkeypatch):
    first = live(aged(two_documents), tmp_path / "cache").current().index

    def no_parse(doc_id, *args, **kwargs):
        raise AssertionError(f"{doc_id} was read from its source again")

    monkeypatch.setattr(folder_module, "parse_document", no_parse)
    restarted = live(two_documents, tmp_path / "cache")

    assert restarted.origin.how == "loaded"
    assert_same_index(restarted.current().index, first)
    assert restarted.current().document("lithium").document.text == SECOND_DOCUMENT


def test_a_restart_after_files_were_edited_added_and_removed_by_hand_reads_those_and_answers_as_a_fresh_build(
        two_documents, tmp_path, monkeypatch):
    (two_documents / "sodium.txt").write_text("Sodium Notes\n\nSodium reacts with water.")
    live(aged(two_documents), tmp_path / "cache")
    (two_documents / "lithium.txt").write_text(SECOND_DOCUMENT.replace("another metal", "a soft metal"))
    (two_documents / "sodium.txt").unlink()
    (two_documents / "potassium.txt").write_text("Potassium Notes\n\nPotassium burns with a lilac flame.")
    parsed = counting_parses(monkeypatch, folder_module)
    restarted = live(two_documents, tmp_path / "cache").current().index
    monkeypatch.undo()

    assert sorted(parsed) == ["lithium", "potassium"]
    assert_same_index(restarted, fresh_index(two_documents))


# Imported by the analysing modules without deciding what an index holds: the embedding model (a snapshot names its
# model), how a question's scores are summed, and what a process keeps of its answers' work.
NOT_SAVED_BY_THEIR_CODE = {"meaning", "onnx_graph", "onnx_session", "passage_scores", "recent"}


def service_imports(module: str) -> set[str]:
    """The service's own modules that `module` imports (relative imports: every import within the package is)."""
    path = Path(importlib.import_module(f"qa_service.{module}").__file__)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {alias.name for alias in node.names}
    return found


def test_a_saved_index_is_stale_when_any_module_that_decides_its_content_changes():
    listed = {module.__name__.removeprefix("qa_service.") for module in _ANALYSIS_MODULES}
    reached, waiting = set(), list(listed)
    while waiting:
        module = waiting.pop()
        if module not in reached:
            reached.add(module)
            waiting += service_imports(module) - {"publications", "store"}

    assert reached - NOT_SAVED_BY_THEIR_CODE == listed  # a reader new to formats.py must be listed, say
