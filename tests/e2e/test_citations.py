"""Citations on the chat page, in headless Chromium: a quote from a document with headings is cited with the headings
above it, and a quote from a PDF with its page too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from e2e.reading import VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from e2e.services import seed_folder, start_service
from playwright.sync_api import expect
from sample_files import two_column_pdf

pytestmark = pytest.mark.e2e

GUIDE = """# Keeping a Lighthouse

A short guide for new keepers.

## The lamp

### Wicks

The keeper trims the wick of the lamp every evening before dusk, so that the flame burns without smoke.

## The fog signal

The fog bell is rung twice a minute whenever the far buoy cannot be seen from the gallery.

To sound the electric fog horn instead, run:

    horn --fog --minutes 10
"""
WICK_QUOTE = "The keeper trims the wick of the lamp every evening before dusk, so that the flame burns without smoke."


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The service on a corpus of a Markdown guide with two levels of headings, a PDF handbook and the seed article
    (which has no headings): it takes the place of the session's server for this module's tabs."""
    folder = seed_folder(tmp_path_factory.mktemp("citations") / "corpus")
    (folder / "lighthouse-guide.md").write_text(GUIDE, encoding="utf-8")
    (folder / "lithium-handbook.pdf").write_bytes(two_column_pdf())
    service = start_service(folder, folder.parent / "server.log")
    try:
        yield service.url
    finally:
        service.stop()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_citation_names_the_headings_above_the_quote_and_a_pdf_page(open_page, viewport):
    page = open_page("/", viewport=viewport)

    guide, _ = ask_with_keyboard(page, "When does the keeper trim the wick?")
    handbook, _ = ask_with_keyboard(page, "How often is thyroid function checked?")
    article, _ = ask_with_keyboard(page, "What are the common side effects of Keppra?")

    expect(guide.locator("figcaption").first).to_have_text("Keeping a Lighthouse › The lamp › Wicks")
    expect(handbook.locator("figcaption").first).to_have_text("Lithium Handbook › Side effects › Rare effects, page 2")
    title = "Keppra and Its Potential in Migraine Management"
    expect(article.locator("figcaption").first).to_have_text(title)
    version = page.request.get("/api/documents/lighthouse-guide").json()["version"]
    link = guide.locator("figcaption").first.get_by_role("link", name="Keeping a Lighthouse", exact=True)
    expect(link).to_have_attribute("href", re.compile(rf"^/documents/lighthouse-guide\?version={version}#q=\d+-\d+$"))
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    assert_no_axe_violations(page)

    link.click()
    expect(page.locator("mark.quoted")).to_have_text(WICK_QUOTE)


def test_a_copied_quote_is_cited_with_its_headings_and_page(open_page, server):
    page = open_page("/", permissions=["clipboard-read", "clipboard-write"])
    turn, _ = ask_with_keyboard(page, "How often is thyroid function checked?")
    quote = turn.locator("blockquote").first.inner_text()
    address = server + turn.locator(".citation-link").first.get_attribute("href")

    turn.get_by_role("button", name="Copy quote").first.click()

    expect(turn.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"“{quote}”\n— Lithium Handbook › Side effects › Rare effects, page 2, {address}")


def test_a_quote_shows_the_line_breaks_of_its_text(page):
    # The command stands in a paragraph of its own under the sentence that introduces it, as in the guide.
    turn, _ = ask_with_keyboard(page, "How do I sound the electric fog horn?")
    assert turn.locator("blockquote").first.inner_text() == (
        "To sound the electric fog horn instead, run:\n\nhorn --fog --minutes 10")
