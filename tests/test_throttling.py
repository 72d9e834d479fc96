"""Rate limits: per-client limits on asking and on writes, 429 with Retry-After, and their configuration."""

from __future__ import annotations

import io
import json
import logging
import shutil
import socket
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import pytest
from e2e.services import Service, start_redis, start_service
from flask import Flask

from qa_service import create_app
from qa_service.config import PROJECT_ROOT, ConfigError
from qa_service.openapi import ERROR

SEED = PROJECT_ROOT / "corpus" / "keppra-article.txt"

QUESTION = {"question": "What are the side effects of Keppra?"}


def make_app(corpus_dir, **settings) -> Flask:
    return create_app({"QA_CORPUS": str(corpus_dir), "QA_RATE_LIMIT_EXEMPT": "none", **settings})


def ask_from(client, address: str = "203.0.113.7", **kwargs):
    return client.post("/api/ask", json=QUESTION, environ_base={"REMOTE_ADDR": address}, **kwargs)


def test_asking_beyond_the_limit_gets_429_with_retry_after(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="3/minute").test_client()

    statuses = [ask_from(client).status_code for _ in range(4)]
    refused = ask_from(client)

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    jsonschema.validate(refused.get_json(), ERROR)
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "3 per 1 minute" in refused.get_json()["error"]["message"]


def test_each_client_address_has_its_own_count(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="2/minute").test_client()

    first = [ask_from(client, "203.0.113.7").status_code for _ in range(3)]
    second = [ask_from(client, "198.51.100.4").status_code for _ in range(3)]

    assert first == second == [200, 200, 429]


def test_reading_is_not_counted_against_the_ask_limit(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute").test_client()
    environ = {"REMOTE_ADDR": "203.0.113.7"}

    reads = [client.get(path, environ_base=environ).status_code
             for path in ("/", "/api/documents", "/api/corpus", "/healthz", "/api/openapi.json")]

    assert reads == [200] * 5
    assert ask_from(client).status_code == 200


def test_several_limits_can_be_combined(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="2/second;3/minute").test_client()

    assert [ask_from(client).status_code for _ in range(3)] == [200, 200, 429]


def test_every_write_method_counts_against_the_write_limit(corpus_dir):
    app = make_app(corpus_dir, QA_RATE_LIMIT_WRITE="3/minute", QA_RATE_LIMIT_ASK="off")
    app.add_url_rule("/api/test-write", "test_write", lambda: ("", 204), methods=["PUT", "POST", "DELETE", "PATCH"])
    client = app.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.7"}

    statuses = [client.open("/api/test-write", method=m, environ_base=environ).status_code
                for m in ("PUT", "POST", "DELETE", "PATCH")]

    assert statuses == [204, 204, 204, 429]
    assert ask_from(client).status_code == 200


def test_a_limit_for_all_clients_together_sheds_with_503(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="off", QA_RATE_LIMIT_ASK_TOTAL="3/second").test_client()

    statuses = [ask_from(client, f"198.51.100.{i}").status_code for i in range(4)]
    shed = ask_from(client, "198.51.100.99")

    assert statuses == [200, 200, 200, 503]
    assert shed.status_code == 503
    assert int(shed.headers["Retry-After"]) == 1
    jsonschema.validate(shed.get_json(), ERROR)
    assert shed.get_json()["error"]["code"] == "overloaded"


def test_exempt_clients_count_towards_the_limit_for_all_clients(corpus_dir):
    client = create_app({"QA_CORPUS": str(corpus_dir), "QA_RATE_LIMIT_ASK_TOTAL": "2/minute"}).test_client()

    assert [client.post("/api/ask", json=QUESTION).status_code for _ in range(3)] == [200, 200, 503]


def test_loopback_clients_are_exempt_by_default(corpus_dir):
    client = create_app({"QA_CORPUS": str(corpus_dir), "QA_RATE_LIMIT_ASK": "2/minute"}).test_client()

    assert [client.post("/api/ask", json=QUESTION).status_code for _ in range(5)] == [200] * 5
    assert [ask_from(client).status_code for _ in range(3)] == [200, 200, 429]


def test_exempt_networks_are_configurable(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute", QA_RATE_LIMIT_EXEMPT="10.0.0.0/8, 192.0.2.1"
                      ).test_client()

    assert [ask_from(client, "10.1.2.3").status_code for _ in range(3)] == [200] * 3
    assert [ask_from(client, "192.0.2.1").status_code for _ in range(3)] == [200] * 3
    assert [ask_from(client, "192.0.2.2").status_code for _ in range(2)] == [200, 429]


def test_the_default_limit_lets_a_reader_ask_two_questions_a_second_for_a_minute(corpus_dir):
    client = create_app({"QA_CORPUS": str(corpus_dir), "QA_RATE_LIMIT_EXEMPT": "none"}).test_client()

    statuses = [ask_from(client).status_code for _ in range(121)]

    assert statuses == [200] * 120 + [429]


def test_off_turns_a_limit_off(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="off").test_client()

    assert [ask_from(client).status_code for _ in range(130)] == [200] * 130


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute").test_client()

    statuses = [ask_from(client, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(3)]

    assert statuses == [200, 429, 429]


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute", QA_PROXY_HOPS=1).test_client()

    def via_proxy(forwarded_for: str):
        return ask_from(client, "10.0.0.2", headers={"X-Forwarded-For": forwarded_for}).status_code

    assert [via_proxy("198.51.100.1"), via_proxy("198.51.100.2"), via_proxy("198.51.100.1")] == [200, 200, 429]
    # A client cannot pose as another by sending its own X-Forwarded-For: the proxy appends the real address.
    assert via_proxy("198.51.100.2, 198.51.100.1") == 429


def test_an_unreachable_storage_lets_requests_through_and_says_so(corpus_dir, caplog):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute", QA_RATE_LIMIT_STORAGE="redis://127.0.0.1:1"
                      ).test_client()

    statuses = [ask_from(client).status_code for _ in range(3)]

    assert statuses == [200] * 3
    warnings = [r for r in caplog.records if r.name == "qa_service.throttling" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "storage unreachable" in warnings[0].getMessage()


@pytest.mark.parametrize("setting, value, named", [
    ("QA_RATE_LIMIT_ASK", "lots", "QA_RATE_LIMIT_ASK"),
    ("QA_RATE_LIMIT_WRITE", "10 per fortnight", "QA_RATE_LIMIT_WRITE"),
    ("QA_RATE_LIMIT_ASK_TOTAL", "many/second", "QA_RATE_LIMIT_ASK_TOTAL"),
    ("QA_RATE_LIMIT_STORAGE", "carrier-pigeon://", "QA_RATE_LIMIT_STORAGE"),
    ("QA_RATE_LIMIT_EXEMPT", "localhost", "QA_RATE_LIMIT_EXEMPT"),
    ("QA_PROXY_HOPS", "-1", "QA_PROXY_HOPS"),
])
def test_an_unusable_setting_is_refused_at_start_with_its_name(corpus_dir, setting, value, named):
    with pytest.raises(ConfigError, match=named):
        create_app({"QA_CORPUS": str(corpus_dir), setting: value})


def test_a_body_streamed_without_content_length_over_the_limit_is_refused(corpus_dir):
    client = make_app(corpus_dir, QA_MAX_BODY_BYTES=1000).test_client()
    body = b'{"question": "What is Keppra?"}' + b" " * 2000

    response = client.post("/api/ask", input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_base={"wsgi.input_terminated": True})

    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_a_document_streamed_without_content_length_over_the_limit_is_refused_not_stored_cut(corpus_dir):
    token = "limits-test-admin-token-0123"
    client = make_app(corpus_dir, QA_ADMIN_TOKEN=token, QA_MAX_DOCUMENT_BYTES=5000).test_client()
    body = b"Chunked notes.\n\n" + b"A sentence that repeats. " * 400

    response = client.put("/api/documents/chunked", input_stream=io.BytesIO(body), content_type="text/plain",
                          headers={"Transfer-Encoding": "chunked", "Authorization": f"Bearer {token}"},
                          environ_base={"wsgi.input_terminated": True})

    assert response.status_code == 413
    assert client.get("/api/documents/chunked").status_code == 404


def test_a_body_streamed_without_content_length_within_the_limit_is_read_whole(corpus_dir):
    client = make_app(corpus_dir, QA_MAX_BODY_BYTES=1000).test_client()
    body = b'{"question": "What is Keppra?"}'

    response = client.post("/api/ask", input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_base={"wsgi.input_terminated": True})

    assert response.status_code == 200
    assert response.get_json()["question"] == "What is Keppra?"


# --- through a real gunicorn, over real sockets ---------------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    corpus = folder / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    running = start_service(corpus, folder / "server.log")
    # Every worker answers once first, so that its model session is open (each opens it beside its start) and what
    # a test measures of a worker's memory is not its start-up.
    asked = 0
    while len(workers_that_answered(running)) < 2:
        assert asked < 200, "one worker took every connection"
        post_question(running.url)
        asked += 1
    yield running
    running.stop()


def address_of(service: Service) -> tuple[str, int]:
    host, port = service.url.removeprefix("http://").split(":")
    return host, int(port)


def peak_memory_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total


def read_status(connection: socket.socket) -> int:
    reply = b""
    while b"\r\n" not in reply:
        chunk = connection.recv(4096)
        if not chunk:
            break
        reply += chunk
    return int(reply.split(b" ", 2)[1])


@pytest.mark.e2e
def test_an_endless_chunked_body_is_refused_without_being_read(service: Service):
    chunk = b"x" * 65536
    total = 256 * 1024 * 1024
    before = peak_memory_kib(service.worker_pids())
    sent = 0
    with socket.create_connection(address_of(service), timeout=30) as connection:
        connection.sendall(b"POST /api/ask HTTP/1.1\r\nHost: qa\r\nContent-Type: application/json\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < total:
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status = read_status(connection)

    assert status == 413
    # The server stopped reading at the limit: what was sent beyond it sat in socket buffers until it hung up.
    assert sent < total // 8
    assert peak_memory_kib(service.worker_pids()) - before < 16 * 1024
    assert service.healthy()


@pytest.mark.e2e
def test_a_content_length_over_the_limit_is_refused_before_the_body_is_sent(service: Service):
    with socket.create_connection(address_of(service), timeout=30) as connection:
        connection.sendall(b"POST /api/ask HTTP/1.1\r\nHost: qa\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 1073741824\r\n\r\n")
        status = read_status(connection)

    assert status == 413


@pytest.mark.e2e
def test_bytes_beyond_a_short_content_length_are_not_read_as_the_body(service: Service):
    body = json.dumps({"question": "What is Keppra?"}).encode()
    with socket.create_connection(address_of(service), timeout=30) as connection:
        connection.sendall(b"POST /api/ask HTTP/1.1\r\nHost: qa\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n%s%s" % (len(body), body, b"x" * 1_000_000))
        status = read_status(connection)

    assert status == 200
    assert service.healthy()


@pytest.fixture
def redis_server(tmp_path):
    server = start_redis(tmp_path / "redis.log")
    yield server
    server.stop()


@pytest.mark.e2e
def test_with_redis_the_limit_holds_across_gunicorn_workers(tmp_path, corpus_dir, redis_server):
    limit = 10
    running = start_service(corpus_dir, tmp_path / "server.log", {
        "QA_RATE_LIMIT_ASK": f"{limit}/minute", "QA_RATE_LIMIT_EXEMPT": "none",
        "QA_RATE_LIMIT_STORAGE": redis_server.url,
    })
    try:
        statuses = []
        # A new connection for each request, so that both workers take some of them; with a count kept by each
        # worker, more than `limit` would then get through.
        while len(statuses) < 2 * limit or len(workers_that_answered(running)) < 2:
            assert len(statuses) < 200, "one worker took every connection"
            statuses.append(post_question(running.url))
    finally:
        running.stop()

    assert statuses.count(200) == limit
    assert statuses.count(429) == len(statuses) - limit


def workers_that_answered(service: Service) -> set[int]:
    return {line["pid"] for line in service.request_lines() if line["path"] == "/api/ask"}


def post_question(url: str) -> int:
    request = urllib.request.Request(f"{url}/api/ask", data=json.dumps(QUESTION).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
