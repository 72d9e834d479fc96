"""Overload and slow clients under the Procfile's gunicorn worker (qa_service.worker): a burst past the queue
limit gets complete 503 replies, stalled requests are cut off at the read time limit without holding threads,
and kept-alive connections and slow readers still work."""

from __future__ import annotations

import http.client
import json
import re
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.services import Service, procfile_command, procfile_workers, start_service

from qa_service.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.e2e

QUESTION = json.dumps({"question": "What are the common side effects of Keppra?"}).encode()
ASK = (b"POST /api/ask HTTP/1.1\r\nHost: qa\r\nContent-Type: application/json\r\nConnection: close\r\n"
       b"Content-Length: %d\r\n\r\n%s" % (len(QUESTION), QUESTION))
READ_TIMEOUT = 4.0  # seconds: long enough for a question to be answered meanwhile on a busy machine
MARGIN = 10.0  # how much later than the time limit a stalled connection may be cut off (loop turns, a loaded CPU)


def procfile_threads() -> int:
    match = re.search(r"--threads[ =](\d+)", procfile_command())
    return int(match.group(1)) if match else 1


def address(service: Service) -> tuple[str, int]:
    host, port = service.url.removeprefix("http://").split(":")
    return host, int(port)


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one whole HTTP response; asserts it is whole."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    assert separator, f"no complete header block in {raw[:200]!r}"
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    assert len(body) == int(headers["content-length"]), f"a cut-off body: {raw[:300]!r}"
    return int(status_line.split()[1]), headers, body


def read_to_end(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes; a reset or a timeout fails the test."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def assert_error_reply(status: int, headers: dict[str, str], body: bytes, code: str) -> None:
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["connection"] == "close"
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"]


@pytest.fixture
def service(tmp_path: Path, corpus: Path) -> Iterator[Service]:
    # A short queue, so that a burst of a few hundred connections goes well past it.
    running = start_service(corpus, tmp_path / "server.log",
                            {"QA_QUEUE_LIMIT": "2", "QA_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT)})
    yield running
    running.stop()


def test_a_burst_past_the_queue_limit_gets_complete_503_replies_and_no_timeouts(service: Service):
    clients = 300
    connections = [socket.create_connection(address(service), timeout=30) for _ in range(clients)]
    # All connected first, then every question sent at once: far more than the 2 workers x (4 threads + 2 queued).
    for connection in connections:
        connection.sendall(ASK)
    replies: dict[socket.socket, bytes] = {connection: b"" for connection in connections}
    failures: list[str] = []
    selector = selectors.DefaultSelector()
    for connection in connections:
        connection.setblocking(False)
        selector.register(connection, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    while selector.get_map() and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1):
            try:
                chunk = key.fileobj.recv(65536)
            except OSError as error:  # a reset above all
                failures.append(repr(error))
                chunk = b""
            if chunk:
                replies[key.fileobj] += chunk
            else:
                selector.unregister(key.fileobj)
                key.fileobj.close()
    unfinished = len(selector.get_map())
    for key in list(selector.get_map().values()):
        key.fileobj.close()

    assert unfinished == 0 and failures == [], f"{unfinished} clients timed out; failures: {failures[:5]}"
    statuses = []
    for raw in replies.values():
        status, headers, body = parse(raw)
        statuses.append(status)
        if status == 503:
            assert int(headers["retry-after"]) >= 1
            assert_error_reply(status, headers, body, "overloaded")
        else:
            assert status == 200 and json.loads(body)["found"]
    assert statuses.count(503) > 0, "nothing was shed"
    assert statuses.count(200) >= procfile_workers(), "nothing was answered"
    assert service.healthy()


def test_stalled_requests_are_cut_off_at_the_read_time_limit_while_questions_are_answered(service: Service):
    # More stalled connections than the service has threads: half a header, a whole header and half a body, and
    # not a byte at all.
    stalled = procfile_threads() * procfile_workers() * 3
    partial_requests = [b"GET /healthz HTTP/1.1\r\nHost: qa\r\nX-Slow: ",
                        ASK[:len(ASK) - len(QUESTION) // 2], b""]
    connections = []
    for i in range(stalled):
        connection = socket.create_connection(address(service), timeout=READ_TIMEOUT + MARGIN)
        connection.sendall(partial_requests[i % len(partial_requests)])
        connections.append(connection)
    started = time.monotonic()

    for _ in range(10):
        with socket.create_connection(address(service), timeout=30) as connection:
            connection.sendall(ASK)
            status, _, body = parse(read_to_end(connection))
        assert status == 200 and json.loads(body)["found"]
    answered_within = time.monotonic() - started
    # Meanwhile: none of the stalled connections has been cut off yet (questions took less than the time limit).
    selector = selectors.DefaultSelector()
    for connection in connections:
        selector.register(connection, selectors.EVENT_READ)
    assert selector.select(timeout=0) == [], f"a stalled connection was cut off before the questions were " \
                                             f"answered ({answered_within:.1f} s)"
    selector.close()

    for i, connection in enumerate(connections):
        received = read_to_end(connection)
        connection.close()
        if partial_requests[i % len(partial_requests)]:
            status, headers, body = parse(received)
            assert status == 408
            assert_error_reply(status, headers, body, "request_timeout")
        else:
            assert received == b"", "a connection that sent nothing is closed without a reply"
    elapsed = time.monotonic() - started
    assert READ_TIMEOUT * 0.9 <= elapsed <= READ_TIMEOUT + MARGIN
    assert service.healthy()


def test_a_body_that_stops_arriving_after_a_thread_took_it_is_cut_off_with_408(service: Service):
    # A chunked body is read by a thread, not the main loop: the time limit holds there too.
    with socket.create_connection(address(service), timeout=READ_TIMEOUT + MARGIN) as connection:
        connection.sendall(b"POST /api/ask HTTP/1.1\r\nHost: qa\r\nContent-Type: application/json\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"que\r\n")
        started = time.monotonic()
        status, headers, body = parse(read_to_end(connection))
        elapsed = time.monotonic() - started

    assert status == 408
    assert json.loads(body)["error"]["code"] == "request_timeout"
    assert READ_TIMEOUT * 0.9 <= elapsed <= READ_TIMEOUT + MARGIN
    assert service.healthy()


def test_a_kept_alive_connection_serves_request_after_request(service: Service):
    host, port = address(service)
    client = http.client.HTTPConnection(host, port, timeout=30)
    client.connect()
    first_socket = client.sock
    statuses = []
    for i in range(6):
        if i == 3:
            time.sleep(1)  # idle, but within gunicorn's keep-alive timeout (2 s)
        client.request("POST", "/api/ask", body=QUESTION, headers={"Content-Type": "application/json"})
        response = client.getresponse()
        statuses.append(response.status)
        assert response.getheader("Connection", "").lower() != "close"
        assert json.loads(response.read())["found"]
    # http.client would have opened a new socket if the server had closed the first one.
    assert client.sock is first_socket
    client.close()
    assert statuses == [200] * 6


@pytest.fixture
def big_document_service(tmp_path: Path, corpus: Path) -> Iterator[Service]:
    # A reply of 10 MB, more than loopback's socket buffers hold (about 3 MB here), so that a slow reader keeps the
    # server waiting to write. Spaces make it large yet quick to index.
    lines = "".join(f"Note {i} says nothing much." + " " * 10_000 + "\n" for i in range(1000))
    (corpus / "big-notes.txt").write_text("Big notes\n\n" + lines)
    running = start_service(corpus, tmp_path / "server.log",
                            {"QA_READ_TIMEOUT_SECONDS": "1", "QA_MAX_DOCUMENT_BYTES": str(16 * 1024 * 1024)})
    yield running
    running.stop()


def test_a_client_reading_its_reply_slowly_is_not_cut_off(big_document_service: Service):
    host, port = address(big_document_service)
    with socket.create_connection((host, port), timeout=30) as connection:
        connection.sendall(b"GET /api/documents/big-notes HTTP/1.1\r\nHost: qa\r\nConnection: close\r\n\r\n")
        time.sleep(3)  # three times the read time limit before reading a byte of the reply
        status, _, body = parse(read_to_end(connection))

    assert status == 200
    assert len(json.loads(body)["text"]) > 10_000_000
