"""The pages as a reader gets them: page weight and time from Enter to a shown answer, in headless Chromium.

    .venv/bin/python -m bench.page [--questions 40]

Starts the service with the Procfile's command on the seed corpus plus a long document (a 3,000-paragraph log, about
330 KB), loads the pages in Debian's Chromium (/usr/bin/chromium) at 1280×800, and prints a Markdown table:
bytes on the wire and unpacked for a first visit and a repeat visit of the chat page and of the document pages, the
time from the document's start to the quote marked on the document pages, and the time from the Enter key to the
reply shown (measured inside the page, to the next frame painted after the reply is in), as p50 and p95 over the
questions. Nothing here is asserted: it is for reading, and for comparing runs on the same machine.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from qa_service.web import SUGGESTED_QUESTIONS

from .service import ROOT, Service

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
QUESTIONS = [
    *SUGGESTED_QUESTIONS["keppra-article"],
    "What about rare ones?",
    "What is the generic name of Keppra?",
    "When is Keppra considered for migraines?",
    "What is the capital of France?",
    "kepra side efects",
    "What should patients considering Keppra do?",
]
# What one page load brought: every resource of the document, and the document itself.
WEIGHT = """() => {
    const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
    return { wire: entries.reduce((sum, e) => sum + e.transferSize, 0),
             unpacked: entries.reduce((sum, e) => sum + e.decodedBodySize, 0),
             files: entries.length };
}"""
# Type a question, press Enter the way the page listens for it, and wait for the reply and the next frame.
TIME_TO_ANSWER = """async (question) => {
    const box = document.getElementById("question");
    const replies = () => document.querySelectorAll(".reply-answer, .reply-declined, .reply-error").length;
    const before = replies();
    box.value = question;
    const started = performance.now();
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
    await new Promise((resolve) => {
        const watcher = new MutationObserver(() => {
            if (replies() > before) { watcher.disconnect(); resolve(); }
        });
        watcher.observe(document.getElementById("thread"), { childList: true, subtree: true });
    });
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    return performance.now() - started;
}"""
# document.js marks the moment the quote is marked and scrolled to; times count from the start of the navigation.
QUOTE_SHOWN = """() => performance.getEntriesByName("quote-shown")[0].startTime"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def long_document() -> str:
    entries = [f"Entry {n}. The keeper wound the clockwork of lamp {n % 7} at dusk and wrote reading {n * 37 % 1000} "
               f"of the barometer in the log." for n in range(1, 3001)]
    return "Lighthouse log\n\n" + "\n\n".join(entries) + "\n"


def weight(page: Page) -> dict:
    return page.evaluate(WEIGHT)


def kib(size: float) -> str:
    return f"{size / 1024:.1f} KiB"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def quote_shown_ms(page: Page, address: str) -> float:
    page.goto(address)
    page.wait_for_selector("mark.quoted")
    return page.evaluate(QUOTE_SHOWN)


def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        long_text = long_document()
        (corpus / "lighthouse-log.txt").write_text(long_text, encoding="utf-8")
        stored = long_text.strip()
        sentence = next(line for line in stored.split("\n\n") if line.startswith("Entry 2950."))
        start = stored.index(sentence)
        with Service(corpus, free_port(), Path(folder) / "service.log") as service, sync_playwright() as playwright:
            base = f"http://127.0.0.1:{service.port}"
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            rows = []
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(f"{base}/")
            first = weight(page)
            page.goto(f"{base}/")
            repeat = weight(page)
            rows.append(("chat page, first visit", first))
            rows.append(("chat page, repeat visit", repeat))
            short_ms = quote_shown_ms(page, f"{base}/documents/keppra-article#q=2671-2853")
            rows.append(("document page (3.8 KB document)", weight(page)))
            long_ms = quote_shown_ms(page, f"{base}/documents/lighthouse-log#q={start}-{start + len(sentence)}")
            rows.append(("document page (330 KB document, 3,000 paragraphs)", weight(page)))

            page.goto(f"{base}/")
            for question in QUESTIONS[:3]:  # warm up both workers and the page's code paths
                page.evaluate(TIME_TO_ANSWER, question)
            times = []
            for i in range(count):
                if i % len(QUESTIONS) == 0:
                    page.get_by_role("button", name="New conversation").click()
                times.append(page.evaluate(TIME_TO_ANSWER, QUESTIONS[i % len(QUESTIONS)]))
            browser.close()

    print(f"Chromium {CHROMIUM}, viewport {VIEWPORT['width']}×{VIEWPORT['height']}, "
          "the Procfile's gunicorn on loopback\n")
    print("| what | on the wire | unpacked | files |")
    print("|---|---:|---:|---:|")
    for name, figures in rows:
        print(f"| {name} | {kib(figures['wire'])} | {kib(figures['unpacked'])} | {figures['files']} |")
    print()
    print("| what | p50 | p95 | max |")
    print("|---|---:|---:|---:|")
    print(f"| Enter to answer shown ({count} questions) | {statistics.median(times):.1f} ms | "
          f"{percentile(times, 0.95):.1f} ms | {max(times):.1f} ms |")
    print(f"| document page opened to quote marked, 3.8 KB document | {short_ms:.1f} ms | – | – |")
    print(f"| document page opened to quote marked, 330 KB document | {long_ms:.1f} ms | – | – |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40, help="questions timed from Enter to answer")
    run(parser.parse_args().questions)


if __name__ == "__main__":
    main()
