"""Voting on an answer against a service that records answers (QA_RECORD_QUESTIONS=all), in headless Chromium.

Skipped while the service has no POST /api/feedback (it comes with the question-recording work); once it does,
these show the chat page and the endpoint working together."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from e2e.reading import SIDE_EFFECTS, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from e2e.services import seed_folder, start_service
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The service on the seed article, recording every answer in its own SQLite file: it takes the place of the
    session's server for this module's tabs."""
    folder = tmp_path_factory.mktemp("feedback")
    corpus = seed_folder(folder / "corpus")
    service = start_service(corpus, folder / "server.log", {
        "QA_RECORD_QUESTIONS": "all", "QA_RECORD_FILE": str(folder / "questions.sqlite3")})
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture(autouse=True)
def skip_without_the_feedback_api(server: str) -> None:
    with urllib.request.urlopen(f"{server}/api/openapi.json", timeout=10) as response:
        paths = json.load(response)["paths"]
    if "/api/feedback" not in paths:
        pytest.skip("POST /api/feedback is not in the service's OpenAPI document: the feedback API (the question "
                    "recording work) is not merged into this checkout yet")


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_a_reader_marks_an_answer_helpful_once(open_page, viewport):
    page = open_page("/", viewport=viewport)
    with page.expect_response("**/api/ask") as asked:
        turn, _ = ask_with_keyboard(page, SIDE_EFFECTS)
    answer_id = asked.value.json()["answer_id"]
    feedback = turn.get_by_role("group", name="Your feedback on this answer")

    feedback.get_by_text("Add a comment").click()
    feedback.get_by_label("Your comment, sent with your vote (optional)").fill("Clear and to the point.")
    with page.expect_response("**/api/feedback") as voted:
        feedback.get_by_role("button", name="Helpful", exact=True).click()

    assert voted.value.status == 201
    assert voted.value.json() == {"helpful": True, "comment": "Clear and to the point."}
    expect(feedback.locator(".feedback-status")).to_have_text("Thanks: you marked this answer helpful.")
    expect(feedback.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "true")
    assert_no_axe_violations(page)
    again = page.request.post("/api/feedback", data={"answer_id": answer_id, "helpful": False})
    assert again.status == 409
