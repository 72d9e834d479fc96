"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, listening only on 127.0.0.1."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

STARTUP_SECONDS = 30
STOP_SECONDS = 15
INSTALL_HINT = ("install Debian's 'postgresql' package (apt-get install -y postgresql; scripts/test.sh does it "
                "when run as root)")


class PostgresMissing(RuntimeError):
    """The PostgreSQL server programs are not installed; the message says how to install them."""


def server_binaries() -> Path:
    """The folder holding initdb and postgres: Debian's /usr/lib/postgresql/<newest>/bin, else the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb and shutil.which("postgres"):
        return Path(initdb).parent
    raise PostgresMissing(f"the PostgreSQL server (initdb, postgres) is not installed: {INSTALL_HINT}")


def postgres_installed() -> bool:
    try:
        server_binaries()
    except PostgresMissing:
        return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One postgres process on a free loopback port, owned by a non-root user (PostgreSQL refuses to run as root)."""

    def __init__(self):
        self.binaries = server_binaries()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="qa-postgres-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self.process: subprocess.Popen | None = None
        self._databases = 0

    def _as_owner(self, *command: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *command] if os.geteuid() == 0 else list(command)

    def start(self) -> None:
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(self.user)
            except KeyError:
                raise PostgresMissing(f"there is no 'postgres' system user to run the server as: "
                                      f"{INSTALL_HINT}") from None
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        initdb = subprocess.run(
            self._as_owner(str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                           "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"),
            capture_output=True, text=True, timeout=120)
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed with status {initdb.returncode}:\n{initdb.stdout}{initdb.stderr}")
        # fsync off: the tests test the service's durability, not the server's, and run faster without it.
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self._as_owner(str(self.binaries / "postgres"), "-D", str(self.data), "-k", str(self.folder),
                               "-h", "127.0.0.1", "-p", str(self.port), "-c", "fsync=off",
                               "-c", "max_connections=200"),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with status {self.process.returncode}:\n"
                                   f"{self.log.read_text(errors='replace')}")
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise RuntimeError(f"postgres did not accept connections on port {self.port} within {STARTUP_SECONDS} s")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        self._databases += 1
        name = f"qa_test_{self._databases}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A started server, stopped on leaving; pytest.fail (never a skip) when PostgreSQL is not installed."""
    server = None
    try:
        server = PostgresServer()
        server.start()
        yield server
    except PostgresMissing as error:
        pytest.fail(f"PostgreSQL tests cannot run: {error}", pytrace=False)
    finally:
        if server is not None:
            server.stop()
