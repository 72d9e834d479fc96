"""Fixtures: an app on a temporary corpus folder, as flaskr's tests build one on a temporary database; and one
PostgreSQL server for the session (started on loopback when a test first needs it) with a fresh database per test.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from postgres.server import PostgresServer, running_server

from qa_service import create_app
from qa_service.meaning import load_encoder
from qa_service.reading import load_reader

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "keppra-article.txt"


@pytest.fixture(autouse=True, scope="session")
def cache_outside_the_checkout(tmp_path_factory):
    """Apps built by the tests keep their saved indexes in a temporary folder, not the checkout's instance folder
    (QA_CACHE_DIR's default), and publish them again in the background only when a test asks for it
    (QA_PUBLISH_AFTER_SECONDS), so that no publishing process outlives its test; a test that sets either itself
    still wins."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_CACHE_DIR", str(tmp_path_factory.mktemp("qa-cache")))
        patch.setenv("QA_PUBLISH_AFTER_SECONDS", "0")
        yield


class UnhandledErrors(logging.Handler):
    """Keeps what qa_service.errors logs: it logs "unhandled error" for every request that ended in a 500."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Any test whose requests end in a 500 fails, whatever it asserts itself, so a 500 never passes silently.
    A test that makes one on purpose says so with @pytest.mark.unhandled_error_expected."""
    caught = UnhandledErrors()
    logger = logging.getLogger("qa_service.errors")
    logger.addHandler(caught)
    try:
        outcome = yield
    finally:
        logger.removeHandler(caught)
    if caught.records and item.get_closest_marker("unhandled_error_expected") is None:
        first = caught.records[0]
        detail = logging.Formatter().formatException(first.exc_info) if first.exc_info else first.getMessage()
        pytest.fail(f"{len(caught.records)} request(s) ended in an unhandled error (a 500); the first:\n{detail}",
                    pytrace=False)
    return outcome


@pytest.fixture(scope="session")
def encoder():
    """The shipped sentence-embedding model, loaded once."""
    return load_encoder(1)


@pytest.fixture(scope="session")
def reader():
    """The shipped cross-encoder, loaded once."""
    return load_reader(1)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A corpus folder holding a copy of the seed article."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def app(corpus_dir: Path):
    return create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ask(client):
    """POST a question to /api/ask and return the JSON reply (asserting a 200)."""

    def _ask(question: str, **extra):
        response = client.post("/api/ask", json={"question": question, **extra})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return _ask


@pytest.fixture(scope="session")
def postgres_server():
    with running_server() as server:
        yield server


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database on the session's server."""
    return postgres_server.create_database()
