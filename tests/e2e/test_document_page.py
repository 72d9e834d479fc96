"""The document a quote comes from, in headless Chromium: opened from a citation, at the highlighted quote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e.reading import (
    LONG_DOCUMENT_PARAGRAPHS,
    SIDE_EFFECTS,
    TITLE,
    VIEWPORTS,
    ask_with_keyboard,
    assert_no_axe_violations,
)
from e2e.services import Service, start_service
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_citation_opens_the_document_at_the_quote_highlighted_and_a_reload_keeps_it(open_page, server, viewport,
                                                                                       output_dir):
    page = open_page("/", viewport=viewport)
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    quote = turn.locator(".quote").first
    quoted = quote.locator("blockquote").inner_text()
    link = quote.get_by_role("link", name=TITLE)

    link.click()

    version = page.request.get("/api/documents/keppra-article").json()["version"]
    expect(page).to_have_url(f"{server}/documents/keppra-article?version={version}#q=2671-2853")
    expect(page.locator(".document-changed")).to_have_count(0)
    expect(page.locator("mark.quoted")).to_have_text(quoted)
    expect(page.locator("mark.quoted")).to_be_focused()
    assert in_viewport(page, "mark.quoted")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert_no_axe_violations(page)
    page.screenshot(path=output_dir / f"document-{viewport['width']}.png")

    page.reload()

    expect(page.locator("mark.quoted")).to_have_text(quoted)
    assert in_viewport(page, "mark.quoted")


def test_the_document_page_links_back_to_the_conversation(open_page, server):
    page = open_page("/documents/keppra-article#q=2671-2853")

    page.get_by_role("link", name="Back to the conversation").click()

    expect(page).to_have_url(f"{server}/")
    expect(page.get_by_label("Your question")).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_long_document_opens_at_a_quote_near_its_end(open_page, viewport):
    page = open_page("/", viewport=viewport)
    text = page.request.get("/api/documents/lighthouse-log").json()["text"]
    sentence = ("Entry 2950. The keeper wound the clockwork of lamp 3 at dusk and wrote reading 150 of the barometer "
                "in the log.")
    start = text.index(sentence)

    page.goto(f"/documents/lighthouse-log#q={start}-{start + len(sentence)}")

    expect(page.locator("mark.quoted")).to_have_text(sentence)
    assert in_viewport(page, "mark.quoted")
    where = page.locator("mark.quoted").bounding_box()["y"]
    # The sections before the quote arrive after it, while the reader reads; the quote stays where it is.
    expect(page.locator(".document-block")).to_have_count(LONG_DOCUMENT_PARAGRAPHS, timeout=30_000)
    expect(page.locator(".document-section[aria-busy]")).to_have_count(0)
    assert abs(page.locator("mark.quoted").bounding_box()["y"] - where) <= 2
    assert_no_axe_violations(page)


def test_an_address_without_a_quote_opens_the_document_at_its_top_with_nothing_marked(open_page):
    page = open_page("/documents/keppra-article")

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("mark")).to_have_count(0)
    assert page.evaluate("window.scrollY") == 0
    assert_no_axe_violations(page)


def test_an_unknown_document_says_so_in_a_page_that_links_back(open_page):
    page = open_page("/documents/no-such")

    expect(page.get_by_role("heading", level=1)).to_have_text("Document not found")
    expect(page.locator("main")).to_contain_text("No document with the id 'no-such'.")
    assert_no_axe_violations(page)



# --- a quote in the last screenful of a long document ---------------------------------------------------------

PARAGRAPH_CHARS = 148
# The page sends a document in sections of at least 40,000 characters (qa_service/web.py): with paragraphs of 148
# characters and a blank line each, a section holds 267 of them. Eleven full sections, nine paragraphs and a short
# last line leave a last section of ten paragraphs: the section before it, still empty, shares the window with
# the quote, as in the 440 KB handbook a reviewer opened.
PARAGRAPHS = 267 * 11 + 9
LAST_LINE = "The secret password for the staff room is bluebird seventy two."
WORDS = "tablet doctor morning month week test headache patient nurse water clinic sleep dose".split()


def handbook_paragraph(n: int) -> str:
    words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(30)).capitalize()
    ending = f". The reference number for this paragraph is R{n:05d}."
    return f"{words[:PARAGRAPH_CHARS - len(ending)]}{ending}"


@pytest.fixture(scope="module")
def handbook_service(tmp_path_factory) -> Iterator[Service]:
    """A 440 KB handbook of short paragraphs, served on its own (no sentence embeddings: only its page is read)."""
    folder = tmp_path_factory.mktemp("handbook") / "corpus"
    folder.mkdir()
    paragraphs = [handbook_paragraph(n) for n in range(PARAGRAPHS)] + [LAST_LINE]
    (folder / "handbook.txt").write_text("Big Handbook\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    running = start_service(folder, folder.parent / "server.log", {"QA_SEMANTIC": "off"})
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_quote_in_the_last_screenful_of_a_long_document_stays_in_view_while_the_rest_arrives(
        browser: Browser, handbook_service: Service, viewport):
    context = browser.new_context(base_url=handbook_service.url, viewport=viewport)
    try:
        page = context.new_page()
        document = page.request.get("/api/documents/handbook").json()
        sentence = f"The reference number for this paragraph is R{PARAGRAPHS - 1:05d}."
        start = document["text"].index(sentence)

        page.goto(f"/documents/handbook?version={document['version']}#q={start}-{start + len(sentence)}")

        expect(page.locator("mark.quoted")).to_have_text(sentence)
        expect(page.locator("mark.quoted")).to_be_focused()
        assert int(page.locator(".document-section").last.get_attribute("data-chars")) < 2000
        # The sections above arrive after the quote, each some 12,000 px taller once filled: the quote stays put.
        expect(page.locator(".document-section[aria-busy]")).to_have_count(0, timeout=30_000)
        page.wait_for_timeout(500)  # the last arrivals' paragraphs laid out
        assert in_viewport(page, "mark.quoted")
    finally:
        context.close()
