"""The editor page (/admin) in headless Chromium against the real service: token, upload, replace, remove, history,
undoing a removal, recent changes, the reader questions view, and the page on a phone."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.services import Service, seed_folder, start_service
from playwright.sync_api import Browser, Page, expect
from sample_files import two_column_pdf, word_document

pytestmark = pytest.mark.e2e

TOKEN = "admin-page-token-0123456789"
MARKUP_TITLE = "<img src=x onerror=alert(1)> Tricky"


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    tmp_path = tmp_path_factory.mktemp("admin")
    folder = seed_folder(tmp_path / "corpus")
    running = start_service(folder, tmp_path / "server.log", {
        "QA_ADMIN_TOKEN": TOKEN, "QA_RECORD_QUESTIONS": "declined",
        "QA_RECORD_FILE": str(tmp_path / "instance" / "questions.sqlite3")})
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def admin(browser: Browser, service: Service) -> Iterator[Page]:
    """The editor page in a fresh tab; the tab must not throw, open a dialog, or reach another host."""
    context = browser.new_context(base_url=service.url, viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(service.url)
                  else (problems.append(route.request.url), route.abort()))
    tab = context.new_page()
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error"
           and not message.text.startswith("Failed to load resource") else None)
    tab.goto("/admin")
    yield tab
    context.close()
    assert problems == []


def api(service: Service, path: str) -> dict:
    with urllib.request.urlopen(f"{service.url}{path}", timeout=10) as response:
        return json.load(response)


def served_ids(service: Service) -> list[str]:
    return [d["id"] for d in api(service, "/api/documents")["documents"]]


def enter_token(page: Page, token: str = TOKEN) -> None:
    page.get_by_label("Token (the server").fill(token)
    page.get_by_role("button", name="Use token").click()
    expect(page.locator("#status")).to_have_text("Token accepted: signed in as admin for this tab.")


def upload(page: Page, name: str, content: str, mime: str = "text/plain", doc_id: str = "") -> None:
    page.locator("#upload-file").set_input_files({"name": name, "mimeType": mime, "buffer": content.encode()})
    page.locator("#upload-id").fill(doc_id)
    page.get_by_role("button", name="Upload").click()


def row(page: Page, doc_id: str):
    return page.locator(f'#documents tr[data-id="{doc_id}"]')


def test_the_page_lists_the_documents_with_no_inline_script_or_style(admin: Page, service: Service):
    expect(row(admin, "keppra-article")).to_contain_text("Keppra and Its Potential in Migraine Management")
    assert admin.locator("script:not([src])").count() == 0
    assert admin.locator("style, [style]").count() == 0
    response = admin.request.get(f"{service.url}/admin")
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_a_change_without_the_token_is_not_sent(admin: Page, service: Service):
    upload(admin, "lithium.txt", "Lithium is a soft metal.")

    expect(admin.locator("#status")).to_have_text("Enter the admin token first.")
    assert "lithium" not in served_ids(service)


def test_the_token_is_kept_in_session_storage_only(admin: Page):
    enter_token(admin)

    assert admin.evaluate("sessionStorage.getItem('qa-admin-token')") == TOKEN
    assert admin.evaluate("localStorage.length") == 0
    assert admin.evaluate("document.cookie") == ""
    assert admin.get_by_label("Token (the server").input_value() == ""
    admin.get_by_role("button", name="Forget").click()
    assert admin.evaluate("sessionStorage.getItem('qa-admin-token')") is None


def test_a_wrong_token_is_refused_as_soon_as_it_is_entered(admin: Page, service: Service):
    admin.get_by_label("Token (the server").fill("not-the-admin-token-at-all")
    admin.get_by_role("button", name="Use token").click()

    expect(admin.locator("#status")).to_contain_text("The token was refused: The admin token is wrong.")
    expect(admin.get_by_label("Token (the server")).to_be_focused()
    assert admin.evaluate("sessionStorage.getItem('qa-admin-token')") is None
    upload(admin, "lithium.txt", "Lithium is a soft metal.")
    expect(admin.locator("#status")).to_have_text("Enter the admin token first.")
    assert "lithium" not in served_ids(service)


def test_upload_adds_a_document_named_after_the_file_and_answers_quote_it(admin: Page, service: Service,
                                                                         output_dir: Path):
    enter_token(admin)
    upload(admin, "Copper notes.md", "# Copper notes\n\nCopper conducts electricity and heat very well.",
           "text/markdown")

    expect(admin.locator("#status")).to_contain_text("Added Copper-notes")
    expect(row(admin, "Copper-notes")).to_contain_text("markdown")
    admin.screenshot(path=str(output_dir / "admin-after-upload.png"), full_page=True)
    assert "Copper-notes" in served_ids(service)


def test_an_accented_file_name_gives_an_id_of_its_letters_without_their_accents(admin: Page, service: Service):
    enter_token(admin)
    upload(admin, "ünï.txt", "Uni Facts\n\nA name of accented letters keeps its letters in the id.")

    expect(admin.locator("#status")).to_contain_text("Added uni ")
    assert "uni" in served_ids(service)
    assert "n" not in served_ids(service)


@pytest.mark.parametrize("name", ["日本.txt", "ü.txt", "--.txt"])
def test_a_file_name_with_too_little_to_make_an_id_of_asks_the_editor_for_one(admin: Page, service: Service, name):
    before = served_ids(service)
    enter_token(admin)
    upload(admin, name, "Nameless Facts\n\nThis file's name holds no id.")

    expect(admin.locator("#status")).to_have_text(f"No id can be made from the name “{name}”: enter an id for it.")
    expect(admin.locator("#upload-id")).to_be_focused()
    assert served_ids(service) == before

    admin.locator("#upload-id").fill("nameless")
    admin.get_by_role("button", name="Upload").click()
    expect(admin.locator("#status")).to_contain_text("Added nameless")
    admin.request.delete(f"{service.url}/api/documents/nameless", headers={"Authorization": f"Bearer {TOKEN}"})


def test_an_upload_over_a_file_the_service_could_not_read_says_where_that_file_was_moved(admin: Page,
                                                                                        service: Service):
    corpus = service.log.parent / "corpus"
    (corpus / "manganese.txt").write_bytes("Manganese notes\n\nManganese is hard; caf\u00e9 talk.\n".encode("latin-1"))
    enter_token(admin)
    upload(admin, "manganese.md", "# Manganese notes\n\nManganese is a hard metal.", "text/markdown")

    expect(admin.locator("#status")).to_contain_text("Added manganese")
    expect(admin.locator("#status")).to_contain_text("-manganese.txt held this id but could not be served; it was "
                                                     "moved there on the server, not deleted.")
    [kept] = (corpus / ".qa-history" / "set-aside").glob("*-manganese.txt")
    assert kept.read_bytes().endswith("caf\u00e9 talk.\n".encode("latin-1"))


def test_uploading_over_an_existing_id_asks_before_replacing(admin: Page, service: Service):
    enter_token(admin)
    upload(admin, "zinc.txt", "Zinc Facts\n\nZinc is a bluish metal.")
    expect(admin.locator("#status")).to_contain_text("Added zinc")

    upload(admin, "zinc.txt", "Zinc Facts\n\nZinc is used to galvanise steel.")
    expect(admin.locator("#replace-confirm")).to_be_visible()
    assert "bluish" in api(service, "/api/documents/zinc")["text"]
    admin.get_by_role("button", name="Replace it").click()

    expect(admin.locator("#status")).to_contain_text("Replaced zinc")
    assert "galvanise" in api(service, "/api/documents/zinc")["text"]


def test_a_row_can_be_replaced_from_a_file(admin: Page, service: Service):
    enter_token(admin)
    upload(admin, "tin.txt", "Tin Facts\n\nTin is soft.")
    expect(row(admin, "tin")).to_be_visible()

    row(admin, "tin").locator('input[type="file"]').set_input_files(
        {"name": "tin-v2.html", "mimeType": "text/html", "buffer": b"<h1>Tin</h1><p>Tin resists corrosion.</p>"})

    expect(admin.locator("#status")).to_contain_text("Replaced tin")
    expect(row(admin, "tin")).to_contain_text("html")
    assert api(service, "/api/documents/tin")["text"] == "Tin\n\nTin resists corrosion."


def test_remove_asks_for_confirmation_and_cancel_keeps_the_document(admin: Page, service: Service):
    enter_token(admin)
    upload(admin, "lead.txt", "Lead Facts\n\nLead is heavy.")
    expect(row(admin, "lead")).to_be_visible()

    row(admin, "lead").get_by_role("button", name="Remove lead").click()
    row(admin, "lead").get_by_role("button", name="Cancel").click()
    assert "lead" in served_ids(service)

    row(admin, "lead").get_by_role("button", name="Remove lead").click()
    row(admin, "lead").get_by_role("button", name="Yes, remove").click()

    expect(admin.locator("#status")).to_have_text("Removed lead.")
    expect(row(admin, "lead")).to_have_count(0)
    assert "lead" not in served_ids(service)


def test_markup_in_a_title_is_shown_as_text(admin: Page):
    enter_token(admin)
    upload(admin, "tricky.html", f"<title>{MARKUP_TITLE.replace('<', '&lt;')}</title><p>Tricky text is here.</p>",
           "text/html")

    expect(row(admin, "tricky").locator("td").nth(1)).to_have_text(MARKUP_TITLE)
    assert admin.locator("#documents img").count() == 0


@pytest.mark.parametrize(("name", "mime", "doc_id", "kind"), [
    ("Lithium handbook.pdf", "application/pdf", "Lithium-handbook", "pdf"),
    ("Sodium guide.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Sodium-guide",
     "docx"),
])
def test_a_pdf_or_word_file_is_uploaded_as_its_bytes_and_served(admin: Page, service: Service, name, mime, doc_id,
                                                                 kind):
    made = two_column_pdf() if kind == "pdf" else word_document()
    enter_token(admin)
    admin.locator("#upload-file").set_input_files({"name": name, "mimeType": mime, "buffer": made})
    admin.get_by_role("button", name="Upload").click()

    expect(admin.locator("#status")).to_contain_text(f"Added {doc_id}")
    expect(row(admin, doc_id)).to_contain_text(kind)
    assert doc_id in served_ids(service)


# --- history, removals, recent changes ------------------------------------------------------------------------


def test_a_version_is_restored_from_the_history_with_its_exact_text(admin: Page, service: Service):
    enter_token(admin)
    upload(admin, "nickel.txt", "Nickel Facts\n\nNickel is hard and ductile.")
    expect(row(admin, "nickel")).to_be_visible()
    expect(row(admin, "nickel").get_by_role("button", name="History of nickel")).to_be_focused()
    row(admin, "nickel").locator('input[type="file"]').set_input_files(
        {"name": "nickel.txt", "mimeType": "text/plain", "buffer": b"Nickel Facts\n\nA careless edit."})
    expect(admin.locator("#status")).to_contain_text("Replaced nickel")

    row(admin, "nickel").get_by_role("button", name="History of nickel").click()
    expect(admin.locator("#history-title")).to_be_focused()
    admin.locator("#versions").get_by_role("button", name="Restore").click()

    expect(admin.locator("#status")).to_contain_text("Restored nickel")
    expect(admin.locator("#history-title")).to_be_focused()
    assert api(service, "/api/documents/nickel")["text"] == "Nickel Facts\n\nNickel is hard and ductile."
    expect(admin.locator("#changes")).to_contain_text("admin restored nickel")


def test_a_restore_from_a_row_drawn_before_the_editors_own_write_restores(admin: Page, service: Service):
    enter_token(admin)
    upload(admin, "vanadium.txt", "Vanadium Facts\n\nVanadium is hard and blue.")
    expect(row(admin, "vanadium")).to_be_visible()
    # The list as it was before the replacement: the rows keep showing the version the write replaces, as they do
    # until the page's reload of the list arrives.
    stale = json.dumps(api(service, "/api/documents"))
    admin.route("**/api/documents", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                body=stale))
    row(admin, "vanadium").locator('input[type="file"]').set_input_files(
        {"name": "vanadium.txt", "mimeType": "text/plain", "buffer": b"Vanadium Facts\n\nA careless edit."})
    expect(admin.locator("#status")).to_contain_text("Replaced vanadium")

    row(admin, "vanadium").get_by_role("button", name="History of vanadium").click()
    admin.locator("#versions").get_by_role("button", name="Restore").click()

    expect(admin.locator("#status")).to_contain_text("Restored vanadium")
    assert api(service, "/api/documents/vanadium")["text"] == "Vanadium Facts\n\nVanadium is hard and blue."


def test_a_removal_is_undone_from_the_page_and_focus_follows(admin: Page, service: Service):
    enter_token(admin)
    upload(admin, "cobalt.txt", "Cobalt Facts\n\nCobalt makes blue glass.")
    expect(row(admin, "cobalt")).to_be_visible()

    row(admin, "cobalt").get_by_role("button", name="Remove cobalt").click()
    row(admin, "cobalt").get_by_role("button", name="Yes, remove").click()
    undo = admin.get_by_role("button", name="Undo removal of cobalt")
    expect(undo).to_be_focused()
    assert "cobalt" not in served_ids(service)
    admin.keyboard.press("Enter")

    expect(admin.locator("#status")).to_contain_text("Brought back cobalt")
    expect(row(admin, "cobalt").get_by_role("button", name="History of cobalt")).to_be_focused()
    assert api(service, "/api/documents/cobalt")["text"] == "Cobalt Facts\n\nCobalt makes blue glass."


# --- what readers could not find ------------------------------------------------------------------------------


def post(service: Service, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{service.url}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def insights(service: Service) -> dict:
    request = urllib.request.Request(f"{service.url}/api/insights", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def wait_until_recorded(service: Service, count: int) -> None:
    # Each worker records off the answer's path, a moment after it answered.
    deadline = time.monotonic() + 10
    while sum(g["count"] for g in insights(service)["groups"]) < count:
        assert time.monotonic() < deadline, insights(service)
        time.sleep(0.1)


@pytest.fixture(scope="module")
def reader_questions(service: Service) -> dict:
    """Questions readers asked: one declined three times and once in other words, one other; an unhelpful vote."""
    # Earlier tests changed the corpus: ask once it answers by meaning again, as it will until the next write.
    deadline = time.monotonic() + 120
    while api(service, "/api/corpus")["answering_by"] != "reading":
        assert time.monotonic() < deadline, "the changed corpus was never embedded"
        time.sleep(0.2)
    # About nothing the corpus holds, which by then is the Keppra article and short notes on metals.
    for question in ("What is the capital of Australia?", "what is the capital of australia?",
                     "Which city is the capital of Australia?", "What is the capital of Australia?",
                     "Who won the 1998 football World Cup?"):
        post(service, "/api/ask", {"question": question})
    answered = post(service, "/api/ask", {"question": "What are the common side effects of Keppra?"})
    post(service, "/api/feedback", {"answer_id": answered["answer_id"], "helpful": False,
                                    "comment": "I wanted to know how common they are."})
    wait_until_recorded(service, 5)
    return answered


def test_the_reader_questions_view_groups_counts_and_links_back_to_the_chat(admin: Page, reader_questions: dict,
                                                                           output_dir: Path):
    enter_token(admin)
    groups = admin.locator("#question-groups > li")

    expect(groups.first).to_contain_text("“what is the capital of australia?” asked 4 times")
    expect(groups.first).to_contain_text("“which city is the capital of australia?” (1)")
    assert groups.first.get_by_role("link", name="Ask it again: “what is the capital of australia?”, in the chat page"
                                    ).get_attribute("href") == "/?q=what+is+the+capital+of+australia%3F"
    expect(admin.locator("#unhelpful")).to_contain_text(reader_questions["quotes"][0]["text"])
    expect(admin.locator("#unhelpful")).to_contain_text("I wanted to know how common they are.")
    assert admin.locator("#questions-svg rect").count() == 60
    expect(admin.locator("#questions-chart-caption")).to_contain_text("not answered")
    assert admin.locator("style, [style]").count() == 0
    admin.locator("section", has=admin.locator("#questions-title")).screenshot(
        path=str(output_dir / "admin-reader-questions.png"))


def test_exports_download_as_csv_and_json(admin: Page, reader_questions: dict):
    enter_token(admin)

    with admin.expect_download() as csv_download:
        admin.get_by_role("button", name="Export as CSV").click()
    with admin.expect_download() as json_download:
        admin.get_by_role("button", name="Export as JSON").click()

    assert csv_download.value.suggested_filename == "reader-questions.csv"
    assert Path(csv_download.value.path()).read_text().startswith("kind,group,question,count")
    exported = json.loads(Path(json_download.value.path()).read_text())
    assert {q["question"] for q in exported["questions"]} >= {"what is the capital of australia?"}


def test_a_group_marked_handled_leaves_the_view_and_focus_moves_to_the_next(admin: Page, reader_questions: dict):
    enter_token(admin)
    groups = admin.locator("#question-groups > li")
    expect(groups).to_have_count(2)

    groups.first.get_by_role("button").click()

    expect(groups).to_have_count(1)
    expect(groups.first.get_by_role("button")).to_be_focused()
    expect(admin.locator("#status")).to_contain_text("Marked handled")


# --- a phone --------------------------------------------------------------------------------------------------


def test_on_a_375_px_phone_nothing_spills_sideways_and_ids_stay_readable(browser: Browser, service: Service,
                                                                        output_dir: Path):
    context = browser.new_context(base_url=service.url, viewport={"width": 375, "height": 800}, is_mobile=True,
                                  has_touch=True)
    tab = context.new_page()
    tab.goto("/admin")
    expect(row(tab, "keppra-article")).to_be_visible()

    width = tab.evaluate("document.documentElement.scrollWidth")
    id_box = row(tab, "keppra-article").locator("code").first.bounding_box()
    tab.screenshot(path=str(output_dir / "admin-phone.png"), full_page=True)
    context.close()

    assert width <= 375
    assert id_box["width"] > 80 and id_box["height"] < 40
