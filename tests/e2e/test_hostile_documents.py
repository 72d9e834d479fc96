"""Hostile documents in headless Chromium: markup, javascript: links, event attributes and entities in the corpus
show as text on the chat and editor pages; no script runs, no dialog opens, and the pages break no CSP rule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, expect
from services import Service, seed_folder, start_service

pytestmark = pytest.mark.e2e

# Plain text keeps markup as written: every character below must reach the reader as text.
HOSTILE_TEXT = """Warfarin notes

Warfarin tablets interact with <script>alert("text-script")</script> many green vegetables and foods.

The warfarin leaflet link javascript:alert("text-link") is printed as text and never becomes a link.

The warfarin tag <img src=x onerror=alert("text-img")> and <svg onload=alert("text-svg")> stay as written.

Warfarin entities such as &lt;b&gt; and &amp;amp; are not decoded in plain text.
"""

# HTML is cleaned to its text: tags and attributes go, entities are decoded, so the decoded markup is text.
HOSTILE_PAGE = """<!doctype html><html><head>
<title>Aspirin &lt;img src=x onerror=alert("title")&gt; guide</title>
<script>alert("page-script")</script>
</head><body onload="alert('onload')"><article>
<h1>Aspirin &lt;script&gt;alert("heading")&lt;/script&gt; guide</h1>
<p onmouseover="alert('onmouseover')">Aspirin thins the blood &lt;script&gt;alert("entity")&lt;/script&gt; in most
adults who take aspirin daily.</p>
<p>Read <a href="javascript:alert('href')">the aspirin leaflet</a> before taking aspirin tablets with food.</p>
<iframe src="javascript:alert('iframe')"></iframe>
</article></body></html>
"""

# Recorded from inside the page, before any of its own scripts run.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@dataclass
class Misdeeds:
    """What a page must never do: open a dialog, throw, break the CSP, or add script, image or link elements."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp_reports: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("hostile")
    corpus = seed_folder(folder / "corpus")
    (corpus / "warfarin-notes.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    (corpus / "aspirin-guide.html").write_text(HOSTILE_PAGE, encoding="utf-8")
    running = start_service(corpus, folder / "server.log", {"QA_ADMIN_TOKEN": "hostile-documents-token-0123"})
    yield running
    running.stop()


@pytest.fixture(params=[False, True], ids=["with-csp", "csp-bypassed"])
def tab(request, browser: Browser, service: Service) -> Iterator[tuple[Page, Misdeeds]]:
    """A tab on the service; with the CSP bypassed, the pages' own text handling alone must keep markup inert."""
    context = browser.new_context(base_url=service.url, bypass_csp=request.param)
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    misdeeds = Misdeeds()
    page.on("dialog", lambda dialog: (misdeeds.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: misdeeds.errors.append(str(error)))
    page.on("console", lambda message: misdeeds.csp_reports.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page, misdeeds
    context.close()


def ask(page: Page, question: str):
    turn = page.locator(".turn").nth(page.locator(".turn").count())
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    expect(turn.locator(".reply-answer, .reply-declined, .reply-error")).to_be_visible()
    return turn


def assert_inert(page: Page, misdeeds: Misdeeds, region: str) -> None:
    # Give an injected handler (onerror of a broken image, onload) the moment it would need to fire.
    page.wait_for_timeout(300)
    assert page.locator(f"{region} script, {region} img, {region} iframe, {region} svg [onload]").count() == 0
    assert page.locator(f"{region} a[href^='javascript:' i], {region} [onerror], {region} [onload]").count() == 0
    assert misdeeds == Misdeeds()
    assert page.evaluate("window.__violations") == []


def test_markup_in_quotes_and_titles_shows_as_text_on_the_chat_page(tab):
    page, misdeeds = tab
    page.goto("/")
    expect(page.locator(".welcome-source")).to_contain_text('Aspirin <script>alert("heading")</script> guide')

    warfarin = ask(page, "How do warfarin tablets interact with green vegetables?")
    expect(warfarin.locator("blockquote").first).to_contain_text('<script>alert("text-script")</script>')
    aspirin = ask(page, "Does aspirin thin the blood in adults?")
    expect(aspirin.locator("blockquote").first).to_contain_text('<script>alert("entity")</script>')
    expect(aspirin.locator("figcaption").first).to_contain_text('Aspirin <script>alert("heading")</script> guide')
    tags = ask(page, "Which warfarin tag stays as written?")
    expect(tags.locator("blockquote").first).to_contain_text('<img src=x onerror=alert("text-img")>')
    tags.locator(".context-toggle").first.click()
    expect(tags.locator(".context").first).to_contain_text('<svg onload=alert("text-svg")>')
    link = ask(page, "Is the warfarin leaflet link printed as text?")
    expect(link.locator("blockquote").first).to_contain_text('javascript:alert("text-link")')

    assert_inert(page, misdeeds, "#thread")
    assert_inert(page, misdeeds, "#welcome")


def test_markup_in_titles_shows_as_text_on_the_editor_page(tab):
    page, misdeeds = tab
    page.goto("/admin")

    expect(page.locator('#documents tr[data-id="aspirin-guide"]')).to_contain_text(
        'Aspirin <script>alert("heading")</script> guide')
    expect(page.locator('#documents tr[data-id="warfarin-notes"]')).to_contain_text("Warfarin notes")
    assert_inert(page, misdeeds, "#documents")


def test_asking_on_the_chat_page_breaks_no_rule_of_the_content_security_policy(browser: Browser, service: Service):
    context = browser.new_context(base_url=service.url)
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    reports: list[str] = []
    page.on("console", lambda message: reports.append(message.text) if message.type == "error" else None)
    page.goto("/")
    turn = ask(page, "What are the common side effects of Keppra?")
    expect(turn.locator(".quote").first).to_be_visible()
    turn.locator(".context-toggle").first.click()
    page.get_by_role("button", name="New conversation").click()
    page.goto("/admin")
    expect(page.locator('#documents tr[data-id="keppra-article"]')).to_be_visible()
    violations = page.evaluate("window.__violations")
    context.close()

    assert violations == []
    assert [r for r in reports if "Content Security Policy" in r] == []
