"""A corpus with more sentences to embed than QA_EMBED_BEFORE_SERVING allows is answered at once by words, and
embedded in the background by the gunicorn workers, which take turns: its sentences are embedded once, not once
per worker."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from e2e.services import Service, seed_folder, start_service

pytestmark = pytest.mark.e2e

EMBEDDED = re.compile(r"embedded (\d+) sentences of (\d+) documents")


def answering_by(service: Service) -> str:
    with urllib.request.urlopen(f"{service.url}/api/corpus", timeout=30) as response:
        return json.load(response)["answering_by"]


def test_workers_answer_by_words_at_once_then_by_meaning_and_embed_the_corpus_once(tmp_path):
    corpus = seed_folder(tmp_path / "corpus")
    service = start_service(corpus, tmp_path / "server.log",
                            {"QA_EMBED_BEFORE_SERVING": "0", "QA_CACHE_DIR": str(tmp_path / "cache")})
    try:
        assert answering_by(service) == "words"
        deadline = time.monotonic() + 120
        in_a_row = 0
        while in_a_row < 20:  # new connections, spread over both workers
            assert time.monotonic() < deadline, "the workers never answered by meaning"
            in_a_row = in_a_row + 1 if answering_by(service) == "reading" else 0
            time.sleep(0.05)
    finally:
        service.stop()
    embedded = [(int(s), int(d)) for s, d in EMBEDDED.findall(service.log.read_text())]
    assert embedded[0] == (0, 0), "the master embeds nothing before serving"
    computed = [sentences for sentences, _ in embedded[1:] if sentences]
    assert len(computed) == 1, f"the sentences were embedded more than once: {embedded}"
