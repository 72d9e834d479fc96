"""The chat page in headless Chromium, against the real service under gunicorn."""

from __future__ import annotations

import json

import pytest
from e2e.reading import PHONE, RARE_ONES, SIDE_EFFECTS, TITLE, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

# The first question the page suggests for the seed corpus (qa_service.suggestions: a name the article defines).
FIRST_SUGGESTION = "What is Keppra?"


def screenshot(page: Page, path) -> None:
    """Save the whole page: the window grows to the page's height, so the sticky question box sits at the end."""
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": page.evaluate("document.documentElement.scrollHeight")})
    page.mouse.move(0, 0)
    page.screenshot(path=path)


def test_enter_asks_the_question_and_shows_a_cited_quotation_with_question_words_marked(page: Page, output_dir):
    turn, sent = ask_with_keyboard(page, SIDE_EFFECTS)

    assert sent == {"question": SIDE_EFFECTS, "history": []}
    expect(turn.locator(".asked-text")).to_have_text(SIDE_EFFECTS)
    first = turn.locator(".quote").first
    expect(first.locator("blockquote")).to_contain_text("fatigue, dizziness, and mood changes")
    expect(first.locator("figcaption")).to_have_text(TITLE)
    version = page.request.get("/api/documents/keppra-article").json()["version"]
    expect(first.locator("figcaption").get_by_role("link", name=TITLE)).to_have_attribute(
        "href", f"/documents/keppra-article?version={version}#q=2671-2853")
    expect(first.locator("blockquote mark.term")).to_contain_text(["side", "effects"])
    expect(page.get_by_label("Your question")).to_be_focused()
    expect(page.get_by_label("Your question")).to_have_value("")
    expect(page.locator("[aria-live=polite]")).to_contain_text("fatigue, dizziness, and mood changes")
    expect(page.locator("#welcome")).to_be_hidden()
    corpus_version = page.request.get("/healthz").json()["corpus_version"]
    expect(turn.locator(".reply-answer")).to_have_attribute("data-corpus-version", corpus_version)
    about = turn.locator(".about")
    expect(about.locator(".about-list")).to_be_hidden()
    about.get_by_text("About this answer").click()
    expect(about).to_contain_text("The quote is characters 2671–2853 of the document “keppra-article”")
    expect(about).to_contain_text(f"Answered from corpus version {corpus_version}")
    screenshot(page, output_dir / "answer.png")


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_follow_up_sends_the_quotes_shown_before_and_says_which_question_it_was_read_with(open_page, viewport):
    page = open_page("/", viewport=viewport)
    first, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    expect(first.locator(".quote")).to_have_count(1)
    first_quote = first.locator("blockquote").inner_text()

    second, sent = ask_with_keyboard(page, RARE_ONES)

    assert sent == {"question": RARE_ONES, "history": [
        {"question": SIDE_EFFECTS, "quotes": [{"document": "keppra-article", "start": 2671, "end": 2853}]}]}
    expect(first.locator(".read-with")).to_be_hidden()
    expect(second.locator(".read-with")).to_have_text(f"Read with what you asked before: “{SIDE_EFFECTS}”")
    # The sentence that answers it, though the first reply showed it already, rather than one on something else.
    assert "In rare cases" in first_quote
    expect(second.locator("blockquote").first).to_contain_text("In rare cases")
    expect(page.locator("[aria-live=polite]")).to_contain_text("Read with what you asked before")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    assert_no_axe_violations(page)


def test_then_what_goes_on_through_the_paragraph_and_then_says_the_source_says_no_more(page: Page, output_dir):
    article = page.request.get("/api/documents/keppra-article").json()["text"]
    first, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    said = first.locator("blockquote").first.inner_text()
    position = article.index(said) + len(said)

    for _ in range(4):
        turn, _ = ask_with_keyboard(page, "Then what?")
        expect(turn.locator(".read-with")).to_have_text(f"Read with what you asked before: “{SIDE_EFFECTS}”")
        if turn.locator(".reply-declined").count():
            break
        going_on = turn.locator("blockquote").first.inner_text()
        assert article.index(going_on) >= position, "going on quoted something the text said before"
        assert article[position:article.index(going_on)].strip() == "", "going on skipped a sentence"
        position = article.index(going_on) + len(going_on)
    declined = turn.locator(".reply-declined")
    expect(declined).to_contain_text("The source says no more on this after the last quote.")
    assert article[position:].startswith("\n\n"), "the paragraph ended"
    screenshot(page, output_dir / "then-what.png")


def test_show_in_context_reveals_the_paragraph_with_the_quoted_sentence_marked(page: Page, output_dir):
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    ask_with_keyboard(page, RARE_ONES)
    quote = turn.locator(".quote").first
    toggle = quote.locator(".context-toggle")
    context = quote.locator(".context")
    expect(toggle).to_have_text("Show in context")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(context).to_be_hidden()

    toggle.click()

    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(context).to_be_visible()
    expect(context).to_contain_text("While Keppra may offer benefits for some migraine sufferers")
    quoted = quote.locator("blockquote").inner_text()
    expect(context.locator("mark")).to_have_text(quoted)
    screenshot(page, output_dir / "conversation-desktop.png")

    expect(toggle).to_have_text("Hide context")
    toggle.click()
    expect(context).to_be_hidden()


def test_off_topic_question_gets_the_not_in_the_source_reply(page: Page, output_dir):
    turn, _ = ask_with_keyboard(page, "What is the capital of France?")

    declined = turn.locator(".reply-declined")
    expect(declined).to_contain_text("Not in the source")
    expect(declined).to_contain_text("does not answer")
    expect(turn.locator("blockquote")).to_have_count(0)
    expect(page.locator("[aria-live=polite]")).to_contain_text("Not in the source")
    screenshot(page, output_dir / "not-found.png")


def test_thanks_gets_the_services_own_reply_and_is_left_out_of_the_next_questions_history(page: Page, output_dir):
    ask_with_keyboard(page, SIDE_EFFECTS)
    thanks, _ = ask_with_keyboard(page, "Thanks!")

    note = thanks.locator(".reply-note")
    expect(note).to_contain_text("From the service")
    expect(note).to_contain_text("You're welcome.")
    expect(thanks.locator(".reply-declined")).to_have_count(0)
    expect(thanks.locator("blockquote")).to_have_count(0)
    expect(page.locator("[aria-live=polite]")).to_contain_text("You're welcome.")
    assert_no_axe_violations(page)
    screenshot(page, output_dir / "small-talk.png")

    follow_up, sent = ask_with_keyboard(page, RARE_ONES)
    assert [turn["question"] for turn in sent["history"]] == [SIDE_EFFECTS]
    expect(follow_up.locator(".read-with")).to_have_text(f"Read with what you asked before: “{SIDE_EFFECTS}”")


def test_misspelt_question_shows_what_was_searched_for_instead(page: Page):
    turn, _ = ask_with_keyboard(page, "What are the side efects of kepra?")

    expect(turn.locator(".corrections")).to_contain_text("Searched for ")
    expect(turn.locator(".corrections")).to_contain_text("‘keppra’ instead of ‘kepra’")
    expect(turn.locator("blockquote").first).to_contain_text("side effects")


def test_markup_in_a_document_is_shown_as_text_and_never_run(page: Page, watch, output_dir):
    expect(page.locator(".welcome-source")).to_contain_text("Notes on <script>alert(1)</script> markup")

    script_turn, _ = ask_with_keyboard(page, "How must a page print the script tag?")
    image_turn, _ = ask_with_keyboard(page, "How must the image tag appear?")
    image_turn.get_by_role("button", name="Show in context").first.click()

    expect(script_turn.locator("blockquote").first).to_contain_text("the tag <script>alert(1)</script> as plain text")
    expect(script_turn.locator("figcaption").first).to_contain_text("Notes on <script>alert(1)</script> markup")
    expect(image_turn.locator("blockquote").first).to_contain_text("The image tag <img src=x onerror=alert(1)>")
    expect(image_turn.locator(".context mark")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("main script, main img").count() == 0
    assert watch.dialogs == []
    screenshot(page, output_dir / "markup-as-text.png")


def test_new_conversation_clears_the_thread_and_the_history(page: Page):
    ask_with_keyboard(page, SIDE_EFFECTS)

    page.get_by_role("button", name="New conversation").click()

    expect(page.locator(".turn")).to_have_count(0)
    expect(page.locator("#welcome")).to_be_visible()
    expect(page.get_by_label("Your question")).to_be_focused()
    _, sent = ask_with_keyboard(page, RARE_ONES)
    assert sent["history"] == []


def test_busy_state_shows_while_the_answer_is_on_its_way(page: Page):
    held = []
    page.route("**/api/ask", lambda route: held.append(route))
    box = page.get_by_label("Your question")
    box.fill(SIDE_EFFECTS)
    box.press("Enter")

    expect(page.locator(".reply-pending")).to_contain_text("Looking in the source")
    expect(page.locator("#ask-form")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#ask-button")).to_have_text("Asking…")
    held[0].continue_()

    expect(page.locator(".reply-answer")).to_be_visible()
    expect(page.locator("#ask-form")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#ask-button")).to_have_text("Ask")


def test_error_reply_shows_the_service_message_and_keeps_the_question(page: Page):
    error = {"error": {"code": "unavailable", "message": "The corpus is being rebuilt; ask again in a moment."}}
    page.route("**/api/ask", lambda route: route.fulfill(status=503, content_type="application/json",
                                                          body=json.dumps(error)))
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)

    expect(turn.locator(".reply-error")).to_contain_text("Could not answer")
    expect(turn.locator(".reply-error")).to_contain_text("The corpus is being rebuilt; ask again in a moment.")
    expect(page.get_by_label("Your question")).to_have_value(SIDE_EFFECTS)


def test_keyboard_alone_asks_a_suggestion_and_opens_its_context_with_visible_focus(page: Page):
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the question box")).to_be_focused()
    page.keyboard.press("Tab")
    suggestion = page.get_by_role("button", name=FIRST_SUGGESTION)
    expect(suggestion).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"

    page.keyboard.press("Enter")

    expect(page.locator(".reply-answer")).to_be_visible()
    expect(page.get_by_label("Your question")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.locator(".scope-summary")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.locator(".about-summary").last).to_be_focused()
    page.keyboard.press("Shift+Tab")
    toggle = page.locator(".context-toggle").last
    expect(toggle).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".context").last).to_be_visible()


def test_phone_width_has_no_horizontal_scroll(page: Page, output_dir):
    page.set_viewport_size(PHONE)
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) == 0
    screenshot(page, output_dir / "welcome-phone.png")

    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    turn.get_by_role("button", name="Show in context").first.click()
    ask_with_keyboard(page, "What is the capital of France?")

    assert page.evaluate(overflow) == 0
    screenshot(page, output_dir / "conversation-phone.png")


def test_tapping_a_suggestion_on_a_touch_screen_keeps_the_keyboard_closed(browser, server):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, base_url=server)
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("button", name=FIRST_SUGGESTION).tap()

        expect(page.locator(".reply-answer")).to_be_visible()
        expect(page.locator("#thread")).to_be_focused()
        expect(page.get_by_label("Your question")).not_to_be_focused()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_pasted_question_longer_than_the_box_holds_is_said_to_be_cut(open_page, viewport):
    page = open_page("/", viewport=viewport, permissions=["clipboard-read", "clipboard-write"])
    box = page.get_by_label("Your question")
    limit = int(box.get_attribute("maxlength"))
    page.evaluate("text => navigator.clipboard.writeText(text)", "Why? " * 300)  # 1,500 characters
    box.focus()

    page.keyboard.press("ControlOrMeta+V")

    assert len(box.input_value()) == limit
    notice = (f"{limit:,} of {limit:,} characters: the rest of the text was cut off. "
              "Shorten the question, or ask it in parts.")
    expect(page.locator("#question-count")).to_have_text(notice)
    expect(page.locator("#question-count")).to_be_visible()
    expect(page.locator("#announcer")).to_have_text(notice)
    assert "question-count" in box.get_attribute("aria-describedby")
    assert_no_axe_violations(page)

    box.press("Backspace")
    expect(page.locator("#question-count")).to_have_text(f"{limit - 1:,} of {limit:,} characters")
    box.press("Enter")
    expect(page.locator("#question-count")).to_be_hidden()


def test_a_short_question_shows_no_count(page: Page):
    box = page.get_by_label("Your question")
    box.focus()
    page.keyboard.type("What is Keppra?")

    expect(page.locator("#question-count")).to_be_hidden()
