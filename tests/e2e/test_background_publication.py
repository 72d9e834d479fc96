"""Publishing again after writes, through the Procfile's gunicorn: a worker that took enough writes starts a child
that publishes the index, so that the next start loads it instead of analysing the writes again."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from e2e.services import Service, seed_folder, start_service, wait_for

pytestmark = pytest.mark.e2e

TOKEN = "background-publication-token"
CHILD = re.compile(r"publishing the index in the background \(process (\d+)\)")


def put(service: Service, doc_id: str, text: str) -> int:
    request = urllib.request.Request(f"{service.url}/api/documents/{doc_id}", data=text.encode(), method="PUT",
                                     headers={"Content-Type": "text/plain", "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def corpus_status(service: Service) -> dict:
    with urllib.request.urlopen(f"{service.url}/api/corpus", timeout=30) as response:
        return json.load(response)


def test_a_worker_publishes_after_writes_and_the_next_start_loads_what_it_published(tmp_path):
    corpus = seed_folder(tmp_path / "corpus")
    settings = {"QA_CACHE_DIR": str(tmp_path / "cache"), "QA_SEMANTIC": "off", "QA_ADMIN_TOKEN": TOKEN,
                "QA_PUBLISH_AFTER_SECONDS": "0.000001", "QA_RATE_LIMIT_WRITE": "off"}
    serving = start_service(corpus, tmp_path / "serving.log", settings)
    try:
        assert put(serving, "lithium", "Lithium Notes\n\nLithium is a soft metal. It floats on oil.") == 201
        wait_for(lambda: "published the index in the background" in serving.log.read_text(errors="replace"),
                 "a publication in the background", serving.process, serving.log, seconds=120)
    finally:
        serving.stop()
    children = CHILD.findall(serving.log.read_text())

    restarted = start_service(corpus, tmp_path / "restarted.log", {**settings, "QA_PUBLISH_AFTER_SECONDS": "0"})
    try:
        status = corpus_status(restarted)
    finally:
        restarted.stop()

    assert children
    assert status["index_origin"] == "loaded"
    assert re.search(r"\(pid (\d+)\)$", status["index_published_by"]).group(1) in children
    assert status["documents"] == 2
