"""Faults under the real gunicorn: a worker killed mid-load, a read-only corpus folder, the database going away
and coming back, and a graceful shutdown with a request still in flight."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from postgres.server import running_server
from services import Service, start_service, wait_for

pytestmark = pytest.mark.e2e

TOKEN = "fault-tests-admin-token-0123456789"
SIDE_EFFECTS = {"question": "What are the common side effects of Keppra?"}
REPLACEMENT_SECONDS = 60


def call(url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 30) -> tuple[int, dict]:
    """(status, JSON body) of one request on a new connection; a status of 0 when the connection failed."""
    request = urllib.request.Request(url, data=body, method=method, headers={"Connection": "close", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else {}
    except urllib.error.HTTPError as error:
        payload = error.read()
        return error.code, json.loads(payload) if payload else {}
    except (OSError, ValueError, http.client.HTTPException):  # a reply cut off by a killed worker among them
        return 0, {}


def ask(service: Service, body: dict = SIDE_EFFECTS) -> tuple[int, dict]:
    return call(f"{service.url}/api/ask", "POST", json.dumps(body).encode(), {"Content-Type": "application/json"})


def put(service: Service, doc_id: str, text: str) -> tuple[int, dict]:
    return call(f"{service.url}/api/documents/{doc_id}", "PUT", text.encode(),
                {"Content-Type": "text/plain", "Authorization": f"Bearer {TOKEN}"})


def note(i: int) -> str:
    return f"Fault note {i}\n\nThe fault note number {i} says that zircon{i} tablets are blue.\n"


@pytest.fixture
def service(tmp_path: Path, corpus: Path) -> Iterator[Service]:
    running = start_service(corpus, tmp_path / "server.log", {"QA_ADMIN_TOKEN": TOKEN})
    yield running
    running.stop()


class Askers:
    """Threads asking questions without pause until stopped; they count replies by status."""

    def __init__(self, service: Service, count: int = 4):
        self.service = service
        self.stopping = threading.Event()
        self.statuses: list[int] = []
        self.threads = [threading.Thread(target=self.ask_until_stopped, daemon=True) for _ in range(count)]

    def ask_until_stopped(self) -> None:
        while not self.stopping.is_set():
            self.statuses.append(ask(self.service)[0])

    def __enter__(self) -> Askers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)


def test_a_worker_killed_under_load_is_replaced_and_no_acknowledged_write_is_lost(service: Service):
    acknowledged: dict[str, tuple[str, str]] = {}
    workers_before = service.worker_pids()
    with Askers(service) as askers:
        for i in range(30):
            if i == 10:
                killed = workers_before[0]
                os.kill(killed, signal.SIGKILL)
            status, reply = put(service, f"fault-{i}", note(i))
            if status in (200, 201):
                acknowledged[f"fault-{i}"] = (reply["version"], note(i))
        wait_for(lambda: len(service.worker_pids()) == len(workers_before) and killed not in service.worker_pids(),
                 "the replacement worker", service.process, service.log, REPLACEMENT_SECONDS)
        answered_during_load = askers.statuses.count(200)

    assert answered_during_load > 0
    assert len(acknowledged) >= 25, "writes kept failing after the worker was replaced"
    listing = call(f"{service.url}/api/documents")[1]
    served = {d["id"]: d["version"] for d in listing["documents"]}
    for doc_id, (version, text) in acknowledged.items():
        assert served.get(doc_id) == version, f"{doc_id} was acknowledged as {version} but is served as " \
                                              f"{served.get(doc_id)}"
        stored = call(f"{service.url}/api/documents/{doc_id}")[1]["text"]
        assert "zircon" in stored and stored in text
    # Every worker, the new one included, answers from a corpus holding every acknowledged write (an unknown
    # document in 'documents' would be a 404).
    for doc_id in list(acknowledged)[-12:]:
        assert ask(service, {"question": "Which tablets are blue?", "documents": [doc_id]})[0] == 200


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """The folder as a read-only file system, as after a disk error; root ignores mode bits, not this."""
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_corpus_folder_refuses_writes_with_503_while_reading_goes_on(service: Service, corpus: Path):
    with read_only(corpus):
        refused = put(service, "fault-note", note(1))
        asked = ask(service)
        listed = call(f"{service.url}/api/documents")

    assert refused[0] == 503
    assert refused[1]["error"]["code"] == "store_unavailable"
    assert asked[0] == 200 and asked[1]["found"]
    assert listed[0] == 200
    assert put(service, "fault-note", note(1))[0] == 201


def ask_until_every_worker_answered(service: Service, body: dict) -> list[int]:
    """Ask on new connections until each worker has answered once since now; the statuses of those asks."""
    seen_before = len(service.request_lines())
    statuses = []
    while len({line["pid"] for line in service.request_lines()[seen_before:] if line["path"] == "/api/ask"}) < 2:
        assert len(statuses) < 100, "one worker took every connection"
        statuses.append(ask(service, body)[0])
    return statuses


def stop_postgres(server) -> None:
    """Stop postgres at once (a fast shutdown, which does not wait for the service's connections to close)."""
    postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGINT)
    server.process.wait(30)


def restart_postgres(server) -> None:
    """Start postgres again on the same data folder and port, the way the test server first started it."""
    with server.log.open("ab") as log:
        server.process = subprocess.Popen(
            server._as_owner(str(server.binaries / "postgres"), "-D", str(server.data), "-k", str(server.folder),
                             "-h", "127.0.0.1", "-p", str(server.port), "-c", "fsync=off"),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server._wait_until_ready()


def test_with_the_database_gone_asking_goes_on_and_writes_resume_when_it_returns(tmp_path: Path, corpus: Path):
    with running_server() as server:
        running = start_service(corpus, tmp_path / "server.log",
                                {"QA_ADMIN_TOKEN": TOKEN, "DATABASE_URL": server.create_database()})
        try:
            written_before = put(running, "fault-1", note(1))
            # Each worker loads the new corpus on its next question; it must have one before the database goes.
            loaded = ask_until_every_worker_answered(running, {"question": "Which tablets are blue?",
                                                               "documents": ["fault-1"]})
            stop_postgres(server)

            asked_without_database = [ask(running, {"question": "Which tablets are blue?", "documents": ["fault-1"]})
                                      for _ in range(4)]
            refused = put(running, "fault-2", note(2))

            restart_postgres(server)
            written_after = put(running, "fault-2", note(2))
            asked_after = ask(running, {"question": "Which tablets are blue?", "documents": ["fault-2"]})
        finally:
            running.stop()

    assert written_before[0] == 201
    assert set(loaded) == {200}
    for status, reply in asked_without_database:
        assert status == 200
        assert reply["corpus_version"] == written_before[1]["corpus_version"]
    assert refused[0] == 503
    assert refused[1]["error"]["code"] == "store_unavailable"
    assert written_after[0] == 201
    assert asked_after[0] == 200
    assert asked_after[1]["corpus_version"] == written_after[1]["corpus_version"]


def test_sigterm_lets_a_request_in_flight_finish_and_then_stops(service: Service):
    body = json.dumps(SIDE_EFFECTS).encode()
    host, port = service.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(b"POST /api/ask HTTP/1.1\r\nHost: qa\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n%s" % (len(body), body[:10]))
        # The worker is now reading this request's body when the stop signal arrives.
        time.sleep(1)
        os.killpg(service.master_pid, signal.SIGTERM)
        time.sleep(1)
        connection.sendall(body[10:])
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk

    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(payload)["found"]
    assert service.process.wait(30) == 0
    assert not service.healthy()
    # Every worker ended by itself: none was killed, nor aborted while its interpreter exited.
    assert "was sent SIG" not in service.log.read_text()
