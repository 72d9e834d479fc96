"""The Procfile's gunicorn worker class: reads requests in its main loop, sheds with 503, times out with 408."""

from __future__ import annotations

import contextlib
import email.utils
import errno
import json
import re
import selectors
import socket
import time
from functools import partial

from gunicorn import util
from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import TConn, ThreadWorker

from .config import Settings
from .errors import error_body
from .security import SECURITY_HEADERS

# The main loop reads a request's headers, and a body of known length up to this size, before it takes a thread:
# that covers every question within the default QA_MAX_BODY_BYTES, so a stalled question never holds a thread.
# A larger or chunked body is read by the thread, within the same time limit. At most this much is held per
# connection (1000 connections by default).
DOOR_BUFFER_BYTES = Settings.qa_max_body_bytes
# Connections accepted each time the listening socket is readable. gunicorn's gthread accepts one per loop turn,
# so a burst waits in the backlog for many turns; a batch answers it at once, and the loop still hands finished
# requests back between batches. The backlog stays gunicorn's 2048: connections spend little time there now, and a
# full one makes the kernel drop new connections, which clients retry only after a second or more.
ACCEPT_BATCH = 64
# After a reply that closes the connection, what the client still sends is read and dropped for this long (and up
# to this much) before closing: closing with unread bytes makes the kernel send a reset, which can destroy the reply
# before the client reads it. gunicorn's close_graceful does the same, blocking the main loop; this does not.
LINGER_SECONDS = 2.0
LINGER_MAX_BYTES = 64 * 1024
RETRY_AFTER_SECONDS = 1
SHED_LOG_SECONDS = 10.0

# The blank line ending the headers (a bare LF too: the parser decides what it accepts).
_HEADERS_END = re.compile(rb"\n\r?\n")
_FRAMING_FIELD = re.compile(rb"^(content-length|transfer-encoding|expect)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$",
                            re.IGNORECASE | re.MULTILINE)


# gunicorn's parser refuses a request it cannot read before the app sees it; these say so in the service's error
# shape (gunicorn would send an HTML page). Any other ParseException is a 400 "malformed_request". An unknown
# transfer coding is a 400 as well, not the 501 RFC 9112 suggests: no 5xx means the client is at fault.
PARSE_ERRORS: list[tuple[tuple[type[Exception], ...], int, str, str]] = [
    ((http_errors.LimitRequestLine,), 414, "URI Too Long", "uri_too_long"),
    ((http_errors.LimitRequestHeaders,), 431, "Request Header Fields Too Large", "headers_too_large"),
    ((http_errors.InvalidChunkSize, http_errors.ChunkMissingTerminator, http_errors.InvalidChunkExtension), 400,
     "Bad Request", "malformed_chunked_body"),
    ((http_errors.UnsupportedTransferCoding,), 400, "Bad Request", "unsupported_transfer_coding"),
    ((http_errors.ExpectationFailed,), 417, "Expectation Failed", "expectation_failed"),
    ((http_errors.ForbiddenProxyRequest,), 403, "Forbidden", "forbidden"),
    ((http_errors.ParseException,), 400, "Bad Request", "malformed_request"),
]
DETAIL_CHARS = 200  # of the parser's own words on what it refused, which may quote the request


def parse_error_reply(error: Exception, cfg) -> bytes | None:
    """The reply to a request gunicorn's parser refused; None for any other error (the server's own fault)."""
    if isinstance(error, http_errors.ConfigurationProblem | http_errors.InvalidResponseHeader
                  | http_errors.InvalidResponseHeaderName):
        return None  # gunicorn's settings or the app's reply are wrong, not the client's request
    found = next(((status, reason, code) for kinds, status, reason, code in PARSE_ERRORS
                  if isinstance(error, kinds)), None)
    if found is None:
        return None
    status, reason, code = found
    detail = str(error)
    detail = detail if len(detail) <= DETAIL_CHARS else detail[:DETAIL_CHARS] + "…"
    message = {
        414: f"The request line (method, address and version) is over the limit of {cfg.limit_request_line} bytes.",
        431: f"The request's headers are over the limits: at most {cfg.limit_request_fields} headers of at most "
             f"{cfg.limit_request_field_size} bytes each.",
    }.get(status, f"The request is not valid HTTP/1.1: {detail}")
    return reply(status, reason, code, message)


def reply(status: int, reason: str, code: str, message: str, headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP response in the service's error shape, with the headers the app sends, closing the connection."""
    body = json.dumps(error_body(code, message)).encode()
    fields = {"Date": email.utils.formatdate(usegmt=True), "Content-Type": "application/json",
              "Content-Length": str(len(body)), "Connection": "close", **(headers or {}), **SECURITY_HEADERS}
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return (head + "\r\n").encode("latin-1") + body


def request_length(received: bytearray, headers_end: int) -> tuple[int, bool]:
    """How many bytes of the request the main loop waits for, and whether that is all of it: the whole request when
    it has no body or one of known length that fits the door's buffer, else just the headers."""
    framing: dict[bytes, list[bytes]] = {}
    for name, value in _FRAMING_FIELD.findall(received, 0, headers_end):
        framing.setdefault(name.lower(), []).append(value)
    lengths = framing.get(b"content-length", [b"0"])
    # A chunked body, one sent only after "100 Continue", or a length that is not one plain number is left to the
    # thread and gunicorn's parser, which refuses what it has to.
    if b"transfer-encoding" in framing or b"expect" in framing or len(lengths) != 1 or not lengths[0].isdigit():
        return headers_end, False
    whole = headers_end + int(lengths[0])
    return (whole, True) if whole <= DOOR_BUFFER_BYTES else (headers_end, False)


class DeadlineSocket(socket.socket):
    """A client socket whose reads give up at the request's deadline. Writes are never limited: a client reading
    its answer slowly is not one sending its request slowly."""

    deadline: float | None = None  # monotonic time; None when no request is being read in a thread

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self.deadline is None:
            return super().recv(bufsize, flags)
        prior = self.gettimeout()  # gunicorn bounds its drain of an unread body this way: keep the shorter
        # Bytes that have already arrived are still read after the deadline (1 ms), only waiting for more is not.
        limit = max(self.deadline - time.monotonic(), 0.001)
        self.settimeout(limit if prior is None else min(limit, prior))
        try:
            return super().recv(bufsize, flags)
        finally:
            self.settimeout(prior)


class Connection(TConn):
    """gunicorn's connection, plus what the main loop read of the next request and when it must have arrived."""

    def __init__(self, worker: SheddingWorker, sock: DeadlineSocket, client, server):
        super().__init__(worker.cfg, sock, client, server)
        self.worker = worker
        self.received = bytearray()
        self.wanted: int | None = None  # request bytes to wait for, known once the headers are in
        self.whole = False  # whether those are the whole request
        self.deadline = 0.0  # monotonic: reading the request, or lingering, ends here
        self.allowance = 0.0  # seconds left to read the rest of the request when a thread takes it
        self.drained = 0

    def init(self) -> None:
        # Runs in the thread before every request on this connection.
        super().init()
        if self.received:
            self.parser.unreader.unread(bytes(self.received))
            self.received = bytearray()
        # Timed from when the thread starts: time spent queueing for a thread is not the client's.
        self.sock.deadline = time.monotonic() + self.allowance

    def close(self, graceful: bool = False) -> None:
        if graceful:  # gunicorn's finish_request, on the main loop: linger there without blocking it
            self.worker.linger(self)
        else:
            super().close()


class SheddingWorker(ThreadWorker):
    """gthread, with the main loop reading each request before a thread takes it: a request arriving while more
    than QA_QUEUE_LIMIT wait for a thread is answered 503 at once, and one that has not arrived within
    QA_READ_TIMEOUT_SECONDS is answered 408; neither uses a thread.

    It overrides internals of gunicorn's gthread worker as of 27.0.1 (pinned in requirements.txt): the methods
    accept, enqueue_req, finish_request, on_client_socket_readable and murder_pending; the attributes nr_conns,
    keepalived_conns, poller and worker_connections; TConn.init and data_ready; the parser's unreader.unread.
    Re-read gunicorn/workers/gthread.py before upgrading gunicorn; tests/e2e/test_overload.py checks the result."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        settings = Settings.from_env()
        self.queue_limit = settings.qa_queue_limit
        self.read_timeout = settings.qa_read_timeout_seconds
        self.in_flight = 0  # requests handed to the thread pool and not finished: running or queued
        # Connections by deadline (dicts keep insertion order, and every entry gets the same delay).
        self.reading: dict[Connection, None] = {}
        self.lingering: dict[Connection, None] = {}
        self.shed_count = 0
        self.shed_logged_at = time.monotonic()
        self.shed_reply = (0, b"")

    @classmethod
    def check_config(cls, cfg, log) -> None:
        super().check_config(cfg, log)
        # The main loop reads plain HTTP/1.x; TLS ends at the platform's router or proxy.
        if cfg.is_ssl or cfg.http2_cleartext != "off":
            raise RuntimeError("qa_service.worker.SheddingWorker serves HTTP/1.x without TLS: "
                               "remove the certificate and http2_cleartext settings, or use --worker-class gthread")

    def accept(self, listener) -> None:
        server = listener.getsockname()
        for _ in range(ACCEPT_BATCH):
            if self.nr_conns >= self.worker_connections:
                return  # run() stops listening until connections close
            try:
                client, address = listener.accept()
            except OSError as error:
                if error.errno == errno.ECONNABORTED:
                    continue
                if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return
                raise
            self.nr_conns += 1
            sock = DeadlineSocket(client.family, client.type, client.proto, fileno=client.detach())
            self.read_request(Connection(self, sock, address, server))

    def on_client_socket_readable(self, conn: Connection, client) -> None:
        # A kept-alive connection's next request goes through the door too.
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.read_request(conn)

    def read_request(self, conn: Connection) -> None:
        conn.deadline = time.monotonic() + self.read_timeout
        conn.wanted = None
        conn.whole = False
        self.on_request_bytes(conn)  # the request has usually arrived already: no trip through the poller

    def wait_for_request(self, conn: Connection) -> None:
        if conn not in self.reading:
            self.reading[conn] = None
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_request_bytes, conn))

    def stop_reading(self, conn: Connection) -> None:
        if self.reading.pop(conn, False) is None:
            self.poller.unregister(conn.sock)

    def on_request_bytes(self, conn: Connection, _sock=None) -> None:
        try:
            data = conn.sock.recv(DOOR_BUFFER_BYTES - len(conn.received))
        except BlockingIOError:
            self.wait_for_request(conn)
            return
        except OSError:
            data = b""
        if not data:  # closed or reset before a whole request arrived
            self.stop_reading(conn)
            self.nr_conns -= 1
            util.close(conn.sock)
            return
        received = conn.received
        searched = max(len(received) - 2, 0)
        received += data
        if conn.wanted is None:
            end = _HEADERS_END.search(received, searched)
            if end is not None:
                conn.wanted, conn.whole = request_length(received, end.end())
            elif len(received) >= DOOR_BUFFER_BYTES:
                conn.wanted = len(received)  # headers this long: the parser refuses them
        if conn.wanted is None or len(received) < conn.wanted:
            self.wait_for_request(conn)
            return
        self.stop_reading(conn)
        if self.in_flight >= self.cfg.threads + self.queue_limit:
            self.shed(conn)
            return
        conn.allowance = conn.deadline - time.monotonic()
        conn.data_ready = True  # no thread waits for a first byte (gthread does, for up to 5 s)
        self.enqueue_req(conn)

    def shed(self, conn: Connection) -> None:
        self.shed_count += 1
        second = int(time.time())
        if self.shed_reply[0] != second:  # made once a second (its Date), not once per request
            self.shed_reply = second, reply(
                503, "Service Unavailable", "overloaded",
                f"The service is taking all the requests it can; try again in {RETRY_AFTER_SECONDS} s.",
                {"Retry-After": str(RETRY_AFTER_SECONDS)})
        self.refuse(conn, self.shed_reply[1])

    def refuse(self, conn: Connection, response: bytes) -> None:
        """Answer from the main loop and close. The socket is non-blocking: a fresh connection's send buffer takes
        the reply whole, and if it cannot, the client is not reading and closing is all there is left to do."""
        with contextlib.suppress(OSError):
            conn.sock.send(response)
        self.nr_conns -= 1
        if conn.whole and len(conn.received) >= conn.wanted:
            # Read whole at the door, so nothing more is due from the client: drop whatever came anyway and close.
            conn.drained = 0
            self.drain(conn)
            util.close(conn.sock)
        else:
            self.linger(conn)

    def handle_error(self, req, client, addr, exc) -> None:
        """A request the worker could not read or serve: gunicorn's handling (its log lines), but the reply in the
        service's error shape, with its security headers, rather than gunicorn's HTML page."""
        response = parse_error_reply(exc, self.cfg)
        if response is None:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
            response = reply(500, "Internal Server Error", "internal_error",
                             "Something went wrong on our side; the error has been logged.")
        else:
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        with contextlib.suppress(OSError):
            util.write_nonblock(client, response)

    def enqueue_req(self, conn: Connection) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)

    def finish_request(self, conn: Connection, fs) -> None:
        self.in_flight -= 1
        conn.sock.deadline = None  # the door times the next request on this connection,
        conn.allowance = self.read_timeout  # unless it was sent along with this one (then a thread takes it now)
        super().finish_request(conn, fs)

    def linger(self, conn: Connection) -> None:
        """Close after a reply: half-close, drop what the client has sent, and (if more may come) keep dropping it
        until it hangs up or LINGER_SECONDS pass. Counted as a connection until closed."""
        self.nr_conns += 1
        conn.sock.deadline = None
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.stop_lingering(conn)
            return
        conn.drained = 0
        conn.deadline = time.monotonic() + LINGER_SECONDS
        if self.drain(conn):
            self.lingering[conn] = None
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_lingering_bytes, conn))
        else:
            self.stop_lingering(conn)

    def drain(self, conn: Connection) -> bool:
        """Read and drop what has arrived; True while the client may send more."""
        try:
            while conn.drained < LINGER_MAX_BYTES:
                data = conn.sock.recv(LINGER_MAX_BYTES)
                if not data:
                    return False
                conn.drained += len(data)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def on_lingering_bytes(self, conn: Connection, _sock=None) -> None:
        if not self.drain(conn):
            self.stop_lingering(conn)

    def stop_lingering(self, conn: Connection) -> None:
        if self.lingering.pop(conn, False) is None:
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        util.close(conn.sock)

    def murder_pending(self) -> None:
        # Called by run() after every turn of the loop (at least once a second): expire what is past its deadline.
        super().murder_pending()
        now = time.monotonic()
        for conn in self.expired(self.reading, now):
            self.stop_reading(conn)
            if conn.received:
                self.refuse(conn, reply(408, "Request Timeout", "request_timeout",
                                        f"The request did not arrive within {self.read_timeout:g} s."))
            else:  # not a byte: no request to answer
                self.nr_conns -= 1
                util.close(conn.sock)
        for conn in self.expired(self.lingering, now):
            self.stop_lingering(conn)
        if self.shed_count and now - self.shed_logged_at >= SHED_LOG_SECONDS:
            # One line now and then, not one per request: shedding happens when the worker can least afford it.
            self.log.warning("shed %d requests with 503 in the last %.0f s: more than %d were waiting for a thread "
                             "(QA_QUEUE_LIMIT)", self.shed_count, now - self.shed_logged_at, self.queue_limit)
            self.shed_count = 0
            self.shed_logged_at = now

    def expired(self, connections: dict[Connection, None], now: float) -> list[Connection]:
        if not self.alive:
            # Stopping: a connection that has sent nothing will not be served; one part-way through a request may be.
            return [conn for conn in connections if conn.deadline <= now or not conn.received]
        found = []
        for conn in connections:
            if conn.deadline > now:
                break
            found.append(conn)
        return found
