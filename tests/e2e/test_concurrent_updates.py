"""Updates under real gunicorn: every answer after an acknowledged write reflects it, whichever worker or host.

The folder store runs as the Procfile runs it (two workers); the PostgreSQL store as two such servers sharing one
database. Questions asked while a stream of updates goes on must all succeed, and a question sent after a write
was acknowledged must be answered from a corpus that includes it.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e.services import Service, seed_folder, start_service
from postgres.server import running_server

pytestmark = pytest.mark.e2e

TOKEN = "e2e-admin-token-0123456789"
UPDATES = 24
ASKERS = 4
QUESTION = "What level does the reservoir gauge show?"
HAND_EDIT_SECONDS = 30


def gauge_text(n: int) -> str:
    return (f"Reservoir gauge report\n\nThe reservoir gauge shows level {n} today. "
            f"Engineers read the reservoir gauge at dawn and record level {n} in the log.")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: dict | None


def request(url: str, method: str, path: str, body: str | dict | None = None, headers: dict | None = None) -> Reply:
    """One request on a new connection (so that successive requests may reach different workers)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = dict(headers or {})
    if isinstance(body, dict):
        body, headers["Content-Type"] = json.dumps(body), "application/json"
    elif body is not None:
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    try:
        connection.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return Reply(response.status, dict(response.getheaders()), json.loads(raw) if raw else None)
    finally:
        connection.close()


def put(url: str, doc_id: str, text: str, **headers) -> Reply:
    return request(url, "PUT", f"/api/documents/{doc_id}", text, {"Authorization": f"Bearer {TOKEN}", **headers})


def ask(url: str) -> Reply:
    return request(url, "POST", "/api/ask", {"question": QUESTION})


def corpus_folder(tmp_path: Path) -> Path:
    folder = seed_folder(tmp_path / "corpus")
    return folder


SETTINGS = {"QA_ADMIN_TOKEN": TOKEN, "QA_RELOAD_SECONDS": "1"}


@pytest.fixture(scope="module")
def folder_service(tmp_path_factory) -> Iterator[tuple[Service, Path]]:
    tmp_path = tmp_path_factory.mktemp("updates-folder")
    folder = corpus_folder(tmp_path)
    service = start_service(folder, tmp_path / "server.log", SETTINGS)
    try:
        yield service, folder
    finally:
        service.stop()


@pytest.fixture(scope="module")
def database_services(tmp_path_factory) -> Iterator[list[Service]]:
    """Two gunicorn servers (two workers each) on one PostgreSQL database, seeded from the same folder."""
    tmp_path = tmp_path_factory.mktemp("updates-postgres")
    folder = corpus_folder(tmp_path)
    with running_server() as postgres:
        settings = {**SETTINGS, "DATABASE_URL": postgres.create_database()}
        services = []
        try:
            for name in ("a", "b"):
                services.append(start_service(folder, tmp_path / f"server-{name}.log", settings))
            yield services
        finally:
            for service in services:
                service.stop()


@pytest.fixture(params=["folder", "postgresql"])
def urls(request) -> list[str]:
    """The base URLs of one deployment: one folder-backed server, or two servers sharing a database."""
    if request.param == "folder":
        return [request.getfixturevalue("folder_service")[0].url]
    return [service.url for service in request.getfixturevalue("database_services")]


def test_questions_during_a_stream_of_updates_never_fail_and_never_lag_an_acknowledged_write(urls):
    first = put(urls[0], "gauge", gauge_text(0))
    assert first.status in (200, 201), first.body
    acknowledged: list[tuple[float, str]] = [(time.monotonic(), first.body["corpus_version"])]
    asked: list[tuple[float, int, str | None]] = []  # (sent at, status, corpus version), sent after `first`
    failures: list[str] = []
    done = threading.Event()

    def asker(n: int):
        i = n
        while not done.is_set():
            sent_at = time.monotonic()
            try:
                reply = ask(urls[i % len(urls)])
            except OSError as error:
                failures.append(repr(error))
                continue
            i += 1
            if reply.status != 200:
                failures.append(f"{reply.status} {reply.body}")
            asked.append((sent_at, reply.status, (reply.body or {}).get("corpus_version")))

    threads = [threading.Thread(target=asker, args=(n,)) for n in range(ASKERS)]
    for thread in threads:
        thread.start()
    try:
        for n in range(1, UPDATES + 1):
            reply = put(urls[n % len(urls)], "gauge", gauge_text(n))
            assert reply.status == 200, reply.body
            acknowledged.append((time.monotonic(), reply.body["corpus_version"]))
            after = ask(urls[(n + 1) % len(urls)])
            assert after.body["corpus_version"] == reply.body["corpus_version"]
            assert any(f"level {n} " in q["text"] or f"level {n}." in q["text"] for q in after.body["quotes"])
    finally:
        done.set()
        for thread in threads:
            thread.join(60)

    assert failures == []
    order = {version: position for position, (_, version) in enumerate(acknowledged)}
    assert len(order) == UPDATES + 1
    for sent_at, _, version in asked:
        newest_acknowledged = max(p for p, (at, _) in enumerate(acknowledged) if at <= sent_at)
        assert version in order, f"an answer came from corpus {version}, which no update produced"
        assert order[version] >= newest_acknowledged, "a question sent after a write was answered without it"
    assert len(asked) >= UPDATES


def test_a_write_to_one_server_is_answered_by_the_other_at_once(database_services):
    a, b = (service.url for service in database_services)

    written = put(a, "tidal-notes", "Tidal notes\n\nThe tidal lagoon turbine produced power at slack water.")
    answer = request(b, "POST", "/api/ask", {"question": "What did the tidal lagoon turbine produce?"})
    read_back = request(b, "GET", "/api/documents/tidal-notes")
    removed = request(b, "DELETE", "/api/documents/tidal-notes", headers={"Authorization": f"Bearer {TOKEN}"})
    listing = request(a, "GET", "/api/documents")

    assert written.status == 201
    assert answer.body["corpus_version"] == written.body["corpus_version"]
    assert any(q["document"] == "tidal-notes" for q in answer.body["quotes"])
    assert read_back.headers["ETag"] == written.headers["ETag"]
    assert removed.status == 204
    assert "tidal-notes" not in [d["id"] for d in listing.body["documents"]]


def test_two_editors_with_the_same_etag_on_two_servers_one_wins_one_gets_412(database_services):
    a, b = (service.url for service in database_services)
    etag = put(a, "contested", "Contested\n\nThe contested paragraph says one thing.").headers["ETag"]

    first = put(a, "contested", "Contested\n\nThe first editor wrote this.", **{"If-Match": etag})
    second = put(b, "contested", "Contested\n\nThe second editor wrote this.", **{"If-Match": etag})

    assert (first.status, second.status) == (200, 412)
    assert "first editor" in request(b, "GET", "/api/documents/contested").body["text"]


@pytest.mark.parametrize("path", ["/api/documents/../etc/passwd", "/api/documents/%2e%2e",
                                  "/api/documents/%2E%2E%2Fetc%2Fpasswd", "/api/documents/..%2f..%2fetc%2fpasswd",
                                  "/api/documents/", "/api/documents/a%00b"])
def test_ids_outside_the_rule_sent_as_raw_urls_are_400(folder_service, path):
    service, folder = folder_service
    before = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))

    reply = request(service.url, "PUT", path, "Some text. It has sentences.", {"Authorization": f"Bearer {TOKEN}"})

    assert reply.status == 400, reply.body
    assert reply.body["error"]["code"] == "invalid_id"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == before


def test_a_file_edited_by_hand_is_served_within_a_few_seconds(folder_service):
    service, folder = folder_service
    (folder / "hand-edited.txt").write_text("Hand edited\n\nThe hand edited file mentions the quarry.")

    deadline = time.monotonic() + HAND_EDIT_SECONDS
    while time.monotonic() < deadline:
        if "hand-edited" in [d["id"] for d in request(service.url, "GET", "/api/documents").body["documents"]]:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"a file added by hand was not served within {HAND_EDIT_SECONDS} s")
