"""axe-core 4.14 on every state of the chat, document and editor pages, at desktop and phone widths, light and
dark."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator

import pytest
from e2e.reading import SIDE_EFFECTS, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from e2e.services import Service, seed_folder, start_service
from playwright.sync_api import Browser, Page, expect

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


# --- the editor page with everything an editor can be shown: a removal to undo, recorded reader questions -------

TOKEN = "accessibility-token-0123456789"


def call(service: Service, method: str, path: str, body: dict | None = None) -> dict | None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    request = urllib.request.Request(f"{service.url}{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def recording_service(tmp_path_factory) -> Iterator[Service]:
    """A service recording every question, after readers asked (one question declined, one answer voted
    unhelpful) and an editor removed a document."""
    tmp_path = tmp_path_factory.mktemp("accessibility")
    folder = seed_folder(tmp_path / "corpus")
    (folder / "cobalt.txt").write_text("Cobalt Facts\n\nCobalt makes glass blue.\n", encoding="utf-8")
    running = start_service(folder, tmp_path / "server.log", {
        "QA_ADMIN_TOKEN": TOKEN, "QA_RECORD_QUESTIONS": "all",
        "QA_RECORD_FILE": str(tmp_path / "instance" / "questions.sqlite3")})
    try:
        answered = call(running, "POST", "/api/ask", {"question": SIDE_EFFECTS})
        call(running, "POST", "/api/ask", {"question": "What is the capital of Australia?"})
        call(running, "POST", "/api/feedback", {"answer_id": answered["answer_id"], "helpful": False,
                                                "comment": "I wanted to know how common they are."})
        call(running, "DELETE", "/api/documents/cobalt")
        # Each worker records off the answer's path, a moment after it answered.
        deadline = time.monotonic() + 10
        while not call(running, "GET", "/api/insights")["groups"]:
            assert time.monotonic() < deadline, "the declined question was never recorded"
            time.sleep(0.1)
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_the_editor_page_with_a_removal_to_undo_and_reader_questions_has_no_axe_violations(
        browser: Browser, recording_service: Service, viewport, scheme):
    context = browser.new_context(base_url=recording_service.url, viewport=viewport, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto("/admin")
        page.get_by_label("Token (the server").fill(TOKEN)
        page.get_by_role("button", name="Use token").click()

        expect(page.get_by_role("button", name="Undo removal of cobalt")).to_be_visible()
        expect(page.locator("#question-groups")).to_contain_text("“what is the capital of australia?”")
        expect(page.locator("#unhelpful")).to_contain_text("I wanted to know how common they are.")
        expect(page.locator("#questions-chart")).to_be_visible()
        assert_no_axe_violations(page)
    finally:
        context.close()
