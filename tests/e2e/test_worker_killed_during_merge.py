"""A gunicorn worker killed (SIGKILL) in the middle of a background merge: the other worker goes on answering from
every acknowledged write, and the worker that replaces it starts on a corpus that is whole and the same."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from e2e.services import seed_folder, start_service
from e2e.test_concurrent_updates import TOKEN, put, request

from qa_service import create_app
from qa_service.segments import MERGE_FACTOR

pytestmark = pytest.mark.e2e

SETTINGS_FILE = Path(__file__).with_name("announced_merges.gunicorn.conf.py")
QUESTION = {"question": "Which gauge reads level 7?"}


def gauge_text(n: int) -> str:
    return f"Gauge {n}\n\nGauge {n} reads level {n} at dawn. The engineers of gauge {n} log it every morning."


def wait_for(condition, what: str, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)
    return found


def test_a_worker_killed_during_a_merge_is_replaced_and_every_worker_answers_from_the_last_write(tmp_path):
    folder = seed_folder(tmp_path / "corpus")
    announcements = tmp_path / "merges"
    announcements.mkdir()
    service = start_service(folder, tmp_path / "server.log",
                            {"QA_ADMIN_TOKEN": TOKEN, "QA_SEMANTIC": "off", "QA_RATE_LIMIT_ASK": "off",
                             "QA_RATE_LIMIT_WRITE": "off", "QA_CACHE_DIR": str(tmp_path / "service-cache"),
                             "MERGE_ANNOUNCEMENTS": str(announcements)},
                            extra_args=f"--config {SETTINGS_FILE}")
    try:
        # Each worker indexes the writes it sees at once in one segment; a merge comes once one worker holds
        # MERGE_FACTOR segments of the smallest tier.
        for n in range(4 * MERGE_FACTOR):
            assert put(service.url, f"gauge-{n}", gauge_text(n)).status == 201
            if any(announcements.iterdir()):
                break
        merging = wait_for(lambda: sorted(announcements.iterdir()), "a merge")
        killed = int(merging[0].name)
        os.kill(killed, signal.SIGKILL)
        last = put(service.url, "gauge-late", gauge_text(99))
        wait_for(lambda: len(workers := service.worker_pids()) == 2 and killed not in workers,
                 "the killed worker's replacement")

        answered_by: dict[int, list[dict]] = {}
        for _ in range(200):
            reply = request(service.url, "POST", "/api/ask", QUESTION)
            assert reply.status == 200, reply.body
            answered_by.setdefault(service.request_lines()[-1]["pid"], []).append(reply.body)
            if len(answered_by) == 2:
                break
    finally:
        service.stop()

    fresh = create_app({"QA_CORPUS": str(folder), "QA_SEMANTIC": "off", "QA_CACHE_DIR": str(tmp_path / "cache")})
    expected = fresh.test_client().post("/api/ask", json=QUESTION).get_json()
    assert last.status == 201
    assert len(answered_by) == 2 and killed not in answered_by  # the surviving worker and the replacement
    for bodies in answered_by.values():
        for body in bodies:
            assert body["corpus_version"] == last.body["corpus_version"] == expected["corpus_version"]
            assert (body["quotes"], body["confidence"]) == (expected["quotes"], expected["confidence"])
