"""PUT and DELETE /api/documents/<id>: the token, the id rule, limits, versions, and what readers see after."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from qa_service import create_app, state
from qa_service.documents import ID_RULE
from qa_service.openapi import openapi_document
from qa_service.store.base import StoreUnavailable

TOKEN = "correct-horse-battery-staple"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LITHIUM = "Lithium Facts\n\nLithium is a soft metal. It floats on oil."
OPENAPI = openapi_document()
WRITE_PATH = "/api/documents/{doc_id}"


def documented(response) -> None:
    """The response's status is documented for its operation, and its JSON body fits the documented schema."""
    operation = OPENAPI["paths"][WRITE_PATH][response.request.method.lower()]
    entry = operation["responses"].get(str(response.status_code))
    assert entry is not None, f"{response.request.method} answered {response.status_code}, which is not documented"
    if "content" in entry:
        schema = entry["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": OPENAPI["components"]}).validate(response.get_json())


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]["code"]


@pytest.fixture
def app(corpus_dir: Path):
    return create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 3600, "QA_ADMIN_TOKEN": TOKEN,
                       "QA_MAX_DOCUMENT_BYTES": 5000})


@pytest.fixture
def put(client):
    def _put(doc_id: str, body: str | bytes | dict = LITHIUM, content_type: str = "text/plain", **headers):
        headers = {**AUTH, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if isinstance(body, dict):
            response = client.put(f"/api/documents/{doc_id}", json=body, headers=headers)
        else:
            response = client.put(f"/api/documents/{doc_id}", data=body, content_type=content_type, headers=headers)
        if response.request.path.startswith("/api/documents/") and response.request.path != "/api/documents/":
            documented(response)
        return response

    return _put


def corpus_files(corpus_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in corpus_dir.iterdir() if not p.name.startswith(".")}


# --- who may write --------------------------------------------------------------------------------------------


def test_with_no_token_configured_writing_is_off_and_the_reply_says_how_to_turn_it_on(corpus_dir):
    client = create_app({"QA_CORPUS": str(corpus_dir)}).test_client()

    reply = client.put("/api/documents/lithium", data=LITHIUM, content_type="text/plain",
                       headers={"Authorization": "Bearer anything-at-all-here"})

    assert error_code(reply, 403) == "writing_disabled"
    assert "QA_ADMIN_TOKEN" in reply.get_json()["error"]["message"]
    assert error_code(client.delete("/api/documents/keppra-article"), 403) == "writing_disabled"


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Basic " + TOKEN, "Bearer wrong-token",
                                           f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"])
def test_a_missing_or_wrong_token_is_401_with_www_authenticate(client, corpus_dir, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    before = corpus_files(corpus_dir)

    put_reply = client.put("/api/documents/lithium", data=LITHIUM, content_type="text/plain", headers=headers)
    delete_reply = client.delete("/api/documents/keppra-article", headers=headers)

    for reply in (put_reply, delete_reply):
        assert error_code(reply, 401) == "unauthorized"
        assert reply.headers["WWW-Authenticate"].startswith("Bearer ")
    assert corpus_files(corpus_dir) == before


def test_reading_and_asking_need_no_token(client):
    assert client.get("/api/documents/keppra-article").status_code == 200
    assert client.post("/api/ask", json={"question": "What is Keppra?"}).status_code == 200


def test_a_token_shorter_than_16_characters_is_refused_at_start():
    with pytest.raises(ValueError, match="QA_ADMIN_TOKEN"):
        create_app({"QA_ADMIN_TOKEN": "short"})


# --- ids ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["../etc/passwd", "%2e%2e", "%2E%2E%2Fetc%2Fpasswd", "..", "a/b", "a%2Fb",
                                  "white%20space", "semi;colon", "x" * 101, "caf%C3%A9", "line%0Abreak", "%0A",
                                  "lithium%0A", "", ".hidden", ".qa-journal"])
def test_an_id_outside_the_rule_is_400_naming_the_rule_and_nothing_is_written(put, client, corpus_dir, path):
    before = corpus_files(corpus_dir)

    put_reply = put(path)
    delete_reply = client.delete(f"/api/documents/{path}", headers=AUTH)

    for reply in (put_reply, delete_reply):
        assert error_code(reply, 400) == "invalid_id"
        assert ID_RULE in reply.get_json()["error"]["message"]
    assert corpus_files(corpus_dir) == before
    assert not (corpus_dir.parent / "etc").exists()


@pytest.mark.parametrize("doc_id", ["a", "report-2024_v2.final", "X" * 100])
def test_an_id_inside_the_rule_is_accepted(put, doc_id):
    assert put(doc_id).status_code == 201


# --- what a write does ----------------------------------------------------------------------------------------


def test_put_creates_with_201_location_and_etag_then_replaces_with_200(put, client):
    created = put("lithium")
    replaced = put("lithium", LITHIUM + " It is silvery.")

    assert created.status_code == 201
    assert created.headers["Location"].endswith("/api/documents/lithium")
    assert created.get_json()["created"] is True
    assert replaced.status_code == 200
    assert replaced.get_json()["created"] is False
    assert replaced.headers["ETag"] == f'"{replaced.get_json()["version"]}"'
    assert client.get("/api/documents/lithium").headers["ETag"] == replaced.headers["ETag"]
    assert created.headers["ETag"] != replaced.headers["ETag"]


@pytest.mark.parametrize(("content_type", "body", "fmt", "title"), [
    ("text/plain; charset=utf-8", LITHIUM, "text", "Lithium Facts"),
    ("text/markdown", "# Lithium\n\nLithium is **soft**.", "markdown", "Lithium"),
    ("text/html", "<html><title>Li</title><body><p>Lithium is soft.</p></body></html>", "html", "Li"),
])
def test_each_text_media_type_is_stored_in_its_format(put, client, content_type, body, fmt, title):
    reply = put("lithium", body, content_type)

    assert reply.status_code == 201
    stored = client.get("/api/documents/lithium").get_json()
    assert (stored["format"], stored["title"]) == (fmt, title)


def test_a_json_body_gives_text_format_and_title(put, client):
    reply = put("sodium", {"title": "All about sodium", "text": "# Sodium\n\nSodium is *soft*.", "format": "markdown"})

    assert reply.status_code == 201
    stored = client.get("/api/documents/sodium").get_json()
    assert (stored["title"], stored["format"], stored["text"]) == ("All about sodium", "markdown",
                                                                   "Sodium\n\nSodium is soft.")


def test_a_put_over_an_unreadable_file_of_the_id_says_where_that_file_was_set_aside(put, corpus_dir):
    (corpus_dir / "lithium.txt").write_bytes("Lithium\n\nLithium is soft; caf\u00e9 talk.\n".encode("latin-1"))

    reply = put("lithium", "# Lithium\n\nLithium is a soft metal.", content_type="text/markdown")

    assert reply.status_code == 201
    [where] = reply.get_json()["set_aside"]
    assert where.startswith(".qa-history/set-aside/") and where.endswith("-lithium.txt")
    assert (corpus_dir / where).read_bytes().endswith("caf\u00e9 talk.\n".encode("latin-1"))
    assert "set_aside" not in put("lithium", "# Lithium\n\nLithium floats.", content_type="text/markdown").get_json()


def test_delete_removes_with_204_and_then_the_id_is_unknown(client, put):
    put("lithium")

    reply = client.delete("/api/documents/lithium", headers=AUTH)
    documented(reply)

    assert reply.status_code == 204 and reply.get_data() == b""
    assert "Content-Type" not in reply.headers
    assert client.get("/api/documents/lithium").status_code == 404
    again = client.delete("/api/documents/lithium", headers=AUTH)
    documented(again)
    assert error_code(again, 404) == "unknown_document"


def test_after_a_write_answers_come_from_the_new_corpus_and_carry_its_version(client, put):
    before = client.get("/api/corpus").get_json()

    written = put("lithium").get_json()
    answer = client.post("/api/ask", json={"question": "Does lithium float on oil?"}).get_json()
    after = client.get("/api/corpus").get_json()

    assert after["version"] == written["corpus_version"] != before["version"]
    assert after["documents"] == before["documents"] + 1
    assert answer["corpus_version"] == written["corpus_version"]
    assert any(q["document"] == "lithium" and "floats on oil" in q["text"] for q in answer["quotes"])


def test_after_a_delete_no_answer_quotes_the_removed_document(client, put):
    put("lithium")
    client.delete("/api/documents/lithium", headers=AUTH)

    answer = client.post("/api/ask", json={"question": "Does lithium float on oil?"}).get_json()

    assert all(q["document"] != "lithium" for q in answer["quotes"])


# --- rejected writes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    ("Lithium is a soft metal. " * 250, "text/plain", 413, "too_large"),
    ({"text": "Lithium is a soft metal. " * 250}, None, 413, "too_large"),
    ("café au lait.".encode("latin-1"), "text/plain", 422, "unusable_document"),
    (LITHIUM, "text/plain; charset=latin-1", 422, "not_utf8"),
    ("-- --", "text/plain", 422, "unusable_document"),
    ("<script>alert(1)</script><nav>Home</nav>", "text/html", 422, "unusable_document"),
    ("   ", "text/plain", 422, "unusable_document"),
    (LITHIUM, "application/rtf", 415, "unsupported_media_type"),
    ("%PDF-1.7 but not a PDF", "application/pdf", 422, "unusable_document"),
    (b"{not json", "application/json", 400, "malformed_json"),
    ({"title": "No text"}, None, 400, "invalid_request"),
    ({"text": LITHIUM, "format": "docx"}, None, 400, "invalid_format"),
    ({"text": LITHIUM, "title": 7}, None, 400, "invalid_request"),
])
def test_a_rejected_document_is_refused_with_its_status_and_changes_nothing(put, client, corpus_dir, body,
                                                                           content_type, status, code):
    put("lithium")
    files, version = corpus_files(corpus_dir), client.get("/api/corpus").get_json()["version"]

    reply = put("lithium", body, content_type or "application/json")

    assert error_code(reply, status) == code
    assert corpus_files(corpus_dir) == files
    assert client.get("/api/corpus").get_json()["version"] == version


def test_the_too_large_message_names_the_limit(put):
    reply = put("lithium", "x" * 5001)

    assert "5000" in reply.get_json()["error"]["message"]


# --- versions and preconditions -------------------------------------------------------------------------------


def test_put_with_an_if_match_that_no_longer_matches_is_412_and_changes_nothing(put, client):
    first = put("lithium").headers["ETag"]
    second = put("lithium", LITHIUM + " Edited by someone else.").headers["ETag"]

    reply = put("lithium", LITHIUM + " My edit.", If_Match=first)

    assert error_code(reply, 412) == "version_mismatch"
    assert client.get("/api/documents/lithium").headers["ETag"] == second


def test_put_with_the_current_etag_as_if_match_goes_ahead(put, client):
    etag = client.get("/api/documents/keppra-article").headers["ETag"]

    reply = put("keppra-article", LITHIUM, If_Match=etag)

    assert reply.status_code == 200


def test_put_with_if_none_match_star_creates_but_never_replaces(put, client):
    assert put("lithium", If_None_Match="*").status_code == 201

    reply = put("lithium", LITHIUM + " Again.", If_None_Match="*")

    assert error_code(reply, 412) == "version_mismatch"
    assert "Again" not in client.get("/api/documents/lithium").get_json()["text"]


def test_delete_with_an_old_if_match_is_412_and_the_document_stays(put, client):
    old = put("lithium").headers["ETag"]
    put("lithium", LITHIUM + " Edited.")

    reply = client.delete("/api/documents/lithium", headers={**AUTH, "If-Match": old})
    documented(reply)

    assert error_code(reply, 412) == "version_mismatch"
    assert client.get("/api/documents/lithium").status_code == 200


def test_a_weak_etag_never_satisfies_if_match(put):
    etag = put("lithium").headers["ETag"]

    assert error_code(put("lithium", LITHIUM + " Edited.", If_Match=f"W/{etag}"), 412) == "version_mismatch"


def test_a_store_that_cannot_be_reached_is_503_with_retry_after(app, put):
    def unreachable(*args, **kwargs):
        raise StoreUnavailable("cannot connect to PostgreSQL")

    state.store(app).put = unreachable

    reply = put("lithium")

    assert error_code(reply, 503) == "store_unavailable"
    assert reply.headers["Retry-After"] == "5"


def test_a_title_given_on_several_lines_is_kept_on_one(put, client):
    put("lithium", {"title": "Lithium\nfacts\n\n  and notes", "text": LITHIUM})

    assert client.get("/api/documents/lithium").get_json()["title"] == "Lithium facts and notes"


def test_the_openapi_document_describes_the_write_operations():
    operations = OPENAPI["paths"][WRITE_PATH]

    assert {"put", "delete"} <= set(operations)
    assert re.fullmatch(operations["put"]["parameters"][0]["schema"]["pattern"], "report-2024_v2.final")
    assert OPENAPI["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer"
