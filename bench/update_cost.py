"""Cost of an update: time from a PUT to answers that reflect it, through a real gunicorn on loopback.

For each corpus size, fills a temporary folder with copies of the shared evaluation articles (the copy number is
part of the id: `<name>--r0003`), starts the service as the Procfile does (two workers), replaces one document
several times and measures, for each replacement: the PUT's round trip (the writing worker rebuilds before it
answers), and the time from sending the PUT until a burst of concurrent questions (sent on new connections, so
both workers answer some) all carry the new corpus version.

    .venv/bin/python bench/update_cost.py [--sizes 10,1000] [--updates 5] [--semantic off]

With --semantic off the service runs with QA_SEMANTIC=off: the answers after a PUT come from words alone either way
(a changed corpus is embedded in the background), but start-up then skips embedding every sentence, which at
10,000 documents (about a million sentences) would take hours on 2 cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT.parent / "shared" / "eval" / "corpora" / name for name in ("squad", "covidqa")]
QUESTION = "What was the oil crisis of 1973?"
BURST = 4
STARTUP_SECONDS = 1800


def fill_corpus(folder: Path, size: int) -> list[str]:
    """`size` documents: the source articles in turn, each round's copies marked `--rNNNN` in their ids."""
    sources = sorted(path for source in SOURCES for path in source.glob("*.txt"))
    if not sources:
        raise SystemExit(f"no articles found in {', '.join(map(str, SOURCES))}")
    ids = []
    for n in range(size):
        source = sources[n % len(sources)]
        doc_id = f"{source.stem}--r{n // len(sources):04d}"
        (folder / f"{doc_id}.txt").write_bytes(source.read_bytes())
        ids.append(doc_id)
    return ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
         ) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=STARTUP_SECONDS)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else {}
    finally:
        connection.close()


def ask(port: int) -> dict:
    status, body = call(port, "POST", "/api/ask", json.dumps({"question": QUESTION}).encode(),
                        {"Content-Type": "application/json"})
    if status != 200:
        raise RuntimeError(f"/api/ask answered {status}: {body}")
    return body


def ask_into(port: int, versions: list[str]) -> None:
    versions.append(ask(port)["corpus_version"])


def start_service(folder: Path, token: str, log: Path, semantic: str) -> tuple[subprocess.Popen, int, float]:
    port = free_port()
    command = next(line.removeprefix("web:").strip() for line in (ROOT / "Procfile").read_text().splitlines()
                   if line.startswith("web:")).replace("0.0.0.0", "127.0.0.1")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("QA_") and k != "DATABASE_URL"},
           "PORT": str(port), "QA_CORPUS": str(folder), "QA_ADMIN_TOKEN": token,
           "QA_RATE_LIMIT_WRITE": "off", "QA_RATE_LIMIT_ASK": "off", "QA_SEMANTIC": semantic,
           "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = time.perf_counter()
    with log.open("w") as log_file:
        process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service exited; its log:\n{log.read_text()}")
        try:
            if call(port, "GET", "/healthz")[0] == 200:
                return process, port, time.perf_counter() - started
        except OSError:
            time.sleep(0.5)
    stop(process)
    raise SystemExit(f"the service did not start within {STARTUP_SECONDS} s")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def time_updates(port: int, token: str, target: str, original: bytes, updates: int) -> tuple[list[float], list[float]]:
    """Replace the text document `target` `updates` times; for each, the PUT's round trip and the time from
    sending it until a burst of questions on new connections all carry the new corpus version, in seconds."""
    puts, reflected = [], []
    for n in range(updates):
        body = original + f"\n\nRevision {n} of this document was saved by the update benchmark.".encode()
        sent = time.perf_counter()
        status, written = call(port, "PUT", f"/api/documents/{target}", body,
                               {"Content-Type": "text/plain", "Authorization": f"Bearer {token}"})
        puts.append(time.perf_counter() - sent)
        if status != 200:
            raise RuntimeError(f"PUT answered {status}: {written}")
        versions: list[str] = []
        burst = [threading.Thread(target=ask_into, args=(port, versions)) for _ in range(BURST)]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join()
        reflected.append(time.perf_counter() - sent)
        if versions != [written["corpus_version"]] * BURST:
            raise RuntimeError(f"answers after the PUT came from {versions}, not {written['corpus_version']}")
    return puts, reflected


def measure(size: int, updates: int, semantic: str) -> dict:
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="qa-update-cost-") as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        ids = fill_corpus(folder, size)
        process, port, startup = start_service(folder, token, Path(tmp) / "server.log", semantic)
        try:
            for _ in range(2 * BURST):
                ask(port)
            target = ids[len(ids) // 2]
            puts, reflected = time_updates(port, token, target, (folder / f"{target}.txt").read_bytes(), updates)
            status, corpus = call(port, "GET", "/api/corpus")
        finally:
            stop(process)
    return {"size": size, "passages": corpus["passages"], "startup": startup, "puts": puts, "reflected": reflected,
            "rebuild": corpus["built_in_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,1000", help="corpus sizes in documents, comma-separated")
    parser.add_argument("--updates", type=int, default=5, help="replacements measured per size")
    parser.add_argument("--semantic", choices=["on", "off"], default="on", help="the service's QA_SEMANTIC")
    args = parser.parse_args()
    print(f"{'documents':>9} {'passages':>9} {'startup s':>9} {'rebuild s':>9} {'PUT ms (median/max)':>20} "
          f"{'PUT→all answers new ms (median/max)':>36}")
    for size in (int(s) for s in args.sizes.split(",")):
        result = measure(size, args.updates, args.semantic)
        puts, reflected = [1000 * t for t in result["puts"]], [1000 * t for t in result["reflected"]]
        print(f"{result['size']:>9} {result['passages']:>9} {result['startup']:>9.1f} {result['rebuild']:>9.2f} "
              f"{statistics.median(puts):>11.0f} / {max(puts):>6.0f} "
              f"{statistics.median(reflected):>27.0f} / {max(reflected):>6.0f}", flush=True)
    print(f"(2 gunicorn workers, {BURST} concurrent questions after each PUT, QA_SEMANTIC={args.semantic}; "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
