"""The `corpus` command group: list, add, remove and check work on the store the service reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa_service import analysis_processes, create_app, state
from qa_service.editors import token_hash

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def run(runner, *args: str):
    return runner.invoke(args=["corpus", *args])


def served_ids(client) -> list[str]:
    return [d["id"] for d in client.get("/api/documents").get_json()["documents"]]


def test_list_prints_each_document_with_its_version_and_title(runner):
    result = run(runner, "list")

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "keppra-article\ttext\t" + result.stdout.split("\t")[2] + "\tKeppra and Its Potential in Migraine Management"]
    assert "1 documents" in result.stderr


def test_add_creates_a_document_named_after_the_file_and_the_service_serves_it(runner, client, tmp_path):
    source = tmp_path / "lithium-notes.md"
    source.write_text("# Lithium\n\nLithium is a soft metal.")

    result = run(runner, "add", str(source))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added lithium-notes (version ")
    assert served_ids(client) == ["keppra-article", "lithium-notes"]


def test_add_with_an_id_and_a_title_replaces_that_document(runner, client, tmp_path):
    source = tmp_path / "anything.txt"
    source.write_text("Lithium is a soft metal.")

    result = run(runner, "add", str(source), "--id", "keppra-article", "--title", "Replaced")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("replaced keppra-article")
    assert client.get("/api/documents/keppra-article").get_json()["title"] == "Replaced"


@pytest.mark.parametrize(("name", "content", "args", "message"), [
    ("notes.rtf", b"{\\rtf1 Fine text.}", (), "not a .txt, .md, .html, .pdf or .docx file"),
    ("notes.pdf", b"%PDF", (), "not a readable PDF"),
    ("latin1.txt", "café".encode("latin-1"), (), "not UTF-8"),
    ("notes.txt", b"Fine text.", ("--id", "../escape"), "not a valid id"),
])
def test_add_refuses_a_bad_file_with_a_message_and_changes_nothing(runner, client, tmp_path, name, content, args,
                                                                    message):
    source = tmp_path / name
    source.write_bytes(content)

    result = run(runner, "add", str(source), *args)

    assert result.exit_code == 1
    assert message in result.output
    assert served_ids(client) == ["keppra-article"]


def test_add_of_a_file_whose_name_is_no_id_says_to_give_one_with_id(runner, client, tmp_path):
    source = tmp_path / "pédiatrie.txt"
    source.write_text("Pediatrics\n\nChildren are seen on Tuesdays.")

    result = run(runner, "add", str(source))

    assert result.exit_code == 1
    assert "pédiatrie.txt: the file name is no document id" in result.output and "--id" in result.output
    assert run(runner, "add", str(source), "--id", "pediatrie").exit_code == 0
    assert "pediatrie" in served_ids(client)


def test_remove_deletes_the_document(runner, client):
    result = run(runner, "remove", "keppra-article")

    assert result.exit_code == 0
    assert served_ids(client) == []


def test_remove_of_an_id_only_an_unreadable_file_holds_says_where_the_file_was_set_aside(runner, corpus_dir):
    (corpus_dir / "cafe.txt").write_bytes("Café notes\n\nThe café opens at nine.\n".encode("latin-1"))

    result = run(runner, "remove", "cafe")

    assert result.exit_code == 0, result.output
    assert "set aside .qa-history/set-aside/" in result.stdout and "cafe.txt" in result.stdout
    assert not (corpus_dir / "cafe.txt").exists()


def test_remove_of_an_unknown_id_fails_with_a_message(runner):
    result = run(runner, "remove", "nothing-here")

    assert result.exit_code == 1
    assert "no document with the id 'nothing-here'" in result.output


def test_check_passes_on_a_clean_folder(runner):
    result = run(runner, "check")

    assert result.exit_code == 0
    assert "1 documents served, 0 skipped" in result.stderr


def test_check_lists_each_skipped_file_with_its_reason_and_fails(corpus_dir: Path):
    (corpus_dir / "latin1.txt").write_bytes("café".encode("latin-1"))
    (corpus_dir / "two words.txt").write_text("Fine text.")
    runner = create_app({"QA_CORPUS": str(corpus_dir)}).test_cli_runner()

    result = run(runner, "check")

    assert result.exit_code == 1
    rows = [line.split("\t")[:2] for line in result.stdout.splitlines()]
    assert sorted(rows) == [["latin1.txt", "encoding"], ["two words.txt", "bad_id"]]


def test_check_names_sub_folders_other_files_and_broken_links_without_failing(corpus_dir: Path):
    (corpus_dir / "parking").mkdir()
    (corpus_dir / "parking" / "visitors.md").write_text("# Parking\n\nVisitors park behind the clinic.")
    (corpus_dir / "leaflet.rtf").write_text("{\\rtf1 Parking}")
    (corpus_dir / "old.txt").symlink_to(corpus_dir / "gone.txt")
    (corpus_dir / ".draft.txt").write_text("Hidden on purpose.")
    runner = create_app({"QA_CORPUS": str(corpus_dir)}).test_cli_runner()

    result = run(runner, "check")

    assert result.exit_code == 0, result.output
    assert [line.split("\t")[:2] for line in result.stdout.splitlines()] == [
        ["leaflet.rtf", "not read"], ["old.txt", "not read"], ["parking/", "not read"]]
    assert "only the files directly in the corpus folder" in result.stdout
    assert "1 documents served, 0 skipped, 3 not documents" in result.stderr


def test_python_m_qa_service_runs_the_same_commands_on_the_folder_in_qa_corpus(corpus_dir: Path):
    result = subprocess.run([sys.executable, "-m", "qa_service", "corpus", "list"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "QA_CORPUS": str(corpus_dir)})

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("keppra-article\ttext\t")


def test_history_lists_the_kept_versions_and_restore_brings_one_back(runner, client, tmp_path):
    original = client.get("/api/documents/keppra-article").get_json()
    source = tmp_path / "keppra-article.txt"
    source.write_text("Keppra\n\nA careless rewrite of the whole article.")
    run(runner, "add", str(source))

    history = run(runner, "history", "keppra-article")
    restored = run(runner, "restore", "keppra-article", original["version"])

    assert history.exit_code == 0
    assert [line.split("\t")[0] for line in history.stdout.splitlines()][1:] == [original["version"]]
    assert restored.exit_code == 0, restored.output
    assert client.get("/api/documents/keppra-article").get_json()["text"] == original["text"]


def test_history_without_an_id_is_the_audit_log_and_a_removal_can_be_restored(runner, client):
    version = client.get("/api/documents/keppra-article").get_json()["version"]
    run(runner, "remove", "keppra-article")

    log = run(runner, "history")
    restored = run(runner, "restore", "keppra-article", version)

    assert log.stdout.split("\t")[1:6] == ["-", "delete", "keppra-article", version, "-\n"]
    assert restored.exit_code == 0
    assert served_ids(client) == ["keppra-article"]


def test_restore_of_a_version_never_kept_fails_with_a_message(runner):
    result = run(runner, "restore", "keppra-article", "0123456789abcdef")

    assert result.exit_code == 1
    assert "no version '0123456789abcdef' is kept" in result.output


def test_purge_empties_the_history_so_a_removal_can_no_longer_be_undone(runner):
    run(runner, "remove", "keppra-article")

    purged = run(runner, "purge")

    assert purged.stdout == "dropped 1 kept versions\n"
    assert run(runner, "history", "keppra-article").exit_code == 1
    assert run(runner, "history").stdout == ""


def test_editors_hash_prints_the_tokens_file_line_without_the_token(runner):
    result = runner.invoke(args=["editors", "hash", "alice", "--token", "alice-secret-token-123"])

    assert result.exit_code == 0
    assert result.stdout == f"alice:{token_hash('alice-secret-token-123')}\n"
    assert "alice-secret-token-123" not in result.stdout


def test_publish_saves_the_index_as_written_since_the_start_so_the_next_start_analyses_nothing(
        corpus_dir, tmp_path, monkeypatch):
    settings = {"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": str(tmp_path / "cache"), "QA_SEMANTIC": "off"}
    serving = create_app(settings)
    written = tmp_path / "lithium.txt"
    written.write_text("Lithium Notes\n\nLithium is a soft metal. Sodium is another metal.")
    assert serving.test_cli_runner().invoke(args=["corpus", "add", str(written)]).exit_code == 0
    assert "lithium" in {d.document.id for d in state.live_corpus(serving).current().index.documents}

    result = create_app(settings).test_cli_runner().invoke(args=["corpus", "publish"])

    assert result.exit_code == 0, result.output
    assert "2 documents" in result.output and "published in FolderPlace" in result.output
    monkeypatch.setattr(analysis_processes, "analyse",
                        lambda document: pytest.fail(f"{document.id} was analysed again"))
    restarted = state.live_corpus(create_app(settings))
    assert restarted.origin.how == "loaded"
    assert {d.document.id for d in restarted.current().index.documents} == {"keppra-article", "lithium"}


def test_publish_says_when_the_newest_publication_holds_the_corpus_already(corpus_dir, tmp_path):
    settings = {"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": str(tmp_path / "cache"), "QA_SEMANTIC": "off"}
    create_app(settings)  # the first start publishes

    result = create_app(settings).test_cli_runner().invoke(args=["corpus", "publish"])

    assert result.exit_code == 0
    assert "the newest publication holds it already" in result.output


def test_publish_without_a_place_to_publish_in_fails_with_a_message(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": "off", "QA_SEMANTIC": "off"})

    result = app.test_cli_runner().invoke(args=["corpus", "publish"])

    assert result.exit_code != 0
    assert "no place to publish the index in" in result.output


def test_a_setting_the_app_cannot_use_is_one_line_naming_it_not_a_traceback(tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "qa_service", "corpus", "list"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "QA_CORPUS": str(tmp_path / "corpsu")})

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: QA_CORPUS={str(tmp_path / 'corpsu')!r} does not exist: the corpus folder must be an existing "
        "folder (an empty one is an empty corpus)"]
