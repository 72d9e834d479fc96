"""Build once per deployment: two gunicorn servers on one PostgreSQL database, the second loading the first's index.

Each server has a cache folder of its own, as two hosts would. The first builds the index (analysing and embedding
every sentence) and publishes it in the database; the second must load it (its documents and their sentence
embeddings) instead of building, and answer exactly as the first does.
"""

from __future__ import annotations

import json
import urllib.request

import psycopg
import pytest
from e2e.services import Service, seed_folder, start_service
from postgres.server import running_server

pytestmark = pytest.mark.e2e

QUESTIONS = ["What is Keppra?", "What are the side effects of levetiracetam?", "Can Keppra prevent migraines?",
             "How is Keppra taken?", "Does it cause mood changes?", "What is the capital of France?"]


def get(service: Service, path: str) -> dict:
    with urllib.request.urlopen(f"{service.url}{path}", timeout=30) as response:
        return json.load(response)


def ask(service: Service, question: str) -> dict:
    request = urllib.request.Request(f"{service.url}/api/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        reply = json.load(response)
    return {"found": reply["found"], "confidence": reply["confidence"],
            "quotes": [(q["document"], q["text"]) for q in reply["quotes"]]}


def test_a_second_server_on_the_database_loads_the_first_servers_index_and_answers_the_same(tmp_path):
    corpus = seed_folder(tmp_path / "corpus")
    with running_server() as postgres:
        database = postgres.create_database()
        services = []
        try:
            for name in ("a", "b"):
                services.append(start_service(corpus, tmp_path / f"server-{name}.log",
                                              {"DATABASE_URL": database, "QA_CACHE_DIR": str(tmp_path / name)}))
            first, second = services
            first_status, second_status = get(first, "/api/corpus"), get(second, "/api/corpus")
            first_answers = [ask(first, q) for q in QUESTIONS]
            second_answers = [ask(second, q) for q in QUESTIONS]
        finally:
            for service in services:
                service.stop()
        with psycopg.connect(database) as connection:
            published = connection.execute("SELECT header->>'published_by' FROM qa_index_snapshots").fetchall()

    assert first_status["index_origin"] == "built"
    assert second_status["index_origin"] == "loaded"
    assert second_status["index_published_by"].endswith(f"(pid {first.master_pid})")
    assert published == [(second_status["index_published_by"],)]  # the second server published nothing
    # The second server answers by meaning without having embedded a sentence: the vectors came with the index.
    assert second_status["answering_by"] == "reading"
    assert list((tmp_path / "a").rglob("*.npy")) and not list((tmp_path / "b").rglob("*.npy"))
    assert "embedded" not in second.log.read_text() and "embedded" in first.log.read_text()
    assert {k: v for k, v in second_status.items() if not k.startswith(("index_", "built_in"))} == \
        {k: v for k, v in first_status.items() if not k.startswith(("index_", "built_in"))}
    assert second_answers == first_answers
    assert any(answer["found"] for answer in first_answers)
