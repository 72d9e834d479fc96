"""Fixtures: one PostgreSQL server for the session (started here, on loopback) and a fresh database per test."""

from __future__ import annotations

import pytest

from .server import PostgresServer, running_server


@pytest.fixture(scope="session")
def postgres_server():
    with running_server() as server:
        yield server


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database on the session's server."""
    return postgres_server.create_database()
