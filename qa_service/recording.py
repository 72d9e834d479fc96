"""Recording answers off the answer's path: each answer given is queued and written by one thread per process,
so a slow or unreachable records store never delays or breaks an answer (a lost record is counted in the log).

Also the answer ids: an answer id carries what a vote on it needs (the normalised question, the quotes given),
signed with the records' secret, so nothing about an answer is stored unless the settings record it or a reader
votes on it; one vote per answer id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import queue
import secrets
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .records import Asking, QuestionRecords, normalised

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000  # answers waiting to be recorded; past that they are dropped and counted as lost
PURGE_EVERY = timedelta(hours=1)
# After the records could not give the signing key, answers go without an id for this long before it is asked
# for again: an unreachable database must not cost every answer a connection attempt.
SECRET_RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class AnsweredQuestion:
    """What an answer id says: the answer a reader got, enough to record a vote on it."""

    key: str
    question: str
    found: bool
    confidence: float
    corpus_version: str
    quotes: tuple[tuple[str, str], ...]


class InvalidAnswerId(ValueError):
    """An answer id this service did not make (or one altered since)."""


class QuestionRecorder:
    """Records answers as the mode says (off, declined, all) into the records, and signs and reads answer ids."""

    def __init__(self, mode: str, records: QuestionRecords | None, retention_days: float):
        self.mode = mode
        self.records = records
        self.retention_days = retention_days
        self.lost = 0
        self._lock = threading.Lock()
        self._queue: queue.Queue[Asking] | None = None
        self._pid: int | None = None
        self._secret: bytes | None = None
        self._secret_failed_at = float("-inf")
        self._purged_at: datetime | None = None

    @property
    def enabled(self) -> bool:
        return self.mode != "off" and self.records is not None

    def wants(self, found: bool) -> bool:
        return self.enabled and (self.mode == "all" or not found)

    def answer_given(self, question: str, found: bool, confidence: float, corpus_version: str,
                     quotes: list[tuple[str, str]]) -> str | None:
        """Queue the answer for recording when the mode wants it; its answer id, or None when recording is off
        (or the records cannot be reached to sign it)."""
        if not self.enabled:
            return None
        text = normalised(question)
        if self.wants(found):
            self._enqueue(Asking(text, found, confidence, corpus_version, tuple(dict.fromkeys(d for d, _ in quotes)),
                                 datetime.now(UTC)))
        secret = self._signing_key()
        if secret is None:
            return None
        payload = json.dumps({"k": secrets.token_hex(12), "q": text, "f": found, "c": round(confidence, 3),
                              "v": corpus_version, "t": quotes}, separators=(",", ":")).encode("utf-8")
        body = base64.urlsafe_b64encode(zlib.compress(payload)).rstrip(b"=")
        return (body + b"." + _signature(secret, body)).decode("ascii")

    def read_answer_id(self, answer_id: str) -> AnsweredQuestion:
        """What the answer id says; InvalidAnswerId when it is not one this service signed."""
        secret = self._signing_key()
        body, _, signature = answer_id.encode("ascii", "replace").partition(b".")
        if secret is None or not hmac.compare_digest(signature, _signature(secret, body)):
            raise InvalidAnswerId("not an answer id of this service")
        try:
            fields = json.loads(zlib.decompress(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))))
            return AnsweredQuestion(fields["k"], fields["q"], fields["f"], fields["c"], fields["v"],
                                    tuple((document, text) for document, text in fields["t"]))
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            raise InvalidAnswerId("not an answer id of this service") from exc

    def flush(self) -> None:
        """Wait until every queued answer is recorded (or lost)."""
        with self._lock:
            pending = self._queue if self._pid == os.getpid() else None
        if pending is not None:
            pending.join()

    def _signing_key(self) -> bytes | None:
        if self._secret is None and time.monotonic() - self._secret_failed_at >= SECRET_RETRY_SECONDS:
            try:
                self._secret = self.records.secret()
            except Exception as exc:  # any failure of the records store: the answer goes out without an id
                self._secret_failed_at = time.monotonic()
                self.report_failure(exc, "no answer id")
        return self._secret

    def _enqueue(self, asking: Asking) -> None:
        with self._lock:
            # A thread does not survive a fork (gunicorn --preload): each process starts its own on first use.
            if self._pid != os.getpid():
                self._pid, self._queue = os.getpid(), queue.Queue(QUEUE_LIMIT)
                threading.Thread(target=self._write_queued, args=(self._queue,), name="question-recorder",
                                 daemon=True).start()
            pending = self._queue
        try:
            pending.put_nowait(asking)
        except queue.Full:
            self.report_failure("the queue of answers to record is full", "1 question not recorded")

    def _write_queued(self, pending: queue.Queue[Asking]) -> None:
        while True:
            asking = pending.get()
            try:
                self.records.record(asking)
                if self._purged_at is None or asking.at - self._purged_at >= PURGE_EVERY:
                    self.records.purge(asking.at - timedelta(days=self.retention_days))
                    self._purged_at = asking.at
            except Exception as exc:  # whatever the records store raises, the recorder keeps going
                self.report_failure(exc, "1 question not recorded")
            finally:
                pending.task_done()

    def report_failure(self, cause: object, what: str) -> None:
        """Count a record lost (or a read that failed) and say so in the log."""
        with self._lock:
            self.lost += 1
            lost = self.lost
        log.warning("question recording failed (%s; %d lost since start): %s", what, lost, cause)


def _signature(secret: bytes, body: bytes) -> bytes:
    digest = hmac.new(secret, body, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest)
