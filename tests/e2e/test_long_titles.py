"""A title of 5,000 characters with no space in it (the API accepts one) wraps wherever a title is shown: the editor
page's list, the chat page's welcome, document chooser and citations, and the document page's heading. Nothing
spills sideways, at desktop and phone widths."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from e2e.reading import VIEWPORTS, ask_with_keyboard
from e2e.services import Service, seed_folder, start_service
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

TOKEN = "long-titles-token-0123456789"
SENT_TITLE = "Strontium" + "x" * 4991
# The service keeps a title's first 300 characters (qa_service/documents.py): still far wider than any screen.
LONG_TITLE = SENT_TITLE[:300]
STRONTIUM = {"title": SENT_TITLE, "format": "text",
             "text": "Strontium burns with a bright crimson flame in fireworks.\n"}


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    folder = seed_folder(tmp_path_factory.mktemp("long-titles") / "corpus")
    running = start_service(folder, folder.parent / "server.log", {"QA_ADMIN_TOKEN": TOKEN})
    try:
        # A title of one's own comes with a document sent as JSON.
        request = urllib.request.Request(f"{running.url}/api/documents/strontium", method="PUT",
                                         data=json.dumps(STRONTIUM).encode(),
                                         headers={"Authorization": f"Bearer {TOKEN}",
                                                  "Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=30).close()
        yield running
    finally:
        running.stop()


@pytest.fixture(params=VIEWPORTS.values(), ids=VIEWPORTS.keys())
def tab(request, browser: Browser, service: Service) -> Iterator[Page]:
    context = browser.new_context(base_url=service.url, viewport=request.param)
    yield context.new_page()
    context.close()


def assert_nothing_spills_sideways(page: Page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Nor inside a box that scrolls or clips on its own: every title's box stays within the window.
    widest = page.evaluate("""() => Math.max(...[...document.querySelectorAll('*')]
        .filter((e) => e.textContent.includes('Strontiumxxx') && e.getClientRects().length)
        .map((e) => e.getBoundingClientRect().right))""")
    assert widest <= width


def test_the_service_accepts_the_long_title_and_serves_its_first_300_characters(tab: Page):
    titles = [d["title"] for d in tab.request.get("/api/documents").json()["documents"]]
    assert LONG_TITLE in titles


def test_a_long_title_wraps_on_the_editor_page(tab: Page):
    tab.goto("/admin")
    expect(tab.locator('#documents tr[data-id="strontium"]')).to_contain_text("Strontiumxxx")

    assert_nothing_spills_sideways(tab)


def test_a_long_title_wraps_in_the_chat_pages_chooser_and_citations(tab: Page):
    tab.goto("/")
    assert_nothing_spills_sideways(tab)
    tab.locator(".scope-summary").click()
    expect(tab.get_by_role("checkbox", name=LONG_TITLE)).to_be_visible()
    assert_nothing_spills_sideways(tab)
    tab.locator(".scope-summary").click()

    turn, _ = ask_with_keyboard(tab, "What burns with a crimson flame?")

    expect(turn.locator(".citation-link")).to_have_text(LONG_TITLE)
    assert_nothing_spills_sideways(tab)


def test_a_long_title_wraps_on_the_document_page(tab: Page):
    tab.goto("/documents/strontium")
    expect(tab.get_by_role("heading", level=1)).to_have_text(LONG_TITLE)

    assert_nothing_spills_sideways(tab)
