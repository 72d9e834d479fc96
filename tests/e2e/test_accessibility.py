"""axe-core 4.14 on every state of the chat and document pages, at desktop and phone widths, light and dark."""

from __future__ import annotations

import json

import pytest
from e2e.reading import SIDE_EFFECTS, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def welcome(page: Page) -> None:
    expect(page.locator("#welcome")).to_be_visible()


def answer_with_context_and_about_open(page: Page) -> None:
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    turn.locator(".context-toggle").first.click()
    turn.get_by_text("About this answer").click()
    expect(turn.locator(".about-list")).to_be_visible()


def declined(page: Page) -> None:
    ask_with_keyboard(page, "What is the capital of France?")


def corrected(page: Page) -> None:
    ask_with_keyboard(page, "What are the side efects of kepra?")


def error(page: Page) -> None:
    body = json.dumps({"error": {"code": "unavailable", "message": "The corpus is being rebuilt."}})
    page.route("**/api/ask", lambda route: route.fulfill(status=503, content_type="application/json", body=body))
    ask_with_keyboard(page, SIDE_EFFECTS)


def waiting(page: Page) -> None:
    page.route("**/api/ask", lambda route: None)  # never answered: the page stays busy
    box = page.get_by_label("Your question")
    box.fill(SIDE_EFFECTS)
    box.press("Enter")
    expect(page.locator(".reply-pending")).to_be_visible()


def copied_and_documents_chosen(page: Page) -> None:
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    turn.locator(".quote-action").first.click()
    expect(turn.locator(".quote-action").first).to_have_text("Copied")
    page.locator(".scope-summary").click()
    page.get_by_role("checkbox", name="Lighthouse log").uncheck()


STATES = {f.__name__: f for f in (welcome, answer_with_context_and_about_open, declined, corrected, error, waiting,
                                  copied_and_documents_chosen)}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_the_chat_page_has_no_axe_violations(open_page, state, viewport, scheme):
    page = open_page("/", viewport=viewport, color_scheme=scheme, permissions=["clipboard-read", "clipboard-write"])
    state(page)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
@pytest.mark.parametrize("path", ["/documents/keppra-article#q=2671-2853", "/documents/no-such", "/admin"])
def test_the_document_and_editor_pages_have_no_axe_violations(open_page, path, viewport, scheme):
    page = open_page(path, viewport=viewport, color_scheme=scheme)
    expect(page.locator("h1")).to_be_visible()
    assert_no_axe_violations(page)
