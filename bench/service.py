"""The service under test: started with the Procfile's command, timed until /healthz answers, measured, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 1800  # a cold start embeds every sentence: about 10 minutes at 100,000 passages


def procfile_command() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise RuntimeError("the Procfile has no web: line")


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise KeyError("Pss")


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time the process and its children that have ended (the processes that analysed
    documents for it) have used so far; running children (gunicorn's workers) are not counted."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class Service:
    """One run of the Procfile's web command on a corpus folder; use as a context manager."""

    def __init__(self, corpus: Path, port: int, log_path: Path, extra_env: dict[str, str] | None = None):
        self.corpus = corpus
        self.port = port
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.ready_seconds = 0.0

    def __enter__(self) -> Service:
        env = {**os.environ, "PORT": str(self.port), "QA_CORPUS": str(self.corpus), **self.extra_env,
               "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"}
        with self.log_path.open("ab") as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(["bash", "-c", f"exec {procfile_command()}"], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        while not _healthy(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited with {self.process.returncode}; see {self.log_path}")
            if time.perf_counter() - started > READY_TIMEOUT_SECONDS:
                self.__exit__(None, None, None)
                raise RuntimeError(f"the service was not ready within {READY_TIMEOUT_SECONDS} s")
            time.sleep(0.02)
        self.ready_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def workers(self) -> list[int]:
        return _children(self.process.pid)

    def worker_peak_rss_mib(self) -> float:
        """The largest peak resident set (VmHWM) among the workers, shared pages included."""
        return max(_status_kib(pid, "VmHWM") for pid in self.workers()) / 1024

    def pss_mib(self) -> dict[str, float]:
        """Each process's proportional set size now (a page shared by n processes counts 1/n in each), which
        adds up to what the service really holds in memory."""
        pids = [("master", self.process.pid)] + [(f"worker {n}", pid) for n, pid in enumerate(self.workers(), 1)]
        return {name: round(_pss_kib(pid) / 1024, 1) for name, pid in pids}

    def master_peak_rss_mib(self) -> float:
        return _status_kib(self.process.pid, "VmHWM") / 1024

    def ask(self, body: bytes) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/ask", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
