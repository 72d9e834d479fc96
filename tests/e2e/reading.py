"""What the chat and document page tests do as a reader would: ask with the keyboard, check with axe-core."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

SIDE_EFFECTS = "What are the common side effects of Keppra?"
RARE_ONES = "What about rare ones?"
DOSING = "How is Keppra dosed for migraine prevention?"
TITLE = "Keppra and Its Potential in Migraine Management"
# The long document of the test corpus (conftest.long_document) has this many entries, one paragraph each.
LONG_DOCUMENT_PARAGRAPHS = 3000


def ask_with_keyboard(page: Page, question: str) -> tuple[Locator, dict]:
    """Type the question, press Enter, and return the new turn once its reply is shown, and the request body."""
    turn = page.locator(".turn").nth(page.locator(".turn").count())
    page.get_by_label("Your question").focus()
    page.keyboard.type(question)
    with page.expect_request("**/api/ask") as sent:
        page.keyboard.press("Enter")
    expect(turn.locator(".reply-answer, .reply-declined, .reply-note, .reply-error")).to_be_visible()
    return turn, sent.value.post_data_json


def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on the page as it is now, one line each ("rule: what, where")."""
    if not AXE.exists():
        raise AssertionError(f"axe-core is missing at {AXE}: run scripts/test.sh, which runs npm ci")
    # The page's Content-Security-Policy refuses a <script> element the test would add, so axe-core is evaluated
    # in the page instead, as the browser's developer tools would.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate("""async () => {
        const results = await window.axe.run(document, { resultTypes: ["violations"] });
        const where = (v) => v.nodes.map((n) => n.target.join(" ")).join(", ");
        return results.violations.map((v) => `${v.id}: ${v.help} (${where(v)})`);
    }""")
    return results


def assert_no_axe_violations(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], "\n".join(violations)
