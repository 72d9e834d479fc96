"""Keeping and passing on a conversation, in headless Chromium: copying a quote, sharing the address, reloading,
and undoing "New conversation"."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from e2e.reading import DOSING, RARE_ONES, SIDE_EFFECTS, TITLE, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CLIPBOARD = ["clipboard-read", "clipboard-write"]
QUOTE = ("Common side effects can include fatigue, dizziness, and mood changes. In rare cases, more serious side "
         "effects such as behavioral changes or severe skin reactions have been reported.")

READ_CLIPBOARD_HTML = """async () => {
    const [item] = await navigator.clipboard.read();
    return await (await item.getType("text/html")).text();
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_copy_puts_the_quote_with_its_title_and_link_on_the_clipboard_as_text_and_html(open_page, server, viewport):
    page = open_page("/", viewport=viewport, permissions=CLIPBOARD)
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    copy = turn.locator(".quote-action").first
    expect(copy).to_have_text("Copy quote")

    copy.click()

    expect(copy).to_have_text("Copied")
    expect(page.locator("[aria-live=polite]")).to_have_text("Quote copied, with its source and link.")
    version = page.request.get("/api/documents/keppra-article").json()["version"]
    link = f"{server}/documents/keppra-article?version={version}#q=2671-2853"
    assert page.evaluate("navigator.clipboard.readText()") == f"“{QUOTE}”\n— {TITLE}, {link}"
    html = page.evaluate(READ_CLIPBOARD_HTML)
    assert f"<blockquote><p>{QUOTE}</p></blockquote>" in html
    assert f'<a href="{link}">{TITLE}</a>' in html


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_the_address_names_the_questions_and_opening_it_replays_them(open_page, server, viewport):
    page = open_page("/", viewport=viewport, permissions=CLIPBOARD)
    ask_with_keyboard(page, SIDE_EFFECTS)
    expect(page).to_have_url(f"{server}/?q={quote(SIDE_EFFECTS, safe='').replace('%20', '+')}")
    follow_up, _ = ask_with_keyboard(page, RARE_ONES)
    follow_up_quotes = follow_up.locator("blockquote").all_inner_texts()
    page.get_by_role("button", name="Copy link").click()
    shared = page.evaluate("navigator.clipboard.readText()")
    assert shared == page.url and "#q=" in shared

    other = open_page(shared.removeprefix(server), viewport=viewport)

    expect(other.locator(".reply-answer")).to_have_count(2)
    expect(other.locator(".asked-text")).to_have_text([SIDE_EFFECTS, RARE_ONES])
    # Replayed in order, the follow-up is read with the first answer's quotes, so it quotes what it quoted before.
    expect(other.locator(".turn").last.locator("blockquote")).to_have_text(follow_up_quotes)
    assert_no_axe_violations(other)


def test_a_one_question_address_asks_that_question(open_page):
    page = open_page(f"/?q={quote(SIDE_EFFECTS)}")

    expect(page.locator(".reply-answer blockquote").first).to_contain_text("fatigue, dizziness, and mood changes")
    expect(page.locator("#welcome")).to_be_hidden()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_reload_keeps_the_conversation_without_asking_again(open_page, viewport):
    page = open_page("/", viewport=viewport)
    ask_with_keyboard(page, SIDE_EFFECTS)
    ask_with_keyboard(page, RARE_ONES)
    asks = []
    page.on("request", lambda request: asks.append(request.url) if "/api/ask" in request.url else None)

    page.reload()

    expect(page.locator(".reply-answer")).to_have_count(2)
    expect(page.locator(".asked-text")).to_have_text([SIDE_EFFECTS, RARE_ONES])
    assert asks == []
    _, sent = ask_with_keyboard(page, "And how is it dosed?")
    assert [turn["question"] for turn in sent["history"]] == [SIDE_EFFECTS, RARE_ONES]
    assert all(turn["quotes"] for turn in sent["history"]), "the kept answers' quotes are sent after a reload"


def test_coming_back_from_a_document_shows_the_conversation_with_focus_on_the_citation_followed(open_page):
    page = open_page("/")
    first, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    ask_with_keyboard(page, RARE_ONES)
    first.get_by_role("link", name=TITLE).first.click()
    expect(page.locator("mark.quoted")).to_be_visible()

    page.get_by_role("link", name="Back to the conversation").click()

    expect(page.locator(".asked-text")).to_have_text([SIDE_EFFECTS, RARE_ONES])
    expect(page.locator(".turn").first.get_by_role("link", name=TITLE).first).to_be_focused()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_new_conversation_can_be_undone(open_page, viewport):
    page = open_page("/", viewport=viewport)
    ask_with_keyboard(page, SIDE_EFFECTS)
    ask_with_keyboard(page, RARE_ONES)

    page.get_by_role("button", name="New conversation").click()

    expect(page.locator(".turn")).to_have_count(0)
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    assert_no_axe_violations(page)
    undo.click()

    expect(page.locator(".asked-text")).to_have_text([SIDE_EFFECTS, RARE_ONES])
    expect(undo).to_be_hidden()
    _, sent = ask_with_keyboard(page, "And how is it dosed?")
    assert len(sent["history"]) == 2


def test_the_next_question_after_new_conversation_drops_the_undo(open_page):
    page = open_page("/")
    ask_with_keyboard(page, SIDE_EFFECTS)
    page.get_by_role("button", name="New conversation").click()

    _, sent = ask_with_keyboard(page, RARE_ONES)

    assert sent["history"] == []
    expect(page.get_by_role("button", name="Undo")).to_be_hidden()
    page.reload()
    expect(page.locator(".asked-text")).to_have_text([RARE_ONES])


def test_a_question_that_met_an_error_is_not_kept_and_does_not_shift_the_way_back(open_page):
    page = open_page("/")
    page.route("**/api/ask", lambda route: route.fulfill(status=503, content_type="application/json",
                                                         body='{"error": {"code": "x", "message": "Busy."}}'))
    ask_with_keyboard(page, "What is Keppra?")
    page.unroute("**/api/ask")
    page.get_by_label("Your question").fill("")
    ask_with_keyboard(page, SIDE_EFFECTS)
    second, _ = ask_with_keyboard(page, RARE_ONES)
    second.get_by_role("link", name=TITLE).first.click()
    expect(page.locator("mark.quoted")).to_be_visible()

    page.get_by_role("link", name="Back to the conversation").click()

    expect(page.locator(".asked-text")).to_have_text([SIDE_EFFECTS, RARE_ONES])
    expect(page.locator(".turn").nth(1).get_by_role("link", name=TITLE).first).to_be_focused()


def test_opening_a_shared_address_over_a_conversation_can_be_undone(open_page):
    page = open_page("/")
    ask_with_keyboard(page, SIDE_EFFECTS)

    # A question that stands on its own: an address shares one question, without the conversation before it.
    page.goto(f"/?q={quote(DOSING)}")

    expect(page.locator(".asked-text")).to_have_text([DOSING])
    expect(page.locator(".reply-answer")).to_have_count(1)
    expect(page.locator("#undo-notice")).to_contain_text("Opening the link replaced your earlier conversation.")
    page.get_by_role("button", name="Undo").click()

    expect(page.locator(".asked-text")).to_have_text([SIDE_EFFECTS])
    expect(page.get_by_role("button", name="Undo")).to_be_hidden()
    page.reload()
    expect(page.locator(".asked-text")).to_have_text([SIDE_EFFECTS])
