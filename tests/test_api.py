"""The JSON API through Flask's test client: every route, every error, and the OpenAPI document kept true.

Every response in this module passes through `OpenAPICheckedClient`, which validates it against the schema that
/api/openapi.json documents for its route and status (and any error against the one error shape).
"""

from __future__ import annotations

import json
import logging
import random
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.exceptions import HTTPException

import qa_service.api
from qa_service import create_app, small_talk, state
from qa_service.config import MAX_DOCUMENT_FILTER
from qa_service.document_analysis import analyse
from qa_service.documents import read_document
from qa_service.openapi import WORKER_RESPONSES, openapi_document
from qa_service.store import FolderStore
from qa_service.store.base import StoreUnavailable

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SEED_ID = "keppra-article"
SEED_TITLE = "Keppra and Its Potential in Migraine Management"
SIDE_EFFECTS = "What are the common side effects of Keppra?"
ADMIN_TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LITHIUM = "Lithium Facts\n\nLithium is the lightest metal. It floats on oil."
OPENAPI = openapi_document()
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


# --- checking every response against the OpenAPI document -------------------------------------------------------


def schema_validator(schema: dict) -> Draft202012Validator:
    """A validator that resolves "#/components/..." references against the OpenAPI document."""
    return Draft202012Validator({**schema, "components": OPENAPI["components"]})


ERROR_VALIDATOR = schema_validator({"$ref": "#/components/schemas/Error"})


def route_template(app, method: str, path: str) -> str | None:
    """The OpenAPI path ("/api/documents/{doc_id}") of the Flask rule that serves a request, if any."""
    try:
        rule, _ = app.url_map.bind("localhost").match(path, method=method, return_rule=True)
    except HTTPException:
        return None
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def documented_operation(template: str | None, method: str) -> dict | None:
    return OPENAPI["paths"].get(template or "", {}).get(method.lower())


def check_against_openapi(app, response) -> None:
    method, path, status = response.request.method, response.request.path, response.status_code
    if status >= 400:
        assert response.mimetype == "application/json", (method, path, status, response.mimetype)
        body = response.get_data(as_text=True)
        assert "<html" not in body.lower() and "Traceback" not in body
        ERROR_VALIDATOR.validate(response.get_json())
    operation = documented_operation(route_template(app, method, path), method)
    if operation is None:
        return
    documented = operation["responses"].get(str(status))
    assert documented is not None or status == 500, f"{method} {path} answered {status}, which is not documented"
    if documented and "content" in documented:
        assert response.mimetype in documented["content"]
        if response.mimetype == "application/json":
            schema_validator(documented["content"]["application/json"]["schema"]).validate(response.get_json())


class OpenAPICheckedClient(FlaskClient):
    """A test client that checks each response against the OpenAPI document as it arrives."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        check_against_openapi(self.application, response)
        return response


@pytest.fixture
def client(app):
    app.test_client_class = OpenAPICheckedClient
    return app.test_client()


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]


# --- POST /api/ask --------------------------------------------------------------------------------------------


def test_ask_answers_with_the_articles_own_sentence_and_its_citation(ask):
    reply = ask(SIDE_EFFECTS)

    assert reply["question"] == SIDE_EFFECTS
    assert reply["found"] is True
    assert reply["message"]
    assert 1 <= len(reply["quotes"]) <= 3
    quote = next(q for q in reply["quotes"] if "fatigue, dizziness, and mood changes" in q["text"])
    assert quote["document"] == SEED_ID
    assert quote["title"] == SEED_TITLE
    assert quote["end"] - quote["start"] == len(quote["text"])
    assert quote["context"]["start"] <= quote["start"] < quote["end"] <= quote["context"]["end"]
    assert quote["passage"]["start"] <= quote["start"] < quote["end"] <= quote["passage"]["end"]


def test_a_quote_names_the_version_of_the_document_its_offsets_count_in(client, ask):
    quote = ask(SIDE_EFFECTS)["quotes"][0]
    assert quote["document_version"] == client.get(f"/api/documents/{SEED_ID}").get_json()["version"]


def test_quotes_are_best_first(ask):
    scores = [q["score"] for q in ask(SIDE_EFFECTS)["quotes"]]

    assert scores == sorted(scores, reverse=True)


def test_highlights_are_spans_of_question_words_in_the_quote(ask):
    quote = ask(SIDE_EFFECTS)["quotes"][0]

    highlighted = {quote["text"][s:e].lower() for s, e in quote["highlights"]}

    assert highlighted
    assert highlighted <= {"common", "side", "effects", "keppra"}


def test_ask_declines_what_the_source_does_not_cover(ask):
    reply = ask("What is the capital of France?")

    assert reply["found"] is False
    assert reply["quotes"] == []
    assert "source" in reply["message"].lower()
    assert reply["message"] != ask(SIDE_EFFECTS)["message"]


def test_documents_filter_with_a_known_id_searches_that_document(ask):
    reply = ask(SIDE_EFFECTS, documents=[SEED_ID])

    assert reply["found"] is True
    assert {q["document"] for q in reply["quotes"]} == {SEED_ID}


def test_documents_filter_leaves_other_documents_out(corpus_dir, ask):
    (corpus_dir / "lithium.txt").write_text("Lithium Facts\n\nLithium is the lightest metal. It floats on oil.")

    assert ask("What is the lightest metal?")["quotes"][0]["document"] == "lithium"
    assert ask("What is the lightest metal?", documents=[SEED_ID])["found"] is False


def test_an_empty_documents_filter_is_a_400_rather_than_a_claim_that_the_source_does_not_answer(client):
    error = error_of(client.post("/api/ask", json={"question": SIDE_EFFECTS, "documents": []}), 400)

    assert error["code"] == "invalid_documents"
    assert "leave 'documents' out" in error["message"]


def test_a_documents_filter_over_the_limit_says_the_limit(client):
    error = error_of(client.post("/api/ask", json={"question": SIDE_EFFECTS,
                                                   "documents": [SEED_ID] * (MAX_DOCUMENT_FILTER + 1)}), 400)

    assert error["code"] == "invalid_documents"
    assert error["message"] == (f"'documents' names {MAX_DOCUMENT_FILTER + 1} documents; the limit is "
                                f"{MAX_DOCUMENT_FILTER}.")


def test_a_history_turn_given_as_a_plain_string_is_read_as_its_question(ask):
    as_string = ask("What about rare ones?", history=[SIDE_EFFECTS])
    as_object = ask("What about rare ones?", history=[{"question": SIDE_EFFECTS}])

    assert as_string["quotes"] == as_object["quotes"] and as_string["read_with"] == as_object["read_with"]


def test_documents_filter_with_an_unknown_id_is_a_404_naming_it(client):
    error = error_of(client.post("/api/ask", json={"question": SIDE_EFFECTS, "documents": [SEED_ID, "no-such"]}),
                     404)

    assert "no-such" in error["message"]
    assert SEED_ID not in error["message"]


@pytest.mark.parametrize("documents", ["keppra-article", [1], {"id": "keppra-article"}])
def test_documents_filter_must_be_a_list_of_ids(client, documents):
    error_of(client.post("/api/ask", json={"question": SIDE_EFFECTS, "documents": documents}), 400)


def test_history_is_accepted_as_earlier_questions(ask):
    reply = ask("What about rare ones?", history=[{"question": SIDE_EFFECTS}])

    assert reply["found"] is True
    assert "In rare cases" in reply["quotes"][0]["text"]


def test_then_what_quotes_what_the_source_says_next_and_says_when_it_says_no_more(ask):
    first = ask(SIDE_EFFECTS)["quotes"][0]
    going_on = ask("Then what?", history=[{"question": SIDE_EFFECTS}])

    assert going_on["found"] is True
    assert going_on["quotes"][0]["start"] > first["end"]
    assert going_on["quotes"][0]["text"].startswith("As with any medication")
    last = ask("And then?", history=[{"question": SIDE_EFFECTS}, {"question": "Then what?"}])
    assert last["found"] is False
    assert "no more" in last["message"]
    assert last["read_with"] == SIDE_EFFECTS  # the question the text went on from, not the "Then what?" before


def test_then_what_goes_on_from_the_quote_the_reader_was_shown_while_it_stands_where_it_stood(client, ask):
    # The last reply showed the dosing paragraph's first sentence (as a follow-up that avoided an earlier quote
    # may): the text goes on from there, not from what the question would be answered with now.
    text = client.get(f"/api/documents/{SEED_ID}").get_json()["text"]
    dosing = "Dosing of Keppra for migraine prevention often differs from its use in epilepsy."
    start = text.index(dosing)
    shown = {"document": SEED_ID, "start": start, "end": start + len(dosing)}

    going_on = ask("Then what?", history=[{"question": SIDE_EFFECTS, "quotes": [shown]}])
    assert going_on["quotes"][0]["text"].startswith("Generally, lower doses are used initially")

    # A quote that no longer falls on the text's sentences (the document changed since) is not gone on from.
    moved = {**shown, "start": start + 1}
    going_on = ask("Then what?", history=[{"question": SIDE_EFFECTS, "quotes": [moved]}])
    assert going_on["quotes"][0]["text"].startswith("As with any medication")


def test_a_greeting_or_thanks_gets_the_services_own_reply_with_nothing_searched_or_corrected(ask):
    # Searched, "hi" and "thank you" found whatever shared their words (on the Debian FAQ, a package called hello
    # and the authors' acknowledgements); "thx" would have been "corrected" to a word of the text.
    for said, kind in (("Hi!", "greeting"), ("thx", "thanks"), ("Who are you?", "about_service")):
        reply = ask(said)
        assert reply["found"] is False
        assert reply["small_talk"] == kind
        assert reply["message"] == small_talk.REPLIES[kind]
        assert reply["quotes"] == [] and reply["corrections"] == {} and reply["answer_id"] is None
    assert ask(SIDE_EFFECTS)["small_talk"] is None


def test_what_the_article_is_about_is_answered_by_its_opening_and_then_what_goes_on_from_there(ask):
    opening = ask("What is this article about?")
    assert opening["found"] is True
    assert opening["message"] == "The document's opening, quoted word for word."
    assert opening["quotes"][0]["text"].startswith("Keppra, also known by its generic name levetiracetam")
    going_on = ask("Then what?", history=[{"question": "What is this article about?", "quotes": [
        {k: opening["quotes"][0][k] for k in ("document", "start", "end")}]}])
    assert going_on["quotes"][0]["start"] >= opening["quotes"][0]["end"]


def test_small_talk_is_no_earlier_question_for_a_follow_up_or_for_going_on(client, ask):
    said_thanks = [{"question": SIDE_EFFECTS}, {"question": "Thanks!"}]
    follow_up = ask("What about rare ones?", history=said_thanks)
    assert "In rare cases" in follow_up["quotes"][0]["text"]
    assert follow_up["read_with"] == SIDE_EFFECTS

    text = client.get(f"/api/documents/{SEED_ID}").get_json()["text"]
    dosing = "Dosing of Keppra for migraine prevention often differs from its use in epilepsy."
    start = text.index(dosing)
    shown = {"document": SEED_ID, "start": start, "end": start + len(dosing)}
    going_on = ask("Then what?", history=[{"question": "How is it dosed?", "quotes": [shown]}, {"question": "ok"}])
    assert going_on["quotes"][0]["text"].startswith("Generally, lower doses are used initially")


@pytest.mark.parametrize("history", [
    "What are the common side effects of Keppra?",
    [{"text": "no question field"}],
    [{"question": 3}],
    [{"question": "Is it safe?"}] * 21,
])
def test_history_must_be_a_short_list_of_questions(client, history):
    error_of(client.post("/api/ask", json={"question": SIDE_EFFECTS, "history": history}), 400)


def test_a_question_in_history_over_the_limit_is_a_413(client):
    error = error_of(client.post("/api/ask", json={"question": SIDE_EFFECTS, "history": [{"question": "x" * 1001}]}),
                     413)

    assert "1000" in error["message"]


@pytest.mark.parametrize("body", ["{not json", "", '{"question": "unterminated', "\udcff"])
def test_malformed_json_is_a_400(client, body):
    response = client.post("/api/ask", data=body.encode("utf-8", "surrogateescape"),
                           content_type="application/json")

    assert error_of(response, 400)["code"] == "malformed_json"


@pytest.mark.parametrize("body", [[SIDE_EFFECTS], SIDE_EFFECTS, None, 3])
def test_a_json_body_that_is_not_an_object_is_a_400(client, body):
    error_of(client.post("/api/ask", data=json.dumps(body), content_type="application/json"), 400)


@pytest.mark.parametrize("body", [
    {},
    {"question": ""},
    {"question": "   \n\t"},
    {"question": None},
    {"question": 42},
    {"question": ["What", "is", "Keppra?"]},
    {"q": SIDE_EFFECTS},
])
def test_a_missing_empty_or_non_string_question_is_a_400(client, body):
    error = error_of(client.post("/api/ask", json=body), 400)

    assert "question" in error["message"]


def test_a_question_of_exactly_the_limit_is_answered(ask):
    assert ask("Keppra " + "x" * 993)["question"].startswith("Keppra")


def test_the_limit_counts_a_letter_typed_with_a_combining_accent_once(client):
    assert client.post("/api/ask", json={"question": "e\u0301" * 1000}).status_code == 200


def test_a_question_in_fullwidth_letters_reads_as_the_same_words(ask):
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in SIDE_EFFECTS)

    assert ask(fullwidth)["quotes"] == ask(SIDE_EFFECTS)["quotes"]


def test_a_question_over_1000_characters_is_a_413_saying_the_limit(client):
    error = error_of(client.post("/api/ask", json={"question": "x" * 1001}), 413)

    assert "1000" in error["message"]


def test_a_body_over_64_kib_is_a_413_saying_the_limit(client):
    body = json.dumps({"question": SIDE_EFFECTS, "padding": "x" * 64 * 1024})

    error = error_of(client.post("/api/ask", data=body, content_type="application/json"), 413)

    assert "65536" in error["message"]


@pytest.mark.parametrize(("data", "content_type"), [
    (SIDE_EFFECTS, "text/plain"),
    ({"question": SIDE_EFFECTS}, None),  # an HTML form
    ('{"question": "Is Keppra safe?"}', None),
    ('{"question": "Is Keppra safe?"}', "application/xml"),
])
def test_a_body_that_is_not_json_is_a_415(client, data, content_type):
    response = client.post("/api/ask", data=data, content_type=content_type)

    assert "application/json" in error_of(response, 415)["message"]


def test_json_with_a_charset_parameter_is_accepted(client):
    response = client.post("/api/ask", data=json.dumps({"question": SIDE_EFFECTS}),
                           content_type="application/json; charset=utf-8")

    assert response.status_code == 200


# --- other routes ---------------------------------------------------------------------------------------------


def seed_analysed():
    return analyse(read_document(ROOT / "corpus" / f"{SEED_ID}.txt", max_bytes=10_000_000))


def test_documents_lists_each_document_with_its_counts(client):
    listing = client.get("/api/documents").get_json()
    analysed = seed_analysed()

    assert listing["skipped"] == []
    (entry,) = listing["documents"]
    assert entry["id"] == SEED_ID
    assert entry["title"] == SEED_TITLE
    assert entry["size"] == len(analysed.document.text.encode("utf-8"))
    assert entry["sentences"] == len(analysed.sentences)
    assert entry["passages"] == len(analysed.windows)


def test_document_returns_its_stored_text_with_an_etag(client):
    response = client.get(f"/api/documents/{SEED_ID}")

    body = response.get_json()
    assert body["id"] == SEED_ID
    assert body["title"] == SEED_TITLE
    assert body["text"] == seed_analysed().document.text
    assert response.headers["ETag"] == f'"{body["version"]}"'


def test_document_is_not_sent_again_when_the_etag_matches(client):
    etag = client.get(f"/api/documents/{SEED_ID}").headers["ETag"]

    response = client.get(f"/api/documents/{SEED_ID}", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.get_data() == b""


def test_an_unknown_document_is_a_404_naming_it(client):
    assert "no-such" in error_of(client.get("/api/documents/no-such"), 404)["message"]


def test_corpus_reports_the_version_and_size_now_served(client):
    corpus = client.get("/api/corpus").get_json()
    listing = client.get("/api/documents").get_json()

    assert corpus["version"] == listing["corpus_version"]
    assert corpus["documents"] == 1
    assert corpus["passages"] == sum(d["passages"] for d in listing["documents"])
    assert corpus["skipped"] == 0


def test_healthz_says_ok_with_the_corpus_loaded(client):
    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "corpus_version": client.get("/api/corpus").get_json()["version"],
        "documents": 1,
    }


def test_a_new_file_in_the_corpus_folder_is_served_without_a_restart(corpus_dir, client):
    before = client.get("/api/corpus").get_json()["version"]

    (corpus_dir / "lithium.txt").write_text("Lithium is the lightest metal.")

    assert client.get("/api/corpus").get_json()["version"] != before
    assert client.get("/api/documents/lithium").status_code == 200


# --- a quote's document_version ---------------------------------------------------------------------------------


def test_a_quotes_document_version_still_reads_after_the_document_is_replaced_or_removed(app, client):
    quote = client.post("/api/ask", json={"question": SIDE_EFFECTS}).get_json()["quotes"][0]
    cited = f"/api/documents/{SEED_ID}?version={quote['document_version']}"
    assert client.get(cited).get_json()["current"] is True

    state.store(app).put(SEED_ID, LITHIUM.encode(), "text")
    replaced = client.get(cited).get_json()
    state.store(app).delete(SEED_ID)
    removed = client.get(cited).get_json()

    for earlier in (replaced, removed):
        assert earlier["current"] is False and earlier["version"] == quote["document_version"]
        assert earlier["text"][quote["start"]:quote["end"]] == quote["text"]
    assert client.get(cited).headers["ETag"] == f'"{quote["document_version"]}"'


def test_a_version_the_history_does_not_keep_is_a_404_naming_it(client):
    error = error_of(client.get(f"/api/documents/{SEED_ID}?version=0123456789abcdef"), 404)

    assert error["code"] == "unknown_version"
    assert "'0123456789abcdef'" in error["message"]


# --- errors -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/api/nope", "/api/corpus/extra", "/static/../x", "/api//documents"])
def test_an_unknown_route_is_a_json_404(client, path):
    assert error_of(client.get(path), 404)["code"] == "not_found"


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/api/ask", "POST"),
    ("DELETE", "/api/corpus", "GET"),
    ("POST", "/healthz", "GET"),
    ("PATCH", "/api/documents", "GET"),
])
def test_a_wrong_method_is_a_405_with_allow(client, method, path, allowed):
    response = client.open(path, method=method)

    error_of(response, 405)
    assert allowed in response.headers["Allow"]
    assert allowed in response.get_json()["error"]["message"]


@pytest.mark.unhandled_error_expected
def test_an_exception_inside_the_app_is_a_json_500_that_hides_the_details(client, monkeypatch, caplog):
    def broken_answer(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(qa_service.api, "answer", broken_answer)

    with caplog.at_level(logging.ERROR):
        response = client.post("/api/ask", json={"question": SIDE_EFFECTS})

    error = error_of(response, 500)
    assert error["code"] == "internal_error"
    assert "secret" not in error["message"]
    assert "secret internal detail" in caplog.text


@pytest.mark.unhandled_error_expected
def test_an_exception_in_any_view_is_a_json_500(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0})

    @app.get("/test-only/boom")
    def boom():
        raise KeyError("boom")

    error_of(app.test_client().get("/test-only/boom"), 500)


# --- the OpenAPI document -------------------------------------------------------------------------------------


def schemas_in(node):
    """Every JSON Schema in the OpenAPI document: components, and any schema inline in an operation."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema":
                yield value
            elif key == "schemas":
                yield from value.values()
            else:
                yield from schemas_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from schemas_in(item)


def references_in(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from references_in(item)


def test_openapi_json_is_served_as_the_document(client):
    assert client.get("/api/openapi.json").get_json() == json.loads(json.dumps(OPENAPI))


def test_openapi_document_is_openapi_3_1():
    assert OPENAPI["openapi"].startswith("3.1.")
    assert OPENAPI["info"]["title"] and OPENAPI["info"]["version"]
    operation_ids = []
    for path, item in OPENAPI["paths"].items():
        assert path.startswith("/")
        for method, operation in item.items():
            assert method in HTTP_METHODS
            operation_ids.append(operation["operationId"])
            assert operation["responses"]
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status)
                assert response["description"]
    assert len(operation_ids) == len(set(operation_ids))


def test_openapi_schemas_are_valid_json_schema_2020_12():
    schemas = list(schemas_in(OPENAPI))

    assert len(schemas) > len(OPENAPI["components"]["schemas"])
    for schema in schemas:
        Draft202012Validator.check_schema(schema)


def test_openapi_references_all_resolve():
    for reference in set(references_in(OPENAPI)):
        node = OPENAPI
        assert reference.startswith("#/")
        for part in reference[2:].split("/"):
            node = node[part]


def test_every_flask_route_of_the_api_is_documented(app):
    documented = {(path, method) for path, item in OPENAPI["paths"].items() for method in item}
    rules = list(app.url_map.iter_rules())
    for rule in rules:
        if not rule.rule.startswith(("/api/", "/healthz")) or rule.rule == "/api/openapi.json":
            continue
        if rule.defaults and any(other.endpoint == rule.endpoint and not other.defaults for other in rules):
            continue  # a second address of a documented operation, filling in a parameter (an empty id)
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (template, method.lower()) in documented, f"{method} {rule.rule} is not in the OpenAPI document"


@pytest.fixture
def clients(client, corpus_dir, tmp_path):
    """`reader`: a server with writing off; `admin`: one with an admin token, small limits, on the same folder;
    `recording`: one that records declined questions, with an admin token."""
    admin_app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0, "QA_ADMIN_TOKEN": ADMIN_TOKEN,
                            "QA_MAX_DOCUMENT_BYTES": 20_000, "QA_RATE_LIMIT_WRITE": "3/minute",
                            "QA_RATE_LIMIT_ASK": "3/minute", "QA_RATE_LIMIT_ASK_TOTAL": "5/minute"})
    admin_app.test_client_class = OpenAPICheckedClient
    recording_app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0, "QA_ADMIN_TOKEN": ADMIN_TOKEN,
                                "QA_RECORD_QUESTIONS": "declined", "QA_RATE_LIMIT_ASK": "3/minute",
                                "QA_RECORD_FILE": str(tmp_path / "instance" / "questions.sqlite3")})
    recording_app.test_client_class = OpenAPICheckedClient
    return SimpleNamespace(reader=client, admin=admin_app.test_client(), recording=recording_app.test_client())


def put(c, doc_id: str = "lithium", body: str | bytes = LITHIUM, content_type: str = "text/plain", **headers):
    return c.admin.put(f"/api/documents/{doc_id}", data=body, content_type=content_type, headers={**AUTH, **headers})


def last_of_many_writes(write):
    """Writes from an address that is not exempt from the rate limit, until one is refused."""
    for _ in range(4):
        response = write(environ_base={"REMOTE_ADDR": "192.0.2.1"})
    return response


def last_of_many_asks(c, addresses: list[str]):
    """Questions from addresses that are not exempt from the rate limits, until one is refused."""
    for address in addresses:
        response = c.admin.post("/api/ask", json={"question": SIDE_EFFECTS}, environ_base={"REMOTE_ADDR": address})
    return response


def etag_of(c):
    return c.reader.get(f"/api/documents/{SEED_ID}").headers["ETag"]


# One real request for every status that every operation documents; the client checks each reply's schema.
def with_unreachable_store(c, method: str, request):
    """The request made while the store's `method` fails as an unreachable database would."""

    def unreachable(*args, **kwargs):
        raise StoreUnavailable("cannot connect to PostgreSQL")

    setattr(state.store(c.admin.application), method, unreachable)
    return request()


def with_unreachable_records(c, method: str, request):
    """The request made while the question records' `method` fails as an unreachable database would."""

    def unreachable(*args, **kwargs):
        raise OSError("cannot connect to PostgreSQL")

    setattr(state.recorder(c.recording.application).records, method, unreachable)
    return request()


def replaced_version(c) -> str:
    """A kept version of lithium that is no longer served."""
    first = put(c).get_json()["version"]
    put(c, body=LITHIUM + " It is silvery.")
    return first


def restore(c, version: str, doc_id: str = "lithium", **headers):
    return c.admin.post(f"/api/documents/{doc_id}/versions/{version}/restore", headers={**AUTH, **headers})


def removed_version(c) -> str:
    """The last version of the seed document, which is now removed."""
    version = etag_of(c).strip('"')
    c.admin.delete(f"/api/documents/{SEED_ID}", headers=AUTH)
    return version


def too_large_version(c) -> str:
    """A kept version over the admin server's document limit, written by a store with a larger one."""
    roomy = FolderStore(state.store(c.admin.application).folder, 10**6)
    version = roomy.put("lithium", ((LITHIUM + " ") * 400).encode(), "text").document.version
    roomy.put("lithium", LITHIUM.encode(), "text")
    return version


def answer_id(c, question: str = SIDE_EFFECTS) -> str:
    return c.recording.post("/api/ask", json={"question": question}).get_json()["answer_id"]


def feedback(c, body: dict, **kwargs):
    return c.recording.post("/api/feedback", json=body, **kwargs)


def vote_twice(c):
    body = {"answer_id": answer_id(c), "helpful": True}
    feedback(c, body)
    return feedback(c, body)


def last_of_many_votes(c):
    ids = [answer_id(c) for _ in range(2)]
    for answer in ids * 2:
        response = feedback(c, {"answer_id": answer, "helpful": False}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    return response


def insights(c, path: str, client: str = "recording", **headers):
    return getattr(c, client).get(path, headers={**AUTH, **headers})


def handled(c, client: str = "recording", **kwargs):
    return getattr(c, client).post("/api/insights/handled", headers=AUTH, **kwargs)


VERSIONS = "/api/documents/{doc_id}/versions"
VERSION = "/api/documents/{doc_id}/versions/{version}"
RESTORE = "/api/documents/{doc_id}/versions/{version}/restore"
UNKNOWN_VERSION = "0123456789abcdef"

DOCUMENTED_STATUS_EXAMPLES = {
    ("/api/ask", "post", "200"): lambda c: c.reader.post("/api/ask", json={"question": SIDE_EFFECTS}),
    ("/api/ask", "post", "400"): lambda c: c.reader.post("/api/ask", json={"question": ""}),
    ("/api/ask", "post", "404"): lambda c: c.reader.post("/api/ask", json={"question": "x", "documents": ["no"]}),
    ("/api/ask", "post", "413"): lambda c: c.reader.post("/api/ask", json={"question": "x" * 1001}),
    ("/api/ask", "post", "415"): lambda c: c.reader.post("/api/ask", data="x", content_type="text/plain"),
    ("/api/ask", "post", "429"): lambda c: last_of_many_asks(c, ["192.0.2.1"] * 4),
    ("/api/ask", "post", "503"): lambda c: last_of_many_asks(c, [f"192.0.2.{i}" for i in range(1, 7)]),
    ("/api/documents", "get", "200"): lambda c: c.reader.get("/api/documents"),
    ("/api/documents/{doc_id}", "get", "200"): lambda c: c.reader.get(f"/api/documents/{SEED_ID}"),
    ("/api/documents/{doc_id}", "get", "304"): lambda c: c.reader.get(
        f"/api/documents/{SEED_ID}", headers={"If-None-Match": etag_of(c)}),
    ("/api/documents/{doc_id}", "get", "404"): lambda c: c.reader.get("/api/documents/no-such"),
    ("/api/documents/{doc_id}", "get", "412"): lambda c: c.reader.get(
        f"/api/documents/{SEED_ID}", headers={"If-Match": '"not-the-version"'}),
    ("/api/documents/{doc_id}", "put", "200"): lambda c: put(c, SEED_ID),
    ("/api/documents/{doc_id}", "put", "201"): lambda c: put(c),
    ("/api/documents/{doc_id}", "put", "400"): lambda c: put(c, "two%20words"),
    ("/api/documents/{doc_id}", "put", "401"): lambda c: c.admin.put("/api/documents/lithium", data=LITHIUM,
                                                                     content_type="text/plain"),
    ("/api/documents/{doc_id}", "put", "403"): lambda c: c.reader.put("/api/documents/lithium", data=LITHIUM,
                                                                      content_type="text/plain", headers=AUTH),
    ("/api/documents/{doc_id}", "put", "412"): lambda c: put(c, SEED_ID, **{"If-Match": '"not-the-version"'}),
    ("/api/documents/{doc_id}", "put", "413"): lambda c: put(c, body="x" * 20_001),
    ("/api/documents/{doc_id}", "put", "415"): lambda c: put(c, content_type="application/rtf"),
    ("/api/documents/{doc_id}", "put", "422"): lambda c: put(c, body=b"caf\xe9"),
    ("/api/documents/{doc_id}", "put", "429"): lambda c: last_of_many_writes(
        lambda **kw: c.admin.put("/api/documents/lithium", data=LITHIUM, content_type="text/plain", headers=AUTH,
                                 **kw)),
    ("/api/documents/{doc_id}", "put", "503"): lambda c: with_unreachable_store(c, "put", lambda: put(c)),
    ("/api/documents/{doc_id}", "delete", "503"): lambda c: with_unreachable_store(
        c, "delete", lambda: c.admin.delete(f"/api/documents/{SEED_ID}", headers=AUTH)),
    ("/api/documents/{doc_id}", "delete", "204"): lambda c: c.admin.delete(f"/api/documents/{SEED_ID}",
                                                                           headers=AUTH),
    ("/api/documents/{doc_id}", "delete", "400"): lambda c: c.admin.delete("/api/documents/two%20words",
                                                                           headers=AUTH),
    ("/api/documents/{doc_id}", "delete", "401"): lambda c: c.admin.delete(f"/api/documents/{SEED_ID}"),
    ("/api/documents/{doc_id}", "delete", "403"): lambda c: c.reader.delete(f"/api/documents/{SEED_ID}",
                                                                            headers=AUTH),
    ("/api/documents/{doc_id}", "delete", "404"): lambda c: c.admin.delete("/api/documents/no-such", headers=AUTH),
    ("/api/documents/{doc_id}", "delete", "412"): lambda c: c.admin.delete(
        f"/api/documents/{SEED_ID}", headers={**AUTH, "If-Match": '"not-the-version"'}),
    ("/api/documents/{doc_id}", "delete", "429"): lambda c: last_of_many_writes(
        lambda **kw: c.admin.delete("/api/documents/no-such", headers=AUTH, **kw)),
    ("/api/corpus", "get", "200"): lambda c: c.reader.get("/api/corpus"),
    ("/healthz", "get", "200"): lambda c: c.reader.get("/healthz"),
    # the history
    (VERSIONS, "get", "200"): lambda c: c.admin.get(f"/api/documents/{SEED_ID}/versions", headers=AUTH),
    (VERSIONS, "get", "400"): lambda c: c.admin.get("/api/documents/two%20words/versions", headers=AUTH),
    (VERSIONS, "get", "401"): lambda c: c.admin.get(f"/api/documents/{SEED_ID}/versions"),
    (VERSIONS, "get", "403"): lambda c: c.reader.get(f"/api/documents/{SEED_ID}/versions", headers=AUTH),
    (VERSIONS, "get", "404"): lambda c: c.admin.get("/api/documents/no-such/versions", headers=AUTH),
    (VERSIONS, "get", "503"): lambda c: with_unreachable_store(
        c, "versions", lambda: c.admin.get(f"/api/documents/{SEED_ID}/versions", headers=AUTH)),
    (VERSION, "get", "200"): lambda c: c.admin.get(f"/api/documents/lithium/versions/{replaced_version(c)}",
                                                   headers=AUTH),
    (VERSION, "get", "400"): lambda c: c.admin.get(f"/api/documents/two%20words/versions/{UNKNOWN_VERSION}",
                                                   headers=AUTH),
    (VERSION, "get", "401"): lambda c: c.admin.get(f"/api/documents/{SEED_ID}/versions/{UNKNOWN_VERSION}"),
    (VERSION, "get", "403"): lambda c: c.reader.get(f"/api/documents/{SEED_ID}/versions/{UNKNOWN_VERSION}",
                                                    headers=AUTH),
    (VERSION, "get", "404"): lambda c: c.admin.get(f"/api/documents/{SEED_ID}/versions/{UNKNOWN_VERSION}",
                                                   headers=AUTH),
    (VERSION, "get", "503"): lambda c: with_unreachable_store(
        c, "version", lambda: c.admin.get(f"/api/documents/{SEED_ID}/versions/{UNKNOWN_VERSION}", headers=AUTH)),
    (RESTORE, "post", "200"): lambda c: restore(c, replaced_version(c)),
    (RESTORE, "post", "201"): lambda c: restore(c, removed_version(c), SEED_ID, **{"If-None-Match": "*"}),
    (RESTORE, "post", "400"): lambda c: restore(c, UNKNOWN_VERSION, "two%20words"),
    (RESTORE, "post", "401"): lambda c: c.admin.post(f"/api/documents/{SEED_ID}/versions/{UNKNOWN_VERSION}/restore"),
    (RESTORE, "post", "403"): lambda c: c.reader.post(
        f"/api/documents/{SEED_ID}/versions/{UNKNOWN_VERSION}/restore", headers=AUTH),
    (RESTORE, "post", "404"): lambda c: restore(c, UNKNOWN_VERSION, SEED_ID),
    (RESTORE, "post", "412"): lambda c: restore(c, replaced_version(c), **{"If-Match": '"not-the-version"'}),
    (RESTORE, "post", "422"): lambda c: restore(c, too_large_version(c)),
    (RESTORE, "post", "429"): lambda c: last_of_many_writes(lambda **kw: c.admin.post(
        f"/api/documents/{SEED_ID}/versions/{UNKNOWN_VERSION}/restore", headers=AUTH, **kw)),
    (RESTORE, "post", "503"): lambda c: with_unreachable_store(c, "restore", lambda: restore(c, UNKNOWN_VERSION)),
    ("/api/editor", "get", "200"): lambda c: c.admin.get("/api/editor", headers=AUTH),
    ("/api/editor", "get", "401"): lambda c: c.admin.get("/api/editor"),
    ("/api/editor", "get", "403"): lambda c: c.reader.get("/api/editor", headers=AUTH),
    ("/api/changes", "get", "200"): lambda c: c.admin.get("/api/changes", headers=AUTH),
    ("/api/changes", "get", "400"): lambda c: c.admin.get("/api/changes?limit=0", headers=AUTH),
    ("/api/changes", "get", "401"): lambda c: c.admin.get("/api/changes"),
    ("/api/changes", "get", "403"): lambda c: c.reader.get("/api/changes", headers=AUTH),
    ("/api/changes", "get", "503"): lambda c: with_unreachable_store(
        c, "changes", lambda: c.admin.get("/api/changes", headers=AUTH)),
    ("/api/removed", "get", "200"): lambda c: c.admin.get("/api/removed", headers=AUTH),
    ("/api/removed", "get", "401"): lambda c: c.admin.get("/api/removed"),
    ("/api/removed", "get", "403"): lambda c: c.reader.get("/api/removed", headers=AUTH),
    ("/api/removed", "get", "503"): lambda c: with_unreachable_store(
        c, "removed", lambda: c.admin.get("/api/removed", headers=AUTH)),
    # readers' votes and the editors' report
    ("/api/feedback", "post", "201"): lambda c: feedback(c, {"answer_id": answer_id(c), "helpful": True}),
    ("/api/feedback", "post", "400"): lambda c: feedback(c, {"answer_id": "forged", "helpful": True}),
    ("/api/feedback", "post", "403"): lambda c: c.reader.post("/api/feedback", json={"answer_id": "x",
                                                                                     "helpful": True}),
    ("/api/feedback", "post", "409"): vote_twice,
    ("/api/feedback", "post", "413"): lambda c: feedback(c, {"answer_id": answer_id(c), "helpful": False,
                                                             "comment": "x" * 501}),
    ("/api/feedback", "post", "415"): lambda c: c.recording.post("/api/feedback", data="x",
                                                                 content_type="text/plain"),
    ("/api/feedback", "post", "429"): last_of_many_votes,
    ("/api/feedback", "post", "503"): lambda c: with_unreachable_records(
        c, "vote", lambda: feedback(c, {"answer_id": answer_id(c), "helpful": True})),
    ("/api/insights", "get", "200"): lambda c: insights(c, "/api/insights"),
    ("/api/insights", "get", "401"): lambda c: c.recording.get("/api/insights"),
    ("/api/insights", "get", "403"): lambda c: insights(c, "/api/insights", "reader"),
    ("/api/insights", "get", "503"): lambda c: with_unreachable_records(
        c, "questions", lambda: insights(c, "/api/insights")),
    ("/api/insights/handled", "post", "200"): lambda c: handled(c, json={"questions": ["who won?"]}),
    ("/api/insights/handled", "post", "400"): lambda c: handled(c, json={"questions": "who won?"}),
    ("/api/insights/handled", "post", "401"): lambda c: c.recording.post("/api/insights/handled", json={}),
    ("/api/insights/handled", "post", "403"): lambda c: handled(c, "admin", json={"questions": []}),
    ("/api/insights/handled", "post", "413"): lambda c: handled(c, json={"questions": ["x" * 70_000]}),
    ("/api/insights/handled", "post", "415"): lambda c: handled(c, data="x", content_type="text/plain"),
    ("/api/insights/handled", "post", "503"): lambda c: with_unreachable_records(
        c, "mark_handled", lambda: handled(c, json={"questions": ["who won?"]})),
    **{(path, "get", status): example for path in ("/api/insights/export.json", "/api/insights/export.csv")
       for status, example in {
           "200": lambda c, path=path: insights(c, path),
           "401": lambda c, path=path: c.recording.get(path),
           "403": lambda c, path=path: insights(c, path, "reader"),
           "503": lambda c, path=path: with_unreachable_records(c, "votes", lambda: insights(c, path)),
       }.items()},
}


def test_every_documented_status_has_an_example_request():
    # The gunicorn worker's own replies are not the app's: tests/e2e/test_overload.py produces those.
    documented = {(path, method, status) for path, item in OPENAPI["paths"].items()
                  for method, operation in item.items() for status, response in operation["responses"].items()
                  if response is not WORKER_RESPONSES.get(status)}

    assert set(DOCUMENTED_STATUS_EXAMPLES) == documented


def test_every_operation_documents_what_the_worker_answers_before_the_app():
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            assert set(WORKER_RESPONSES) <= set(operation["responses"]), (path, method)
            assert "malformed_request" in operation["responses"]["400"]["description"], (path, method)
            assert "overloaded" in operation["responses"]["503"]["description"], (path, method)


@pytest.mark.parametrize("key", list(DOCUMENTED_STATUS_EXAMPLES), ids=" ".join)
def test_each_documented_status_is_produced_with_its_documented_body(clients, key):
    response = DOCUMENTED_STATUS_EXAMPLES[key](clients)

    assert response.status_code == int(key[2]), response.get_data(as_text=True)
    assert route_template(clients.reader.application, key[1].upper(), response.request.path) == key[0]


# --- the quote invariant, over many questions -------------------------------------------------------------------


def eval_questions(name: str) -> list[dict]:
    path = EVAL / f"{name}.jsonl"
    if not path.exists():
        pytest.skip(f"the shared question sets are not at {EVAL}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def generated_questions(rng: random.Random, texts: dict[str, str], count: int) -> list[dict]:
    """Questions made of runs and bags of words from the documents, some within a document, some following up."""
    ids = sorted(texts)
    questions = []
    for _ in range(count):
        doc_id = rng.choice(ids)
        words = re.findall(r"[^\W_]+", texts[doc_id])
        start = rng.randrange(max(1, len(words) - 8))
        run = " ".join(words[start:start + rng.randint(2, 8)])
        form = rng.choice(["What about {}?", "Why {}?", "{}", "Is it true that {}?"])
        question = {"question": form.format(run) if run else "What?"}
        if rng.random() < 0.3:
            question["question"] = " ".join(rng.sample(words, k=min(len(words), rng.randint(1, 6)))) or "Why?"
        if rng.random() < 0.3:
            question["documents"] = [doc_id]
        if questions and rng.random() < 0.2:
            question["history"] = [{"question": questions[-1]["question"]}]
        questions.append(question)
    return questions


CORPORA = {
    # name: (corpus folder, shared question set or None, how many of its questions, how many generated)
    "keppra": (ROOT / "corpus", "keppra", 30, 80),
    "squad": (EVAL / "corpora" / "squad", "squad", 120, 40),
    "covidqa": (EVAL / "corpora" / "covidqa", "covidqa", 90, 40),
}


@pytest.mark.parametrize("name", list(CORPORA))
def test_every_quote_is_the_stored_text_between_its_offsets(name):
    folder, question_set, sampled, generated = CORPORA[name]
    rng = random.Random(name)
    questions = rng.sample(eval_questions(question_set), k=sampled)
    app = create_app({"QA_CORPUS": str(folder), "QA_RELOAD_SECONDS": 3600, "QA_LOG_LEVEL": "WARNING"})
    app.test_client_class = OpenAPICheckedClient
    client = app.test_client()
    texts = {d["id"]: client.get(f"/api/documents/{d['id']}").get_json()["text"]
             for d in client.get("/api/documents").get_json()["documents"]}
    questions += generated_questions(rng, texts, generated)

    checked = 0
    for asked in questions:
        body = {key: asked[key] for key in ("question", "documents", "history") if key in asked}
        response = client.post("/api/ask", json=body)
        assert response.status_code == 200, (body, response.get_json())
        reply = response.get_json()
        assert reply["found"] == bool(reply["quotes"]), body
        for quote in reply["quotes"]:
            stored = texts[quote["document"]]
            context = quote["context"]
            assert stored[quote["start"]:quote["end"]] == quote["text"], (body, quote)
            assert stored[context["start"]:context["end"]] == context["text"], (body, quote)
            offset = quote["start"] - context["start"]
            assert context["text"][offset:offset + len(quote["text"])] == quote["text"], (body, quote)
            assert "documents" not in body or quote["document"] in body["documents"]
            checked += 1
    assert checked >= len(questions) // 4
