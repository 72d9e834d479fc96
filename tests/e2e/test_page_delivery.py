"""How the chat page arrives in headless Chromium through gunicorn: compressed, and its static files cached."""

from __future__ import annotations

import pytest
from e2e.reading import SIDE_EFFECTS, ask_with_keyboard
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TRANSFER_SIZES = """() => Object.fromEntries(performance.getEntriesByType("resource")
    .filter((entry) => entry.name.includes("/static/"))
    .map((entry) => [new URL(entry.name).pathname, entry.transferSize]))"""


def test_the_page_its_files_and_answers_arrive_compressed(open_page):
    page = open_page("/")
    encodings = {}
    page.on("response", lambda response: encodings.update(
        {response.url.split("?")[0].rsplit("/", 1)[-1] or "/": response.headers.get("content-encoding")}))
    page.reload()
    expect(page.get_by_label("Your question")).to_be_visible()
    ask_with_keyboard(page, SIDE_EFFECTS)

    # Chromium asks for brotli over HTTPS and from this computer (the tests' 127.0.0.1).
    assert {name: encodings.get(name) for name in ("/", "style.css", "chat.js", "ask")} == {
        "/": "br", "style.css": "br", "chat.js": "br", "ask": "br"}


def test_a_second_visit_takes_the_static_files_from_the_browser_cache(browser, server):
    # A context of its own without request routing: Playwright turns the HTTP cache off where requests are routed.
    context = browser.new_context(base_url=server)
    try:
        page = context.new_page()
        page.goto("/")
        first = page.evaluate(TRANSFER_SIZES)
        page.goto("/documents/keppra-article")
        page.goto("/")
        again = page.evaluate(TRANSFER_SIZES)
    finally:
        context.close()

    assert first["/static/chat.js"] > 0 and first["/static/style.css"] > 0
    assert again["/static/chat.js"] == 0 and again["/static/style.css"] == 0


def test_no_file_the_pages_ask_for_is_missing(open_page):
    page = open_page("/")
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.reload()
    page.goto("/documents/keppra-article#q=2671-2853")
    expect(page.locator("mark.quoted")).to_be_visible()

    assert failed == []
    assert page.request.get("/favicon.ico").status == 200
