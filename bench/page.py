"""The pages as a reader gets them: page weight and time from Enter to a shown answer, in headless Chromium.

    .venv/bin/python -m bench.page [--questions 40]

Starts the service with the Procfile's command on the seed corpus plus two long documents (logs of 3,000 and
28,000 paragraphs, about 330 KB and 4.4 MB), loads the pages in Debian's Chromium (/usr/bin/chromium) at 1280×800,
and prints two Markdown tables: bytes on the wire and unpacked for a first and a repeat visit of the chat page and
for the document pages (a long one counted when its quote is shown, before the rest of its sections arrive); the
time from the Enter key to the reply shown (measured inside the page, to the next frame painted after the reply is
in), as p50 and p95 over the questions; and the time from the navigation's start to the quote marked and scrolled
to on the document pages. Nothing here is asserted: it is for reading, and for comparing runs on the same machine.
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


def long_document(entries: int) -> str:
    lines = [f"Entry {n}. The keeper wound the clockwork of lamp {n % 7} at dusk and wrote reading {n * 37 % 1000} "
             f"of the barometer in the log." for n in range(1, entries + 1)]
    return "Lighthouse log\n\n" + "\n\n".join(lines) + "\n"


def quote_near_the_end(text: str, entry: int) -> str:
    """The #q= fragment of one entry of a long document, as a citation of it would carry."""
    stored = text.strip()
    sentence = next(line for line in stored.split("\n\n") if line.startswith(f"Entry {entry}."))
    start = stored.index(sentence)
    return f"#q={start}-{start + len(sentence)}"


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
        long_text = long_document(3000)
        longest_text = long_document(28000)
        (corpus / "lighthouse-log.txt").write_text(long_text, encoding="utf-8")
        (corpus / "lamp-log.txt").write_text(longest_text, encoding="utf-8")
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
            long_ms = quote_shown_ms(page, f"{base}/documents/lighthouse-log{quote_near_the_end(long_text, 2950)}")
            rows.append(("document page (330 KB document, 3,000 paragraphs)", weight(page)))
            longest_ms = quote_shown_ms(page, f"{base}/documents/lamp-log{quote_near_the_end(longest_text, 27500)}")
            rows.append(("document page (4.4 MB document, 28,000 paragraphs), to the quote", weight(page)))

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
    print(f"| document page opened to quote marked, 4.4 MB document | {longest_ms:.1f} ms | – | – |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40, help="questions timed from Enter to answer")
    run(parser.parse_args().questions)


if __name__ == "__main__":
    main()
