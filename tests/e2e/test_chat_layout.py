"""The chat page's layout in headless Chromium: the pinned question box never hides what has focus or what was
just opened, it grows with the question, stays small on a phone, and long questions are cut to a few lines."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from e2e.reading import PHONE, SIDE_EFFECTS, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

TEN_QUESTIONS = [
    SIDE_EFFECTS,
    "What about rare ones?",
    "Is Keppra approved for treating migraines?",
    "How is Keppra dosed for migraine prevention?",
    "How does Keppra help prevent migraines?",
    "What is the generic name of Keppra?",
    "When is Keppra considered for migraines?",
    "Why could Keppra suit someone who also has epilepsy?",
    "What do studies say about Keppra for migraine?",
    "What should patients considering Keppra do?",
]
LONG_QUESTION = ("Given that Keppra is mostly known as an epilepsy medicine, and given everything that has been said "
                 "about migraine prevention, dosing and the studies so far, what are the common side effects of "
                 "Keppra that a person who gets migraines several times a month should watch for?")

FOCUSED_BOX = """() => {
    const r = document.activeElement.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, inThread: document.getElementById("thread").contains(document.activeElement),
             name: document.activeElement.textContent.trim() };
}"""


def box_top(page: Page) -> float:
    return page.locator("#ask-form").bounding_box()["y"]


def open_ten_answers(open_page, viewport) -> Page:
    page = open_page("/#" + urlencode([("q", q) for q in TEN_QUESTIONS]), viewport=viewport)
    expect(page.locator(".reply-answer, .reply-declined")).to_have_count(10)
    return page


def assert_clear_of_the_box(page: Page, focused: dict) -> None:
    assert focused["top"] >= 0, f"{focused['name']!r} is above the window: {focused}"
    assert focused["bottom"] <= box_top(page), f"{focused['name']!r} is under the question box: {focused}"


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_tabbing_through_ten_answers_never_puts_focus_under_the_question_box(open_page, viewport):
    page = open_ten_answers(open_page, viewport)
    assert_no_axe_violations(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#thread .citation-link").first.focus()

    forward = 0
    while (focused := page.evaluate(FOCUSED_BOX))["inThread"]:
        assert_clear_of_the_box(page, focused)
        forward += 1
        page.keyboard.press("Tab")
    # Out of the conversation, forward: into the question box (by way of the document chooser).
    backward = 0
    page.get_by_label("Your question").focus()
    while not (focused := page.evaluate(FOCUSED_BOX))["inThread"]:
        page.keyboard.press("Shift+Tab")
    while (focused := page.evaluate(FOCUSED_BOX))["inThread"]:
        assert_clear_of_the_box(page, focused)
        backward += 1
        page.keyboard.press("Shift+Tab")

    # Each answer has a citation link, "Copy quote", "Show in context" per quote and "About this answer".
    assert forward == backward >= 40


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_an_opened_context_is_scrolled_into_view_above_the_question_box(open_page, viewport):
    page = open_ten_answers(open_page, viewport)
    toggle = page.locator(".turn").nth(7).locator(".context-toggle").first
    toggle.focus()
    # Scroll so that the button sits just above the question box, where its paragraph opens out of sight.
    page.evaluate("""([y]) => window.scrollBy(0, document.activeElement.getBoundingClientRect().bottom - y + 4)""",
                  [box_top(page)])

    page.keyboard.press("Enter")

    context = page.locator(".turn").nth(7).locator(".context").first
    expect(context).to_be_visible()
    page.wait_for_function("""([top]) => {
        const r = document.querySelectorAll(".turn")[7].querySelector(".context").getBoundingClientRect();
        return r.top >= 0 && r.bottom <= top;
    }""", arg=[box_top(page)])
    assert_no_axe_violations(page)


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_the_question_box_grows_with_the_question_and_shift_enter_starts_a_new_line(open_page, viewport):
    page = open_page("/", viewport=viewport)
    box = page.get_by_label("Your question")
    one_line = box.bounding_box()["height"]

    box.focus()
    page.keyboard.type(LONG_QUESTION[:80])
    page.keyboard.press("Shift+Enter")
    page.keyboard.type(LONG_QUESTION[80:])

    expect(box).to_have_value(LONG_QUESTION[:80] + "\n" + LONG_QUESTION[80:])
    grown = box.bounding_box()["height"]
    assert one_line * 2 < grown <= 9 * 16 + 1
    with page.expect_request("**/api/ask") as sent:
        page.keyboard.press("Enter")
    assert sent.value.post_data_json["question"] == LONG_QUESTION[:80] + "\n" + LONG_QUESTION[80:]
    expect(box).to_have_value("")
    expect(box).to_have_js_property("offsetHeight", round(one_line))


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_long_question_is_cut_to_three_lines_with_show_all(open_page, viewport, output_dir):
    page = open_page("/", viewport=viewport)
    turn, _ = ask_with_keyboard(page, LONG_QUESTION)
    text = turn.locator(".asked-text")
    line = float(text.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    more = turn.get_by_role("button", name="Show all")

    assert text.bounding_box()["height"] <= 3 * line + 1
    expect(more).to_have_attribute("aria-expanded", "false")
    assert_no_axe_violations(page)
    more.click()

    assert text.bounding_box()["height"] > 3 * line + 1
    expect(turn.get_by_role("button", name="Show less")).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=output_dir / f"long-question-{viewport['width']}.png")


def test_a_short_question_has_no_show_all(open_page):
    page = open_page("/")
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    expect(turn.locator(".asked-more")).to_be_hidden()


def test_the_question_box_takes_at_most_a_sixth_of_a_phone_screen(open_page):
    page = open_page("/", viewport=PHONE)
    ask_with_keyboard(page, SIDE_EFFECTS)

    # With the document chooser (the test corpus has three documents), the buttons and the disclaimer.
    expect(page.locator(".scope-summary")).to_be_visible()
    assert page.locator("#ask-form").bounding_box()["height"] <= PHONE["height"] / 6
    expect(page.get_by_role("button", name="New conversation")).to_be_visible()
    expect(page.get_by_text("Answers are quotations from the source, not medical advice.")).to_be_visible()
