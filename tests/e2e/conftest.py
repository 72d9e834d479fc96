"""End-to-end fixtures: the real service under gunicorn (the Procfile's command) and a headless Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from e2e.reading import LONG_DOCUMENT_PARAGRAPHS
from e2e.services import SERVER_LOGS, errors_logged, free_port, procfile_command
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DESKTOP = {"width": 1100, "height": 800}
STARTUP_SECONDS = 180  # a first start embeds its corpus (the e2e one: over 6,000 sentences) before it answers
STOP_SECONDS = 15

# A document whose sentences carry markup: the page must show it as text and never run it.
MARKUP_DOCUMENT = """Notes on <script>alert(1)</script> markup

A page that quotes this document must print the tag <script>alert(1)</script> as plain text. \
The image tag <img src=x onerror=alert(1)> must also appear exactly as written, because quoted sentences are \
never treated as markup.
"""


def long_document() -> str:
    """A lighthouse log of 3,000 entries (about 400 KB): the document page must open at a quote near its end."""
    entries = [f"Entry {n}. The keeper wound the clockwork of lamp {n % 7} at dusk and wrote reading {n * 37 % 1000} "
               f"of the barometer in the log." for n in range(1, LONG_DOCUMENT_PARAGRAPHS + 1)]
    return "Lighthouse log\n\n" + "\n\n".join(entries) + "\n"


def executables_dir() -> Path:
    """The folder holding gunicorn: the project's .venv/bin, else the running interpreter's own bin folder."""
    for folder in (ROOT / ".venv" / "bin", Path(sys.executable).parent):
        if (folder / "gunicorn").exists():
            return folder
    raise AssertionError(f"gunicorn is not installed in {ROOT / '.venv' / 'bin'} nor beside {sys.executable}: "
                         "run scripts/test.sh, which installs requirements.txt")


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited with status {process.returncode}; its log:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"the service did not answer /healthz within {STARTUP_SECONDS} s; its log:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """The servers' side of tests/conftest.py's guard: a test during which any server the tests started logs a
    traceback or a 500 fails, whatever it asserts itself."""
    before = {log: log_size(log) for log in SERVER_LOGS}
    outcome = yield
    if item.get_closest_marker("unhandled_error_expected") is None:
        for log in filter(Path.exists, SERVER_LOGS):
            with log.open("rb") as reading:
                reading.seek(before.get(log, 0))
                logged = errors_logged(reading.read().decode("utf-8", "replace"))
            if logged:
                pytest.fail(f"{log} logged an error during the test:\n" + "\n".join(logged[:5]), pytrace=False)
    return outcome


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where screenshots and the server log go (gitignored)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def e2e_corpus(tmp_path_factory) -> Path:
    """A copy of the project's corpus/ plus the markup document and the long document."""
    folder = tmp_path_factory.mktemp("e2e") / "corpus"
    shutil.copytree(ROOT / "corpus", folder)
    (folder / "markup-notes.txt").write_text(MARKUP_DOCUMENT, encoding="utf-8")
    (folder / "lighthouse-log.txt").write_text(long_document(), encoding="utf-8")
    return folder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the project's corpus/ for one test to change or break."""
    folder = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", folder)
    return folder


@pytest.fixture(scope="session")
def server(e2e_corpus: Path, output_dir: Path):
    """The base URL of the service, started with the Procfile's command on a free loopback port."""
    port = free_port()
    # The Procfile binds every interface for a platform's router; the tests keep all traffic on loopback.
    command = procfile_command()
    # Settings of the calling shell (a database store, say) must not replace the temporary corpus folder.
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("QA_")}
    # The seed article's notice, as scripts/serve.sh sets it: the page is tested with the note beside the box.
    env = {**inherited, "PORT": str(port), "QA_CORPUS": str(e2e_corpus),
           "QA_NOTICE": "Answers are quotations from the source, not medical advice.",
           "PATH": f"{executables_dir()}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = output_dir / "server.log"
    SERVER_LOGS.append(log)
    with log.open("w") as log_file:
        process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: install Debian's 'chromium' package "
                    "(scripts/test.sh does it when run as root)", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageWatch:
    """What a page did that it never should: open a dialog, throw, or ask a host other than the service."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def open_page(browser: Browser, server: str, watch: PageWatch):
    """Open a fresh tab (its own context) at a path; dialogs are dismissed and recorded, other hosts refused.

    Keyword arguments go to Browser.new_context (a viewport, permissions); every tab is checked and closed after
    the test.
    """
    contexts = []

    def only_the_service(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            watch.foreign_requests.append(route.request.url)
            route.abort()

    def opened(path: str = "/", **context_options) -> Page:
        context = browser.new_context(base_url=server, **{"viewport": DESKTOP, **context_options})
        contexts.append(context)
        context.route("**/*", only_the_service)
        tab = context.new_page()
        tab.on("dialog", lambda dialog: (watch.dialogs.append(dialog.message), dialog.dismiss()))
        tab.on("pageerror", lambda error: watch.errors.append(str(error)))
        tab.on("console", lambda message: record_console_error(watch, message))
        tab.goto(path)
        return tab

    yield opened
    for context in contexts:
        context.close()
    assert watch == PageWatch(), f"the page misbehaved: {watch}"


@pytest.fixture
def page(open_page) -> Page:
    """A fresh desktop-sized tab on the chat page."""
    return open_page("/")


def record_console_error(watch: PageWatch, message) -> None:
    # A reply with an error status is logged by Chromium as a failed load; the tests check how the page shows it.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        watch.errors.append(message.text)
