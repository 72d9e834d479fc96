"""Raw input, under schemathesis: Hypothesis writes whole HTTP requests as bytes (any method, address, headers,
content type, charset and body, and JSON that no schema would produce: nesting thousands deep, huge numbers,
duplicate keys, byte-order marks, lone surrogates, every JSON type in every field) and sends them to every route of
the service under gunicorn on loopback. Whatever arrives, the reply is a page or JSON with a status below 500, every
error is the one JSON error shape with the security headers, and the server logs no traceback."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import shutil
import socket
import urllib.request
from dataclasses import dataclass, field

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from services import ROOT, Service, errors_logged, start_service

from qa_service import create_app
from qa_service.config import MAX_JSON_DEPTH
from qa_service.security import SECURITY_HEADERS

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = "raw-requests-admin-token-0123456789"
SEED_ID = "keppra-article"
RAW = settings(max_examples=500, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                      HealthCheck.function_scoped_fixture])
REPLY_SECONDS = 30


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""  # as sent: br or gzip when the request asked for it (see content())

    def content(self) -> bytes:
        """The body as the client reads it, its content coding undone."""
        coding = self.headers.get("content-encoding", "identity")
        return {"br": brotli.decompress, "gzip": gzip.decompress}.get(coding, bytes)(self.body)

    def error(self) -> dict:
        """The error object of a JSON error reply, checked against the one shape."""
        assert self.headers.get("content-type", "").startswith("application/json"), (self.status, self.headers)
        body = json.loads(self.content())
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        assert all(isinstance(value, str) and value for value in body["error"].values()), body
        return body["error"]


def read_reply(sock: socket.socket, head_only: bool) -> Reply:
    """One HTTP response from the socket, after any interim 1xx ones; the body by its length, its chunks, or EOF."""
    received = b""

    def more() -> bool:
        nonlocal received
        data = sock.recv(65536)
        received += data
        return bool(data)

    while True:
        while b"\r\n\r\n" not in received:
            assert more(), f"the connection closed before a reply's headers arrived: {received[:200]!r}"
        head, _, received = received.partition(b"\r\n\r\n")
        status_line, *fields = head.decode("latin-1").split("\r\n")
        match = re.fullmatch(r"HTTP/1\.[01] (\d{3})(?: .*)?", status_line)
        assert match, f"not an HTTP status line: {status_line!r}"
        status = int(match.group(1))
        if status >= 200:
            break
    headers = {}
    for line in fields:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if head_only or status in (204, 304):
        return Reply(status, headers)
    if "content-length" in headers:
        while len(received) < int(headers["content-length"]) and more():
            pass
        return Reply(status, headers, received[:int(headers["content-length"])])
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in received:
                assert more(), "the connection closed inside a chunked reply"
            size_line, _, received = received.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(received) < size + 2 and more():
                pass
            if size == 0:
                return Reply(status, headers, body)
            body, received = body + received[:size], received[size + 2:]
    while more():
        pass
    return Reply(status, headers, received)


def exchange(service: Service, request: bytes) -> Reply:
    """Send the bytes on a new connection and read the reply; the server may answer before reading them all."""
    port = int(service.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=REPLY_SECONDS) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a refusal may come before the end
            sock.sendall(request)
        return read_reply(sock, head_only=request.split(b" ", 1)[0] == b"HEAD")


def request_bytes(method: str | bytes, target: str | bytes, headers: list[tuple[str, str | bytes]],
                  body: bytes = b"", framing: str = "length") -> bytes:
    def raw(text: str | bytes) -> bytes:
        return text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")

    lines = [raw(method) + b" " + raw(target) + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    lines += [raw(name) + b": " + raw(value) for name, value in headers]
    if framing == "length":
        lines.append(b"Content-Length: " + str(len(body)).encode())
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: chunked")
        body = (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def check_reply(service: Service, log_offset: int, reply: Reply, method: str, target: str,
                wants_html: bool = False) -> None:
    """The contract for any request, and nothing in the server's log after log_offset that tells of an error.
    A browser (wants_html: it names text/html) following a citation to a removed document gets a page instead."""
    assert 200 <= reply.status < 500, (reply.status, reply.body[:300])
    if reply.status >= 400:
        for name, value in SECURITY_HEADERS.items():
            assert reply.headers.get(name.lower()) == value, (name, reply.headers)
        is_page = reply.headers.get("content-type", "").startswith("text/html")
        if not (is_page and wants_html and reply.status == 404 and target.startswith("/documents/")):
            assert reply.headers.get("content-type", "").startswith("application/json"), (reply.status, reply.headers)
            if method != "HEAD":
                reply.error()
    elif reply.status == 304:  # not modified: the If-None-Match the request may carry holds
        assert not reply.content(), reply
    elif 300 <= reply.status < 400:
        assert "location" in reply.headers, reply.headers
    elif method == "OPTIONS":  # Flask's answer for every route: the methods it takes, and nothing else
        assert "allow" in reply.headers and not reply.content(), reply
    elif target.startswith("/api/") and method != "HEAD" and not target.partition("?")[0].endswith(".csv"):
        assert reply.headers.get("content-type", "").startswith("application/json"), (target, reply.headers)
        json.loads(reply.content())
    with service.log.open("rb") as log:
        log.seek(log_offset)
        logged = log.read().decode("utf-8", "replace")
    assert not errors_logged(logged), errors_logged(logged)[:5]


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    folder = tmp_path_factory.mktemp("raw-requests")
    shutil.copytree(ROOT / "corpus", folder / "corpus")
    # Writes and question records are on, so that every route runs its whole code, not its "off" reply.
    running = start_service(folder / "corpus", folder / "server.log",
                            {"QA_ADMIN_TOKEN": ADMIN_TOKEN, "QA_RECORD_QUESTIONS": "all",
                             "QA_RECORD_FILE": str(folder / "records.sqlite3")})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def routes(tmp_path_factory) -> list[str]:
    """Every route the app has, as its URL rule (`/api/documents/<doc_id>`), read from the app itself."""
    folder = tmp_path_factory.mktemp("routes")
    shutil.copytree(ROOT / "corpus", folder / "corpus")
    app = create_app({"QA_CORPUS": str(folder / "corpus"), "QA_SEMANTIC": "off"})
    return sorted({rule.rule for rule in app.url_map.iter_rules()})


@pytest.fixture(scope="module")
def answer_id(service: Service) -> str:
    """A real answer id, so that feedback's fields are reached past the id check."""
    asked = urllib.request.Request(f"{service.url}/api/ask", json.dumps({"question": "What is Keppra?"}).encode(),
                                   {"Content-Type": "application/json"})
    with urllib.request.urlopen(asked, timeout=REPLY_SECONDS) as response:
        return json.load(response)["answer_id"]


def log_end(service: Service) -> int:
    """Where the server's log ends now: check_reply reads what a request adds after it."""
    return service.log.stat().st_size


# --- what goes into a request ---------------------------------------------------------------------------------

METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "get", "BREW"]
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "application/json; charset=UTF-16",
    "application/json; charset=latin-1", "application/json; charset=no-such-charset", "application/json;;;=",
    "application/merge-patch+json", "text/plain", "text/plain; charset=utf-16", "text/markdown", "text/html",
    "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=xyz",
    "application/octet-stream", "*/*", "", "json", "\u00e9/\u00e9",
]
AUTHORIZATIONS = [None, f"Bearer {ADMIN_TOKEN}", "Bearer wrong-token", "Bearer ", "Basic Og==", "Bearer \u00e9\u00e9"]

# Path segments for a rule's variables: real ids, ids the id rule refuses, encodings and any text at all.
segments = st.one_of(
    st.sampled_from([SEED_ID, "no-such-doc", "..", ".", "%2e%2e", "%00", "%ff", "a%2Fb", "0", "-1", "9" * 30,
                     "x" * 300, "%", "%zz", "\u00e9", "a b", "a?b", "a#b"]),
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda data: "".join(f"%{byte:02X}" for byte in data)),
)
queries = st.one_of(st.just(""), st.sampled_from(["?limit=-1", "?limit=abc", "?limit=99999999999999999999999",
                                                  "?document=..", "?q=%ff", "?a=1&a=2", "?" + "x=1&" * 200, "?%"]),
                    st.text(max_size=40).map(lambda text: "?" + text))


@st.composite
def targets(draw, routes: list[str]) -> str:
    """An address on one of the app's routes, its variables filled with any segment, and any query."""
    rule = draw(st.sampled_from([*routes, "/no/such/page", "*", "//", "/api//ask"]))
    path = re.sub(r"<[^>]+>", lambda _: draw(segments), rule)
    return path + draw(queries)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@st.composite
def json_fragments(draw) -> str:
    """A JSON value as text, including texts no JSON library writes but a client may send."""
    kind = draw(st.sampled_from(["value", "deep", "number", "string", "raw"]))
    if kind == "value":
        return json.dumps(draw(json_values))
    if kind == "deep":
        depth = draw(st.one_of(st.integers(1, 3 * MAX_JSON_DEPTH), st.integers(1, 5000)))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a": ', "}"), ('[{"b": ', "}]")]))
        return opener * depth + draw(st.sampled_from(["1", '"x"', "[]", "{}", "null"])) + closer * depth
    if kind == "number":
        return draw(st.sampled_from(["1" * 5000, "-" + "9" * 4300, "1e99999", "-1e99999", "1e-99999",
                                     "0." + "0" * 5000 + "1", "NaN", "Infinity", "-Infinity", "-0", "1E400", "0x10",
                                     "01", "1.", ".5", "+1"]))
    if kind == "string":
        return draw(st.sampled_from(['"\\ud800"', '"\\udfff\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', '"a\\u0000b"',
                                     '"\\uFFFE"', '"\\u202e"', '"\\x41"', '"\\', '"\u2028"', '"' + "a" * 70000 + '"']))
    return draw(st.text(max_size=30))


def json_templates(answer_id: str) -> dict[tuple[str, str], list[str]]:
    """For each route that reads JSON, bodies with a hole (@) in every field and every level of nesting."""
    given_id = json.dumps(answer_id)
    return {
        ("POST", "/api/ask"): [
            '{"question": @}', '{"question": "What is it?", "history": @}', '{"question": "x", "history": [@]}',
            '{"question": "x", "history": [{"question": @}]}', '{"question": "x", "history": [{"question": "y", '
            '"quotes": @}]}', '{"question": "x", "history": [{"question": "y", "quotes": [@]}]}',
            '{"question": "x", "history": [{"question": "y", "quotes": [{"document": @, "start": 0, "end": 1}]}]}',
            '{"question": "x", "documents": @}', '{"question": "x", "documents": [@]}', '{"question": "x", "h": @}',
            '{"question": "a", "question": @}', '@'],
        ("POST", "/api/feedback"): [
            '{"answer_id": @, "helpful": true}', f'{{"answer_id": {given_id}, "helpful": @}}',
            f'{{"answer_id": {given_id}, "helpful": false, "comment": @}}', f'{{"answer_id": {given_id}, "x": @}}',
            '@'],
        ("POST", "/api/insights/handled"): [
            '{"questions": @}', '{"answers": @}', '{"questions": [@]}', '{"answers": ["x", @]}', '@'],
        ("PUT", "/api/documents/raw-fuzz"): [
            '{"text": @}', '{"text": "A sentence to index.", "format": @}',
            '{"text": "A sentence to index.", "title": @}', '{"text": "A sentence.", "text": @}', '@'],
    }


# --- the tests ------------------------------------------------------------------------------------------------

def test_the_routes_cover_every_part_of_the_app(routes: list[str]):
    assert {"/api/ask", "/api/documents/<doc_id>", "/api/insights/handled", "/", "/admin"} <= set(routes)


@given(data=st.data())
@RAW
def test_any_request_to_any_route_gets_a_page_or_json_never_a_500(data, service: Service, routes: list[str]):
    logged_before = log_end(service)
    method = data.draw(st.sampled_from(METHODS))
    target = data.draw(targets(routes))
    headers = []
    content_type = data.draw(st.sampled_from([None, *CONTENT_TYPES]))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    authorization = data.draw(st.sampled_from(AUTHORIZATIONS))
    if authorization is not None:
        headers.append(("Authorization", authorization))
    headers += data.draw(st.lists(st.sampled_from([
        ("If-Match", "*"), ("If-Match", '"nope"'), ("If-None-Match", "*"), ("Accept-Encoding", "br, gzip"),
        ("Accept", "text/html"), ("Cookie", "a=b; " * 50), ("Range", "bytes=0-1"), ("X-Forwarded-For", "1.2.3.4"),
        ("Expect", "100-continue"), ("Origin", "http://elsewhere.example")]), max_size=3))
    body = data.draw(st.one_of(st.binary(max_size=2000), json_fragments().map(lambda t: t.encode("utf-8",
                                                                                                 "surrogatepass"))))
    framing = data.draw(st.sampled_from(["length", "length", "chunked", "none"]))
    reply = exchange(service, request_bytes(method, target, headers, body if framing != "none" else b"", framing))
    check_reply(service, logged_before, reply, method.upper(), target, ("Accept", "text/html") in headers)


@given(data=st.data())
@RAW
def test_any_json_in_any_field_gets_a_json_reply_never_a_500(data, service: Service, answer_id: str):
    logged_before = log_end(service)
    templates = json_templates(answer_id)
    method, path = data.draw(st.sampled_from(sorted(templates)))
    template = data.draw(st.sampled_from(templates[method, path]))
    text = template.replace("@", data.draw(json_fragments()))
    encoding, content_type = data.draw(st.sampled_from([
        ("utf-8", "application/json"), ("utf-8", "application/json; charset=utf-8"), ("utf-16", "application/json"),
        ("utf-32", "application/json"), ("utf-8-sig", "application/json"), ("latin-1", "application/json"),
        ("utf-16", "application/json; charset=utf-16")]))
    try:
        body = text.encode(encoding, "surrogatepass")
    except UnicodeEncodeError:  # latin-1 cannot hold the text: send it as UTF-8 under the same header
        body = text.encode("utf-8", "surrogatepass")
    framing = data.draw(st.sampled_from(["length", "chunked"]))
    headers = [("Content-Type", content_type), ("Authorization", f"Bearer {ADMIN_TOKEN}")]
    reply = exchange(service, request_bytes(method, path, headers, body, framing))
    check_reply(service, logged_before, reply, method, path)


def test_a_question_nested_a_thousand_deep_is_refused_as_malformed_json(service: Service):
    logged_before = log_end(service)
    body = ('{"question": "x", "h": ' + "[" * 1000 + "]" * 1000 + "}").encode()

    reply = exchange(service, request_bytes("POST", "/api/ask", [("Content-Type", "application/json")], body))

    assert reply.status == 400
    assert reply.error()["code"] == "malformed_json"
    assert str(MAX_JSON_DEPTH) in reply.error()["message"]
    check_reply(service, logged_before, reply, "POST", "/api/ask")


def test_nesting_up_to_the_limit_is_read(service: Service):
    depth = MAX_JSON_DEPTH - 1  # the body object itself is one level
    body = ('{"question": "What is Keppra?", "h": ' + "[" * depth + "]" * depth + "}").encode()

    reply = exchange(service, request_bytes("POST", "/api/ask", [("Content-Type", "application/json")], body))

    assert reply.status == 200, reply.body


# The worker's parser refuses these before the app sees them; each still gets the one JSON error shape.
FRAMING_ERRORS = {
    "a request line over the limit": (b"GET /api/documents/" + b"x" * 5000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414),
    "a header over the limit": (b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-Big: " + b"y" * 9000 + b"\r\n\r\n", 431),
    "too many headers": (b"GET /healthz HTTP/1.1\r\nHost: h\r\n" + b"X-A: 1\r\n" * 120 + b"\r\n", 431),
    "a malformed request line": (b"GET\r\n\r\n", 400),
    "no HTTP version": (b"GET /healthz\r\nHost: h\r\n\r\n", 400),
    "an unknown HTTP version": (b"GET /healthz HTTP/9.9\r\nHost: h\r\n\r\n", 400),
    "a method that is not a token": (b"G(T /healthz HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    "a header without a colon": (b"GET /healthz HTTP/1.1\r\nHost: h\r\nNo colon here\r\n\r\n", 400),
    "a header name with a space": (b"GET /healthz HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400),
    "an obsolete folded header": (b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
    "a NUL in a header": (b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n", 400),
    "a bad chunk size": (b"POST /api/ask HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
    "a chunk without its terminator": (b"POST /api/ask HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                                       b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", 400),
    "an unknown transfer coding": (b"POST /api/ask HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: foo\r\n\r\n", 400),
    "an expectation the server cannot meet": (b"POST /api/ask HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n"
                                              b"Content-Length: 0\r\n\r\n", 417),
    "a length and a transfer coding": (b"POST /api/ask HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
                                       b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    "two different lengths": (b"POST /api/ask HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"
                              b"{}x", 400),
    "a negative length": (b"POST /api/ask HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
    "bytes that are not HTTP": (bytes(range(256)) + b"\r\n\r\n", 400),
}


@pytest.mark.parametrize("request_sent, status", FRAMING_ERRORS.values(), ids=FRAMING_ERRORS)
def test_a_request_the_worker_cannot_parse_gets_the_json_error_shape(service: Service, request_sent: bytes,
                                                                     status: int):
    logged_before = log_end(service)

    reply = exchange(service, request_sent)

    assert reply.status == status, (reply.status, reply.body[:300])
    check_reply(service, logged_before, reply, "GET", "/")


def test_the_openapi_document_lists_the_workers_own_refusals(service: Service):
    with urllib.request.urlopen(f"{service.url}/api/openapi.json", timeout=REPLY_SECONDS) as response:
        document = json.load(response)
    for operations in document["paths"].values():
        for operation in operations.values():
            assert {"400", "408", "414", "417", "431", "503"} <= set(operation["responses"]), operation["operationId"]
