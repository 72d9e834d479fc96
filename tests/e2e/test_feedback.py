"""The "Did this answer help?" control on the chat page, in headless Chromium. The service offers votes only when it
records answers (QA_RECORD_QUESTIONS, off by default): a reply then carries an answer_id. These tests give replies
an answer_id and answer POST /api/feedback in the browser, so they show what the page does whatever the service
behind it; test_feedback_recorded.py votes against a service that records."""

from __future__ import annotations

import json

import pytest
from e2e.reading import SIDE_EFFECTS, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e

ANSWER_ID = "answer-of-the-test"
COMMENT = "It names the common ones but not how long they last."


def give_answer_id(page: Page, answer_id: str | None) -> None:
    """Replies to /api/ask come from the service with answer_id set to this (left out when it is "missing")."""

    def rewrite(route: Route) -> None:
        reply = route.fetch().json()
        reply.pop("answer_id", None)
        if answer_id != "missing":
            reply["answer_id"] = answer_id
        route.fulfill(status=200, json=reply)

    page.route("**/api/ask", rewrite)


def answer_feedback(page: Page, status: int, body: dict) -> list[dict]:
    """POST /api/feedback is answered in the browser with this status and body; returns the bodies posted."""
    posted: list[dict] = []

    def reply(route: Route) -> None:
        posted.append(json.loads(route.request.post_data))
        route.fulfill(status=status, json=body)

    page.route("**/api/feedback", reply)
    return posted


def test_no_feedback_control_under_a_reply_from_a_service_that_records_no_answers(page: Page):
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)

    expect(turn.locator(".reply-answer blockquote").first).to_be_visible()
    expect(turn.get_by_role("group", name="Your feedback on this answer")).to_have_count(0)
    expect(turn.get_by_role("button", name="Helpful")).to_have_count(0)


@pytest.mark.parametrize("answer_id", [None, "missing"])
def test_no_feedback_control_when_the_reply_has_no_answer_id(page: Page, answer_id):
    give_answer_id(page, answer_id)

    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)

    expect(turn.locator(".reply-answer blockquote").first).to_be_visible()
    expect(turn.locator(".feedback")).to_have_count(0)


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_vote_with_a_comment_is_posted_once_and_thanked_in_a_polite_live_region(open_page, viewport):
    # The vote buttons are aria-disabled once a vote is given, which Playwright waits out: force=True clicks them
    # as a reader still can.
    page = open_page("/", viewport=viewport)
    give_answer_id(page, ANSWER_ID)
    posted = answer_feedback(page, 201, {"helpful": False, "comment": COMMENT})
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    feedback = turn.get_by_role("group", name="Your feedback on this answer")
    expect(feedback).to_contain_text("Did this answer help?")
    assert_no_axe_violations(page)

    feedback.get_by_text("Add a comment").click()
    comment = feedback.get_by_label("Your comment, sent with your vote (optional)")
    expect(comment).to_have_attribute("maxlength", "500")
    comment.fill(COMMENT)
    assert_no_axe_violations(page)
    feedback.get_by_role("button", name="Not helpful").click()

    status = feedback.locator(".feedback-status")
    expect(status).to_have_text("Thanks: you marked this answer not helpful.")
    expect(status).to_have_attribute("aria-live", "polite")
    assert posted == [{"answer_id": ANSWER_ID, "helpful": False, "comment": COMMENT}]
    expect(feedback.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    expect(feedback.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "false")
    for vote in feedback.locator(".feedback-vote").all():
        expect(vote).to_have_attribute("aria-disabled", "true")
    expect(comment).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    assert_no_axe_violations(page)

    feedback.get_by_role("button", name="Helpful", exact=True).click(force=True)
    page.reload()

    kept = page.locator(".turn").first.locator(".feedback")
    expect(kept.locator(".feedback-status")).to_have_text("Thanks: you marked this answer not helpful.")
    expect(kept.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    kept.get_by_role("button", name="Helpful", exact=True).click(force=True)
    assert len(posted) == 1, "one vote per answer: neither a second click nor a reload sends another"


def test_a_vote_without_a_comment_sends_none(page: Page):
    give_answer_id(page, ANSWER_ID)
    posted = answer_feedback(page, 201, {"helpful": True, "comment": ""})
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)

    turn.get_by_role("button", name="Helpful", exact=True).click()

    expect(turn.locator(".feedback-status")).to_have_text("Thanks: you marked this answer helpful.")
    assert posted == [{"answer_id": ANSWER_ID, "helpful": True}]


def test_an_answer_the_service_already_has_a_vote_for_takes_no_other(page: Page):
    give_answer_id(page, ANSWER_ID)
    conflict = {"error": {"code": "already_voted", "message": "This answer has already been marked; one vote per "
                                                              "answer."}}
    posted = answer_feedback(page, 409, conflict)
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)

    turn.get_by_role("button", name="Helpful", exact=True).click()

    expect(turn.locator(".feedback-status")).to_have_text("This answer already has a vote.")
    for vote in turn.locator(".feedback-vote").all():
        expect(vote).to_have_attribute("aria-disabled", "true")
        expect(vote).to_have_attribute("aria-pressed", "false")
    turn.get_by_role("button", name="Not helpful").click(force=True)
    assert len(posted) == 1


def test_a_vote_the_service_could_not_keep_says_why_and_can_be_given_again(page: Page):
    give_answer_id(page, ANSWER_ID)
    unavailable = {"error": {"code": "records_unavailable", "message": "The question records cannot be reached "
                                                                       "now; try again later."}}
    posted = answer_feedback(page, 503, unavailable)
    turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    helpful = turn.get_by_role("button", name="Helpful", exact=True)

    helpful.click()

    expect(turn.locator(".feedback-status")).to_have_text(
        "Your vote was not sent. The question records cannot be reached now; try again later.")
    expect(helpful).to_have_attribute("aria-disabled", "false")
    # The response, not the request: the route's handler records the body before it answers, so once the response
    # is there the second vote has been counted.
    with page.expect_response("**/api/feedback"):
        helpful.click()
    assert len(posted) == 2
