"""Limiting a question to some of the documents, in headless Chromium (the test corpus has three)."""

from __future__ import annotations

import pytest
from e2e.reading import SIDE_EFFECTS, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

MARKUP_TITLE = "Notes on <script>alert(1)</script> markup"


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_question_limited_to_one_document_is_sent_with_it_and_the_reply_says_so(open_page, viewport):
    page = open_page("/", viewport=viewport)
    page.get_by_text("Searching all 3 documents").click()
    page.get_by_role("checkbox", name="Keppra and Its Potential in Migraine Management").uncheck()
    page.get_by_role("checkbox", name="Lighthouse log").uncheck()

    expect(page.locator(".scope-summary")).to_have_text("Searching 1 of 3 documents")
    expect(page.get_by_role("checkbox", name=MARKUP_TITLE)).to_be_disabled()
    assert_no_axe_violations(page)
    turn, sent = ask_with_keyboard(page, "How must a page print the script tag?")

    assert sent["documents"] == ["markup-notes"]
    expect(turn.locator(".reply-scope")).to_have_text(f"Searched only “{MARKUP_TITLE}”.")
    expect(turn.locator("figcaption").first).to_have_text(MARKUP_TITLE)
    declined, sent = ask_with_keyboard(page, SIDE_EFFECTS)
    expect(declined.locator(".reply-declined")).to_contain_text("Not in the source")
    expect(declined.locator(".reply-scope")).to_have_text(f"Searched only “{MARKUP_TITLE}”.")


def test_with_every_document_chosen_no_filter_is_sent_and_the_about_says_all_were_searched(open_page):
    page = open_page("/")
    turn, sent = ask_with_keyboard(page, SIDE_EFFECTS)

    assert "documents" not in sent
    expect(turn.locator(".reply-scope")).to_be_hidden()
    turn.get_by_text("About this answer").click()
    expect(turn.locator(".about")).to_contain_text("Searched all 3 documents.")


def test_a_reload_keeps_what_each_answer_searched(open_page):
    page = open_page("/")
    page.get_by_text("Searching all 3 documents").click()
    page.get_by_role("checkbox", name="Lighthouse log").uncheck()
    ask_with_keyboard(page, SIDE_EFFECTS)

    page.reload()

    expect(page.locator(".reply-scope")).to_have_text(
        f"Searched only “Keppra and Its Potential in Migraine Management”, “{MARKUP_TITLE}”.")


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_the_address_carries_the_documents_chosen_and_opening_it_asks_the_same_documents(open_page, viewport):
    page = open_page("/", viewport=viewport)
    page.get_by_text("Searching all 3 documents").click()
    page.get_by_role("checkbox", name="Keppra and Its Potential in Migraine Management").uncheck()
    page.get_by_role("checkbox", name="Lighthouse log").uncheck()
    ask_with_keyboard(page, "How must a page print the script tag?")
    assert page.url.endswith("&d=markup-notes")

    other = open_page("/", viewport=viewport)
    with other.expect_request("**/api/ask") as sent:
        other.goto(page.url)

    assert sent.value.post_data_json["documents"] == ["markup-notes"]
    expect(other.locator(".reply-answer")).to_have_count(1)
    expect(other.locator(".scope-summary")).to_have_text("Searching 1 of 3 documents")
    expect(other.locator(".reply-scope")).to_have_text(f"Searched only “{MARKUP_TITLE}”.")
