"""Retake the README's screenshots of the pages, in Debian's headless Chromium, on the seed corpus.

    .venv/bin/python scripts/screenshots.py

Starts the service with the Procfile's command on a free loopback port and writes docs/screenshot.png (desktop,
light: a question, a follow-up with its context open), docs/screenshot-phone.png (375 px, dark: the same
conversation) and docs/screenshot-document.png (375 px, light: the document page opened at a quote).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.page import free_port  # noqa: E402  (the project root is put on the path just above)
from bench.service import Service  # noqa: E402

DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
QUESTIONS = ["What are the common side effects of Keppra?", "What about rare ones?"]


def converse(page: Page) -> None:
    for number, question in enumerate(QUESTIONS, start=1):
        box = page.get_by_label("Your question")
        box.fill(question)
        box.press("Enter")
        expect(page.locator(".reply-answer")).to_have_count(number)
    page.locator(".turn").last.locator(".context-toggle").first.click()
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement.blur()")


def whole_page(page: Page, path: Path) -> None:
    """The whole conversation: the window grows to the page's height, so the pinned box sits at the end."""
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": page.evaluate("document.documentElement.scrollHeight")})
    page.wait_for_timeout(300)
    page.screenshot(path=path)


def main() -> None:
    with Service(ROOT / "corpus", free_port(), ROOT / "test-output" / "screenshots.log") as service, \
            sync_playwright() as playwright:
        base = f"http://127.0.0.1:{service.port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        desktop = browser.new_page(viewport={"width": 1100, "height": 800}, color_scheme="light",
                                   reduced_motion="reduce")
        desktop.goto(f"{base}/")
        converse(desktop)
        whole_page(desktop, DOCS / "screenshot.png")

        phone = browser.new_page(viewport={"width": 375, "height": 740}, color_scheme="dark", reduced_motion="reduce",
                                 device_scale_factor=2)
        phone.goto(f"{base}/")
        converse(phone)
        phone.wait_for_timeout(300)
        phone.screenshot(path=DOCS / "screenshot-phone.png")

        reader = browser.new_page(viewport={"width": 375, "height": 740}, color_scheme="light",
                                  reduced_motion="reduce", device_scale_factor=2)
        reader.goto(f"{base}/documents/keppra-article#q=2671-2853")
        expect(reader.locator("mark.quoted")).to_be_focused()
        reader.evaluate("document.activeElement.blur()")
        reader.screenshot(path=DOCS / "screenshot-document.png")
        browser.close()
    for name in ("screenshot.png", "screenshot-phone.png", "screenshot-document.png"):
        print(DOCS / name)


if __name__ == "__main__":
    main()
