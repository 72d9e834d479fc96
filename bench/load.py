"""HTTP load with wrk on loopback: POST /api/ask at 1, 8 and 32 clients, with and without a writer replacing a
document every second, with the questions' vectors and readings remembered and not (QA_QUESTION_VECTORS=0 and
QA_QUESTION_READINGS=0: every question is embedded and read, as a question never asked before is), without the
cross-encoder's reading (QA_READING=off), and past capacity, where the service must shed with 429/503 rather
than time out.

    .venv/bin/python -m bench.load --seconds 10

Every phase, the overload ones included, starts the Procfile's gunicorn command as it is (its worker class,
qa_service.worker.SheddingWorker, sheds at the door with 503 past QA_QUEUE_LIMIT) on a copy of corpus/. It prints
a Markdown table and writes every figure, with the command, to bench/results/load-<time>.json. bench.bench uses
write_script() and run() for its own load figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from .questions import keppra_questions
from .service import ROOT, Service, procfile_command

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
RESULTS = ROOT / "bench" / "results"
ADMIN_TOKEN = "load-benchmark-admin-token-0123456789"
WRITER_DOCUMENT = "load-writer"
WRITER_TEXTS = (
    "Load notes\n\nThe writer replaces this document every second while readers ask questions.\n",
    "Load notes\n\nThe writer has replaced this document again, and readers keep asking questions.\n",
)

# Per thread, wrk counts replies by status in `statuses`; done() adds them up and prints the percentiles wrk's
# --latency table leaves out (p95), in microseconds, on one line that run() reads.
_SUMMARY = """
statuses = {}
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("LOAD_SUMMARY p50=%d p95=%d p99=%d", latency:percentile(50), latency:percentile(95),
                         latency:percentile(99)))
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format(" status_%d=%d", status, count))
    end
  end
  io.write("\\n")
end
"""


def write_script(path: Path, bodies: list[dict]) -> Path:
    """A wrk script cycling through the request bodies (JSON has no "]==]", so the long brackets are safe)."""
    items = ",\n".join(f"  [==[{json.dumps(body)}]==]" for body in bodies)
    path.write_text(
        "local bodies = {\n" + items + "\n}\n"
        "local i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[i])\n"
        "end\n" + _SUMMARY
    )
    return path


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def run(url: str, script: Path, clients: int, seconds: int, timeout: str = "5s") -> dict:
    """One wrk run: requests per second, latency percentiles, replies by status, and every kind of error."""
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    out = subprocess.run([wrk, "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", timeout,
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    latency = {pct: _ms(v, u) for pct, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    summary = re.search(r"^LOAD_SUMMARY (.*)$", out, re.M)
    fields = dict(item.split("=") for item in summary.group(1).split()) if summary else {}
    statuses: dict[str, int] = {}
    for name, count in fields.items():
        if name.startswith("status_"):
            statuses[name.removeprefix("status_")] = statuses.get(name.removeprefix("status_"), 0) + int(count)
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency["50"],
        "p95_ms": int(fields["p95"]) / 1000 if "p95" in fields else None,
        "p99_ms": latency["99"],
        "statuses": statuses,
        "timeouts": int(socket_errors.group(4)) if socket_errors else 0,
        # Anything but an answer or a deliberate shed (429 rate limited, 503 overloaded) is a failure.
        "failures": (sum(map(int, socket_errors.groups())) if socket_errors else 0)
                    + sum(count for status, count in statuses.items() if status not in {"200", "429", "503"}),
        "errors": (sum(map(int, socket_errors.groups())) if socket_errors else 0)
                  + (int(non_2xx.group(1)) if non_2xx else 0),
        "wrk_output": out,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Writer(threading.Thread):
    """Replaces one document every second over the write API, recording each reply's status and duration."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = f"{url}/api/documents/{WRITER_DOCUMENT}"
        self.stopping = threading.Event()
        self.replies: list[tuple[int, float]] = []

    def put(self, text: str) -> tuple[int, float]:
        request = urllib.request.Request(self.url, data=text.encode(), method="PUT", headers={
            "Content-Type": "text/plain", "Authorization": f"Bearer {ADMIN_TOKEN}"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0
        return status, (time.perf_counter() - started) * 1000

    def run(self) -> None:
        turn = 0
        while not self.stopping.wait(1.0):
            self.replies.append(self.put(WRITER_TEXTS[turn % 2]))
            turn += 1

    def stop(self) -> dict:
        self.stopping.set()
        self.join()
        durations = sorted(ms for _, ms in self.replies)
        return {"writes": len(self.replies), "failed": sum(1 for s, _ in self.replies if s not in (200, 201)),
                "p50_ms": durations[len(durations) // 2] if durations else None,
                "max_ms": durations[-1] if durations else None}


def measure(corpus: Path, work: Path, name: str, settings: dict[str, str], clients: list[int], seconds: int,
            script: Path, timeout: str = "5s", writer: bool = False) -> list[dict]:
    rows = []
    env = {"QA_ADMIN_TOKEN": ADMIN_TOKEN, "QA_RELOAD_SECONDS": "1", **settings}
    with Service(corpus, free_port(), work / f"{name}.log", env) as service:
        url = f"http://127.0.0.1:{service.port}"
        for count in clients:
            running = Writer(url) if writer else None
            if running:
                running.start()
            row = run(f"{url}/api/ask", script, count, seconds, timeout)
            row.update(phase=name, settings=settings, writer=running.stop() if running else None)
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| phase | clients | requests/s | p50 ms | p95 ms | p99 ms | replies by status | timeouts | "
             "failures | writes (failed) |", "|---|---:|---:|---:|---:|---:|---|---:|---:|---|"]
    for row in rows:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(row["statuses"].items()))
        writes = f"{row['writer']['writes']} ({row['writer']['failed']})" if row["writer"] else ""
        lines.append(f"| {row['phase']} | {row['clients']} | {row['requests_per_second']:.0f} | {row['p50_ms']:.1f} "
                     f"| {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {statuses} | {row['timeouts']} | "
                     f"{row['failures']} | {writes} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients of the steady runs")
    parser.add_argument("--overload-clients", type=int, default=2048,
                        help="concurrent clients of the overload runs (default 2048)")
    parser.add_argument("--overload-timeout", default="2s", help="how long an overload client waits (default 2s)")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qa-load-") as scratch:
        work = Path(scratch)
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        script = write_script(work / "ask.lua", [q.body() for q in keppra_questions(30)])
        rows = measure(corpus, work, "steady", {}, clients, args.seconds, script)
        # The same questions with nothing remembered (qa_service.question_vectors, qa_service.reading.
        # RememberedReadings): each asking embeds its question and reads its candidates, as a new question does.
        rows += measure(corpus, work, "steady, nothing remembered", {"QA_QUESTION_VECTORS": "0",
                                                                    "QA_QUESTION_READINGS": "0"},
                        clients, args.seconds, script)
        # Without the cross-encoder reading the best candidates (qa_service.reading): the cost of the default's reads.
        rows += measure(corpus, work, "steady, QA_READING=off", {"QA_READING": "off"}, clients, args.seconds, script)
        rows += measure(corpus, work, "steady + writer", {}, clients, args.seconds, script, writer=True)
        overload = [args.overload_clients]
        rows += measure(corpus, work, "overload, defaults", {}, overload, args.seconds, script,
                        args.overload_timeout)
        # Half the best steady throughput, so that the CPU left over answers the refused ones quickly (a refusal
        # costs about half an answer here); each worker counts for itself with the default storage.
        per_worker = max(1, int(0.5 * max(r["requests_per_second"] for r in rows[:len(clients)]) / 2))
        rows += measure(corpus, work, "overload, QA_RATE_LIMIT_ASK_TOTAL", {
            "QA_RATE_LIMIT_ASK_TOTAL": f"{per_worker}/second"}, overload, args.seconds, script, args.overload_timeout)
        rows += measure(corpus, work, "overload, one client rate-limited", {"QA_RATE_LIMIT_EXEMPT": "none"},
                        overload, args.seconds, script, args.overload_timeout)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    result = {"command": "python -m bench.load " + " ".join(f"--{k.replace('_', '-')} {v}"
                                                         for k, v in vars(args).items()),
              "service": procfile_command(), "cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(),
              "runs": rows}
    (RESULTS / f"load-{stamp}.json").write_text(json.dumps(result, indent=2))
    print(table(rows))
    print(f"\n{os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.2f}; "
          f"figures in bench/results/load-{stamp}.json")


if __name__ == "__main__":
    main()
