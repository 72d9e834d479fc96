"""Limiting a question to some of the documents, in headless Chromium (the test corpus has three; the later tests
run their own service, whose documents share a title and are removed by an editor while a reader has them chosen)."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator

import pytest
from e2e.reading import SIDE_EFFECTS, TITLE, VIEWPORTS, ask_with_keyboard, assert_no_axe_violations
from e2e.services import Service, seed_folder, start_service
from playwright.sync_api import Browser, Page, expect

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


# --- documents that share a title, and documents an editor removes while a reader has them chosen --------------

TOKEN = "document-choice-token-0123456789"
LITHIUM_NOTES = {
    "lithium-1": "Lithium Notes\n\nLithium is the lightest metal, so light that it floats on oil.\n",
    "lithium-2": "Lithium Notes\n\nLithium batteries power phones, laptops and electric cars.\n",
    "lithium-3": "Lithium Notes\n\nLithium salts steady the mood of people with bipolar disorder.\n",
}
LIGHTEST = "Which metal is so light that it floats on oil?"


@pytest.fixture(scope="module")
def lithium_service(tmp_path_factory) -> Iterator[Service]:
    """The Keppra article and three documents all titled "Lithium Notes", with writes on."""
    folder = seed_folder(tmp_path_factory.mktemp("choice") / "corpus")
    for doc_id, text in LITHIUM_NOTES.items():
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    running = start_service(folder, folder.parent / "server.log", {"QA_ADMIN_TOKEN": TOKEN})
    try:
        yield running
    finally:
        running.stop()


def write(service: Service, method: str, doc_id: str, text: str | None = None) -> int:
    request = urllib.request.Request(f"{service.url}/api/documents/{doc_id}", method=method,
                                     data=text.encode() if text is not None else None,
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


@pytest.fixture
def remove(lithium_service: Service) -> Iterator[Callable[[str], None]]:
    """Removes a document as an editor elsewhere would (DELETE); it is put back after the test."""
    removed: list[str] = []

    def removing(doc_id: str) -> None:
        assert write(lithium_service, "DELETE", doc_id) == 204
        removed.append(doc_id)

    yield removing
    for doc_id in removed:
        write(lithium_service, "PUT", doc_id, LITHIUM_NOTES[doc_id])


@pytest.fixture
def lithium_page(browser: Browser, lithium_service: Service) -> Iterator[Page]:
    """The chat page of that corpus, in a desktop tab that must not throw or open a dialog."""
    context = browser.new_context(base_url=lithium_service.url, viewport=VIEWPORTS["desktop"])
    problems: list[str] = []
    tab = context.new_page()
    tab.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.goto("/")
    yield tab
    context.close()
    assert problems == []


def choose_only(page: Page, *names: str) -> None:
    page.locator(".scope-summary").click()
    for box in page.locator("input[name=documents]").all():
        label = box.locator("xpath=..").inner_text()
        if label not in names:
            box.uncheck()


def test_documents_of_one_title_are_told_apart_by_their_id_in_the_chooser(lithium_page: Page):
    page = lithium_page
    page.locator(".scope-summary").click()

    names = [box.locator("xpath=..").inner_text() for box in page.locator("input[name=documents]").all()]
    assert names == [TITLE, "Lithium Notes (lithium-1)", "Lithium Notes (lithium-2)", "Lithium Notes (lithium-3)"]
    page.get_by_role("checkbox", name=TITLE).uncheck()
    page.get_by_role("checkbox", name="Lithium Notes (lithium-3)").uncheck()
    turn, sent = ask_with_keyboard(page, LIGHTEST)
    assert sent["documents"] == ["lithium-1", "lithium-2"]
    expect(turn.locator(".reply-scope")).to_have_text(
        "Searched only “Lithium Notes (lithium-1)”, “Lithium Notes (lithium-2)”.")


def test_a_chosen_document_an_editor_removed_is_dropped_and_the_question_answered_from_the_rest(
        lithium_page: Page, remove):
    page = lithium_page
    choose_only(page, "Lithium Notes (lithium-1)", "Lithium Notes (lithium-2)")
    expect(page.locator(".scope-summary")).to_have_text("Searching 2 of 4 documents")
    remove("lithium-2")
    sent = []
    page.on("request", lambda request: sent.append(request.post_data_json) if request.url.endswith("/api/ask")
            else None)

    turn, _ = ask_with_keyboard(page, LIGHTEST)

    expect(turn.locator(".reply-answer")).to_be_visible()
    expect(turn.locator(".reply-dropped")).to_have_text(
        "“Lithium Notes (lithium-2)” is no longer in the source, so it was left out of the search.")
    expect(turn.locator(".reply-scope")).to_have_text("Searched only “Lithium Notes (lithium-1)”.")
    expect(turn.locator("blockquote")).to_contain_text("floats on oil")
    assert [body["documents"] for body in sent] == [["lithium-1", "lithium-2"], ["lithium-1"]]
    # The chooser lists the corpus as it is now, with the reader's remaining choice kept.
    expect(page.get_by_role("checkbox", name="Lithium Notes (lithium-2)")).to_have_count(0)
    expect(page.locator(".scope-summary")).to_have_text("Searching 1 of 3 documents")
    expect(page.locator("#announcer")).to_contain_text("is no longer in the source")
    assert_no_axe_violations(page)

    following, sent_next = ask_with_keyboard(page, "What do lithium batteries power?")
    assert sent_next["documents"] == ["lithium-1"]
    expect(following.locator(".reply-answer, .reply-declined")).to_be_visible()
    page.reload()
    expect(page.locator(".reply-dropped").first).to_have_text(
        "“Lithium Notes (lithium-2)” is no longer in the source, so it was left out of the search.")


def test_when_no_chosen_document_is_left_the_reader_is_asked_to_choose_again(lithium_page: Page, remove):
    page = lithium_page
    choose_only(page, "Lithium Notes (lithium-2)")
    page.locator(".scope-summary").click()  # closed again, as a reader leaves it
    remove("lithium-2")

    turn, _ = ask_with_keyboard(page, "What do lithium batteries power?")

    expect(turn.locator(".reply-error")).to_contain_text(
        "“Lithium Notes (lithium-2)” is no longer in the source, and nothing else you chose is left. Choose the "
        "documents to search in (all 3 are chosen now), then ask again.")
    expect(page.locator("#scope")).to_have_attribute("open", "")
    expect(page.locator(".scope-summary")).to_have_text("Searching all 3 documents")
    expect(page.get_by_label("Your question")).to_have_value("What do lithium batteries power?")
    assert_no_axe_violations(page)

    page.get_by_label("Your question").press("Enter")
    expect(page.locator(".turn").nth(1).locator(".reply-answer, .reply-declined")).to_be_visible()
