"""Processes the hardening tests start on loopback: the service under gunicorn with chosen settings, and Redis."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 180  # a first start embeds its corpus (the e2e one: over 6,000 sentences) before it answers
STOP_SECONDS = 20
# Every log a server started by the tests writes to; conftest's guard reads what each test added to them.
SERVER_LOGS: list[Path] = []
# What a server logs for a request that ended in a 500 (qa_service.errors, or gunicorn's own handler).
ERROR_MARKS = ("Traceback (most recent call last)", "unhandled error", "Error handling request")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_command() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            # The Procfile binds every interface for a platform's router; the tests keep all traffic on loopback.
            return line.removeprefix("web:").strip().replace("0.0.0.0", "127.0.0.1")
    raise AssertionError("the Procfile has no 'web:' line")


def procfile_workers() -> int:
    """How many workers the Procfile's command starts (gunicorn's default of 1 when it does not say)."""
    match = re.search(r"(?:--workers|-w)[ =](\d+)", procfile_command())
    return int(match.group(1)) if match else 1


def bin_dir() -> Path:
    for folder in (ROOT / ".venv" / "bin", Path(sys.executable).parent):
        if (folder / "gunicorn").exists():
            return folder
    raise AssertionError("gunicorn is not installed: run scripts/test.sh, which installs requirements.txt")


def errors_logged(text: str) -> list[str]:
    """The lines of a server's log that tell of a request ending in a 500, or of any traceback."""
    return [line for line in text.splitlines() if any(mark in line for mark in ERROR_MARKS)]


def wait_for(check, what: str, process: subprocess.Popen, log: Path, seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with status {process.returncode}; its log:\n{log.read_text()}")
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} was not ready within {seconds} s; its log:\n{log.read_text()}")


@dataclass
class Service:
    """The service as the Procfile runs it, with its own settings, log file and loopback port."""

    url: str
    process: subprocess.Popen
    log: Path

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The master's live children; a killed worker not yet reaped (a zombie) is not one."""
        workers = []
        for entry in Path("/proc").iterdir():
            try:
                state_and_parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, IndexError):
                continue
            if state_and_parent[1] == str(self.master_pid) and state_and_parent[0] != "Z":
                workers.append(int(entry.name))
        return sorted(workers)

    def request_lines(self) -> list[dict]:
        """The JSON request log lines written so far."""
        lines = []
        for line in self.log.read_text(errors="replace").splitlines():
            _, marker, payload = line.partition("qa_service.requests: ")
            if marker:
                lines.append(json.loads(payload))
        return lines

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def seed_folder(folder: Path) -> Path:
    """A new corpus folder holding the seed article alone: what a test adds its own documents beside."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "keppra-article.txt", folder)
    return folder


def start_service(corpus: Path, log: Path, settings: dict[str, str] | None = None, extra_args: str = "") -> Service:
    """Start the Procfile's gunicorn command on a free loopback port and wait until it answers /healthz."""
    port = free_port()
    SERVER_LOGS.append(log)
    # The calling shell's settings (a database store, say) must not replace the ones the test chose.
    inherited = {name: value for name, value in os.environ.items()
                 if not name.startswith("QA_") and name != "DATABASE_URL"}
    env = {**inherited, "PORT": str(port), "QA_CORPUS": str(corpus), **(settings or {}),
           "PATH": f"{bin_dir()}{os.pathsep}{os.environ.get('PATH', '')}"}
    with log.open("w") as log_file:
        process = subprocess.Popen(["bash", "-c", f"exec {procfile_command()} {extra_args}"], cwd=ROOT, env=env,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    service = Service(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_for(service.healthy, "the service", process, log)
        # One worker answers /healthz while another may still be starting: tests count on all of them.
        wait_for(lambda: len(service.worker_pids()) == procfile_workers(), "every worker", process, log)
    except AssertionError:
        service.stop()
        raise
    return service


@dataclass
class Redis:
    """A throwaway redis-server on loopback that keeps nothing on disk."""

    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(STOP_SECONDS)


def start_redis(log: Path) -> Redis:
    server = shutil.which("redis-server")
    if server is None:
        raise AssertionError("redis-server is missing: install Debian's 'redis-server' package "
                             "(scripts/test.sh does it when run as root)")
    port = free_port()
    with log.open("w") as log_file:
        process = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                    "--appendonly", "no"], stdout=log_file, stderr=subprocess.STDOUT)

    def answers_ping() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    wait_for(answers_ping, "redis-server", process, log, seconds=20)
    return Redis(f"redis://127.0.0.1:{port}/0", process)
