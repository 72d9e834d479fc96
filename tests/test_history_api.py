"""The history over HTTP: versions, one version, restore (If-Match), undoing a removal, the audit log, and who
may see them; every reply fits the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from qa_service import create_app
from qa_service.editors import token_hash
from qa_service.openapi import openapi_document

TOKEN = "correct-horse-battery-staple"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LITHIUM = "Lithium Facts\n\nLithium is a soft metal. It floats on oil."
EDITED = "Lithium Facts\n\nLithium is a hard metal, says a careless edit."
OPENAPI = openapi_document()


def documented(response, path: str):
    """The response's status is documented for its operation, and its JSON body fits the documented schema."""
    operation = OPENAPI["paths"][path][response.request.method.lower()]
    entry = operation["responses"].get(str(response.status_code))
    assert entry is not None, f"{path} answered {response.status_code}, which is not documented"
    if "content" in entry:
        schema = entry["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": OPENAPI["components"]}).validate(response.get_json())
    return response


@pytest.fixture
def app(corpus_dir: Path):
    return create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 3600, "QA_ADMIN_TOKEN": TOKEN})


@pytest.fixture
def put(client):
    def _put(doc_id: str, text: str, **headers):
        return client.put(f"/api/documents/{doc_id}", data=text, content_type="text/plain",
                          headers={**AUTH, **headers})
    return _put


def versions(client, doc_id: str, headers=AUTH):
    return documented(client.get(f"/api/documents/{doc_id}/versions", headers=headers),
                      "/api/documents/{doc_id}/versions")


def restore(client, doc_id: str, version: str, **headers):
    return documented(client.post(f"/api/documents/{doc_id}/versions/{version}/restore",
                                  headers={**AUTH, **headers}),
                      "/api/documents/{doc_id}/versions/{version}/restore")


def test_the_versions_list_shows_each_write_newest_first_with_size_title_time_and_editor(client, put):
    first = put("lithium", LITHIUM).get_json()
    second = put("lithium", EDITED).get_json()

    listed = versions(client, "lithium").get_json()["versions"]

    assert [(v["version"], v["current"], v["stored_by"]) for v in listed] == [
        (second["version"], True, "admin"), (first["version"], False, "admin")]
    assert listed[1]["size"] == first["size"] and listed[1]["title"] == "Lithium Facts"
    assert listed[1]["stored_at"] and listed[1]["replaced_at"]


def test_one_version_comes_back_with_its_text(client, put):
    first = put("lithium", LITHIUM).get_json()
    put("lithium", EDITED)

    reply = documented(client.get(f"/api/documents/lithium/versions/{first['version']}", headers=AUTH),
                       "/api/documents/{doc_id}/versions/{version}")

    assert reply.get_json()["text"] == LITHIUM
    assert reply.get_json()["current"] is False


def test_a_restore_brings_back_the_exact_previous_text_and_answers_quote_it(client, put):
    first = put("lithium", LITHIUM).get_json()
    edited = put("lithium", EDITED)

    restored = restore(client, "lithium", first["version"], If_Match=edited.headers["ETag"])
    answer = client.post("/api/ask", json={"question": "Does lithium float on oil?"}).get_json()

    assert restored.status_code == 200
    assert restored.headers["ETag"] == f'"{first["version"]}"'
    assert client.get("/api/documents/lithium").get_json()["text"] == LITHIUM
    assert any("It floats on oil." in q["text"] for q in answer["quotes"])


def test_a_restore_with_an_if_match_that_no_longer_holds_is_412_and_changes_nothing(client, put):
    first = put("lithium", LITHIUM)
    put("lithium", EDITED)

    reply = restore(client, "lithium", first.get_json()["version"], If_Match=first.headers["ETag"])

    assert reply.status_code == 412
    assert client.get("/api/documents/lithium").get_json()["text"] == EDITED


def test_a_removal_is_listed_and_undone_by_restoring_its_last_version(client, put):
    written = put("lithium", LITHIUM).get_json()
    client.delete("/api/documents/lithium", headers=AUTH)

    removed = documented(client.get("/api/removed", headers=AUTH), "/api/removed").get_json()["removed"]
    undone = restore(client, "lithium", removed[0]["from_version"], If_None_Match="*")

    assert [(r["id"], r["by"], r["from_version"]) for r in removed] == [("lithium", "admin", written["version"])]
    assert undone.status_code == 201
    assert client.get("/api/documents/lithium").get_json()["text"] == LITHIUM
    assert client.get("/api/removed", headers=AUTH).get_json()["removed"] == []


def test_the_audit_log_lists_who_did_what_from_which_version_to_which(client, put):
    first = put("lithium", LITHIUM).get_json()
    second = put("lithium", EDITED).get_json()
    restore(client, "lithium", first["version"])
    client.delete("/api/documents/lithium", headers=AUTH)

    changes = documented(client.get("/api/changes?document=lithium", headers=AUTH), "/api/changes")

    assert [(c["action"], c["by"], c["from_version"], c["to_version"]) for c in changes.get_json()["changes"]] == [
        ("delete", "admin", first["version"], None),
        ("restore", "admin", second["version"], first["version"]),
        ("replace", "admin", first["version"], second["version"]),
        ("create", "admin", None, first["version"]),
    ]
    assert len(client.get("/api/changes?limit=1", headers=AUTH).get_json()["changes"]) == 1


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "document=..%2Fetc"])
def test_a_bad_audit_log_query_is_400(client, query):
    reply = documented(client.get(f"/api/changes?{query}", headers=AUTH), "/api/changes")

    assert reply.status_code == 400


def test_an_unknown_version_is_404_and_restoring_it_changes_nothing(client, put):
    put("lithium", LITHIUM)

    missing = documented(client.get("/api/documents/lithium/versions/0123456789abcdef", headers=AUTH),
                         "/api/documents/{doc_id}/versions/{version}")
    refused = restore(client, "lithium", "0123456789abcdef")

    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unknown_version"
    assert refused.status_code == 404
    assert versions(client, "nothing-here").status_code == 404
    assert client.get("/api/documents/lithium").get_json()["text"] == LITHIUM


@pytest.mark.parametrize("path", ["/api/documents/keppra-article/versions", "/api/changes", "/api/removed"])
def test_the_history_needs_the_admin_token(client, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
    assert client.post("/api/documents/keppra-article/versions/0123456789abcdef/restore").status_code == 401


def test_a_named_editors_writes_carry_their_name_and_the_single_token_still_works(corpus_dir, tmp_path):
    tokens = tmp_path / "editors.txt"
    tokens.write_text(f"# editors of the corpus\nalice:{token_hash('alice-secret-token-123')}\n"
                      f"bob:{token_hash('bob-secret-token-4567')}\n")
    client = create_app({"QA_CORPUS": str(corpus_dir), "QA_ADMIN_TOKENS": str(tokens),
                         "QA_ADMIN_TOKEN": TOKEN}).test_client()

    for token in ("alice-secret-token-123", "bob-secret-token-4567", TOKEN):
        reply = client.put("/api/documents/lithium", data=f"{LITHIUM} Written by {token[:5]}.",
                           content_type="text/plain", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code in (200, 201)
    wrong = client.put("/api/documents/lithium", data=LITHIUM, content_type="text/plain",
                       headers={"Authorization": f"Bearer {token_hash('alice-secret-token-123')}"})

    assert wrong.status_code == 401
    assert [c["by"] for c in client.get("/api/changes", headers=AUTH).get_json()["changes"]] == [
        "admin", "bob", "alice"]


@pytest.mark.parametrize("content", ["alice\n", "alice:abc\n", f":{'a' * 64}\n",
                                     f"alice:{'a' * 64}\nalice:{'b' * 64}\n"])
def test_a_malformed_tokens_file_is_refused_at_start_naming_the_setting(corpus_dir, tmp_path, content):
    tokens = tmp_path / "editors.txt"
    tokens.write_text(content)

    with pytest.raises(ValueError, match="QA_ADMIN_TOKENS"):
        create_app({"QA_CORPUS": str(corpus_dir), "QA_ADMIN_TOKENS": str(tokens)})
