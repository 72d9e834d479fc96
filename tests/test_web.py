"""The chat page as served: its form and landmarks, its static files, and nothing inline or from another host."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from qa_service import create_app, state

STATIC = Path(__file__).resolve().parent.parent / "qa_service" / "static"


class PageParts(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script> and <style>."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_code: list[str] = []
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in {"script", "style"}:
            self._open = tag

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def handle_data(self, data):
        if self._open and data.strip():
            self.inline_code.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]


@pytest.fixture
def page(client) -> PageParts:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return PageParts(response.get_data(as_text=True))


def corpus_app(tmp_path: Path, files: dict[str, str], **settings):
    folder = tmp_path / "other-corpus"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return create_app({"QA_CORPUS": str(folder), "QA_RELOAD_SECONDS": 0, **settings})


def test_page_has_a_labelled_question_box_in_a_form_that_posts_to_the_api(page):
    assert page.find("form", id="ask-form", action="/api/ask")
    assert page.find("label", for_="question")
    [box] = page.find("textarea", id="question")
    assert box["maxlength"] == "1000"
    assert page.find("button", type="submit", id="ask-button")
    assert page.find("button", type="button", id="new-conversation")


def test_page_has_a_polite_live_region_and_a_conversation_list(page):
    assert page.find("p", id="announcer", **{"aria-live": "polite"})
    assert page.find("ol", id="thread", **{"aria-label": "Conversation"})


def test_page_shows_the_notice_set_for_the_corpus_beside_the_question_box(tmp_path):
    notice = "Answers are quotations from the source, not medical advice."
    app = corpus_app(tmp_path, {"tides.txt": "Tides\n\nThe moon pulls the sea."}, QA_NOTICE=notice)
    html = app.test_client().get("/").get_data(as_text=True)

    assert f'<p class="disclaimer" id="disclaimer">{notice}</p>' in html
    [box] = PageParts(html).find("textarea", id="question")
    assert box["aria-describedby"] == "composer-keys disclaimer"


def test_page_shows_no_notice_unless_one_is_set(client):
    html = client.get("/").get_data(as_text=True)
    assert 'id="disclaimer"' not in html
    assert "medical advice" not in html


def test_page_suggests_questions_the_seed_article_defines_the_names_of(page):
    questions = [attrs["data-question"] for tag, attrs in page.tags if tag == "button" and "data-question" in attrs]
    assert questions[0] == "What is Keppra?"
    assert 3 <= len(questions) <= 4


def test_page_suggests_the_questions_of_a_faq_and_then_its_headings(tmp_path):
    faq = ("<main><h1>Pond FAQ</h1><h2>1.1. How deep should a pond be?</h2><p>At least 60 cm in one place.</p>"
           "<h2>Liners</h2><p>Most ponds need a liner.</p><p><b>Why is the water green?</b></p>"
           "<p>Algae thrive in sunlight.</p></main>")
    html = corpus_app(tmp_path, {"pond.html": faq}).test_client().get("/").get_data(as_text=True)
    questions = [attrs["data-question"] for tag, attrs in PageParts(html).tags
                 if tag == "button" and "data-question" in attrs]

    assert questions == ["How deep should a pond be?", "Why is the water green?", "Liners"]


def suggestions_of(app) -> list[str]:
    html = app.test_client().get("/").get_data(as_text=True)
    return [attrs["data-question"] for tag, attrs in PageParts(html).tags
            if tag == "button" and "data-question" in attrs]


def test_page_suggests_no_heading_that_names_no_topic(tmp_path):
    page = ("<main><h1>Assay notes</h1><h2>SHA: edfe02a438fa9b667313da8f03614303fc2a4a14</h2><p>Run on May 2.</p>"
            "<h2>(DOC)</h2><p>The supplement.</p><h2>Type of inhibition Ki mM IC 50 mM</h2><p>Mixed, 0.4.</p>"
            "<h2>There was season-to-season variability in the leading causes of</h2><p>illness.</p>"
            "<h2>Optimising the assay</h2><p>Dilute the serum first.</p></main>")
    assert suggestions_of(corpus_app(tmp_path, {"assay.html": page})) == ["Optimising the assay"]


def test_page_suggests_no_line_of_a_plain_text_that_only_looks_like_a_heading(tmp_path):
    # A plain text marks no headings: its short lines without a full stop are guesses, as often a field or a label.
    text = "Assay notes\n\nSHA: edfe02a438fa9b667313da8f03614303fc2a4a14\n\nREFERENCE\n\nDilute the serum first."
    assert suggestions_of(corpus_app(tmp_path, {"assay.txt": text})) == []


def test_page_offers_no_suggestions_for_a_corpus_with_no_questions_headings_or_names(tmp_path):
    app = corpus_app(tmp_path, {"tides.txt": "Tides\n\nThe moon pulls the sea into two bulges."})
    html = app.test_client().get("/").get_data(as_text=True)
    assert "data-question" not in html
    assert "<cite>Tides</cite>" in html


def test_page_escapes_markup_in_document_titles(tmp_path):
    app = corpus_app(tmp_path, {"markup.txt": "<script>alert(1)</script> notes\n\nThe tag is shown as text here."})
    html = app.test_client().get("/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; notes" in html
    assert "<script>alert(1)" not in html


def test_question_box_limit_follows_the_setting(tmp_path):
    app = corpus_app(tmp_path, {"tides.txt": "Tides\n\nThe moon pulls the sea."}, QA_MAX_QUESTION_CHARS=200)
    [box] = PageParts(app.test_client().get("/").get_data(as_text=True)).find("textarea", id="question")
    assert box["maxlength"] == "200"


@pytest.mark.parametrize(("name", "mimetype"), [("chat.js", "text/javascript"), ("style.css", "text/css")])
def test_static_files_are_served_by_the_app(client, page, name, mimetype):
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.get_data() == (STATIC / name).read_bytes()
    linked = [(a.get("src") or a.get("href")).split("?")[0] for t, a in page.tags if t in {"script", "link"}]
    assert f"/static/{name}" in linked


def test_page_and_static_files_name_no_other_host(client, page):
    # An SVG file's namespace is a name, not an address anything is loaded from.
    texts = [client.get("/").get_data(as_text=True)] + [
        p.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "") for p in STATIC.iterdir()]
    for text in texts:
        assert "http://" not in text and "https://" not in text
    for tag, attrs in page.tags:
        for name in ("src", "href", "action"):
            if attrs.get(name) is not None:
                assert attrs[name].startswith(("/", "#")) and not attrs[name].startswith("//"), (tag, attrs)


def test_page_has_no_inline_script_style_or_event_handler(page):
    assert page.inline_code == []
    assert page.find("style") == []
    for tag, attrs in page.tags:
        assert "style" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], tag
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/")


# --- the document a quote comes from ------------------------------------------------------------------------------


def blocks_of(html: str) -> list[tuple[str, int, int, str]]:
    """Each element carrying data-start/data-end on a page: its tag, offsets and text."""

    class Blocks(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found: list[list] = []
            self._open = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if "data-start" in attrs:
                self._open = [tag, int(attrs["data-start"]), int(attrs["data-end"]), ""]
                self.found.append(self._open)

        def handle_endtag(self, tag):
            if self._open and tag == self._open[0]:
                self._open = None

        def handle_data(self, data):
            if self._open:
                self._open[3] += data

    parser = Blocks()
    parser.feed(html)
    return [tuple(block) for block in parser.found]


def test_document_page_shows_every_paragraph_with_its_offsets_in_the_stored_text(client):
    stored = client.get("/api/documents/keppra-article").get_json()["text"]
    response = client.get("/documents/keppra-article")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    blocks = blocks_of(response.get_data(as_text=True))
    assert len(blocks) == 11
    for _, start, end, text in blocks:
        assert stored[start:end] == text
    assert blocks[0][0] == "h1" and blocks[0][3] == "Keppra and Its Potential in Migraine Management"
    assert [tag for tag, *_ in blocks[1:]] == ["p"] * 10


def test_document_page_links_back_to_the_conversation_and_loads_its_script(client):
    page = PageParts(client.get("/documents/keppra-article").get_data(as_text=True))
    assert [a for a in page.find("a") if a.get("href") == "/"]
    assert [s for s in page.find("script") if s["src"].startswith("/static/document.js")]
    assert page.inline_code == []


def test_document_page_shows_a_one_line_paragraph_without_a_full_stop_as_a_heading(tmp_path):
    app = corpus_app(tmp_path, {"tides.md": "# Tides\n\nThe moon pulls the sea.\n\n## Spring tides\n\n"
                                            "Spring tides are the largest."})
    blocks = blocks_of(app.test_client().get("/documents/tides").get_data(as_text=True))
    assert [(tag, text) for tag, _, _, text in blocks] == [
        ("h1", "Tides"), ("p", "The moon pulls the sea."),
        ("h2", "Spring tides"), ("p", "Spring tides are the largest."),
    ]


def test_document_page_shows_a_line_that_names_no_topic_as_text_not_as_a_heading(tmp_path):
    app = corpus_app(tmp_path, {"tides.txt": "Tides\n\nSHA: edfe02a438fa9b667313da8f03614303fc2a4a14\n\n"
                                             "Spring tides\n\nSpring tides are the largest."})
    blocks = blocks_of(app.test_client().get("/documents/tides").get_data(as_text=True))
    assert [(tag, text) for tag, _, _, text in blocks] == [
        ("h1", "Tides"), ("p", "SHA: edfe02a438fa9b667313da8f03614303fc2a4a14"),
        ("h2", "Spring tides"), ("p", "Spring tides are the largest."),
    ]


def test_document_page_shows_a_heading_the_format_marks_as_a_heading_whatever_it_looks_like(tmp_path):
    page = "<h1>Pond kit</h1><h2>pond_liner_v2x4</h2><p>A liner for ponds up to two metres deep.</p>"
    blocks = blocks_of(corpus_app(tmp_path, {"kit.html": page}).test_client().get("/documents/kit")
                       .get_data(as_text=True))
    assert [(tag, text) for tag, _, _, text in blocks] == [
        ("h1", "Pond kit"), ("h2", "pond_liner_v2x4"), ("p", "A liner for ponds up to two metres deep.")]


def test_document_page_shows_markup_in_a_document_as_text(tmp_path):
    app = corpus_app(tmp_path, {"markup.txt": "Notes\n\nThe tag <script>alert(1)</script> is shown as text here."})
    html = app.test_client().get("/documents/markup").get_data(as_text=True)
    assert "The tag &lt;script&gt;alert(1)&lt;/script&gt; is shown as text here." in html
    assert "<script>alert(1)" not in html


def test_an_unknown_document_page_is_a_404_page_that_says_so_and_links_back(client):
    response = client.get("/documents/no-such", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "No document with the id &#39;no-such&#39;." in html
    assert 'href="/"' in html


@pytest.mark.parametrize("accept", ["application/json", "*/*", None, "text/html;q=0, */*"])
def test_an_unknown_document_page_asked_for_by_a_program_is_the_json_error(client, accept: str | None):
    response = client.get("/documents/no-such", headers={"Accept": accept} if accept else {})

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_document"


def test_a_browser_that_accepts_anything_after_html_gets_the_page(client):
    response = client.get("/documents/no-such", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_page_offers_a_checkbox_per_document_when_the_corpus_has_more_than_one(tmp_path):
    app = corpus_app(tmp_path, {"tides.txt": "Tides\n\nThe moon pulls the sea.",
                                "winds.txt": "Winds\n\nThe sun warms the air."})
    page = PageParts(app.test_client().get("/").get_data(as_text=True))
    boxes = page.find("input", type="checkbox", name="documents")
    assert [(b["value"], b["data-title"]) for b in boxes] == [("tides", "Tides"), ("winds", "Winds")]
    assert all("checked" in b for b in boxes)


def test_page_offers_no_document_choice_for_a_single_document(page):
    assert page.find("input", type="checkbox") == []
    assert page.find("details", id="scope") == []


def test_document_page_says_when_the_document_changed_since_the_cited_version(client):
    current = client.get("/api/documents/keppra-article").get_json()["version"]

    assert "has changed since" not in client.get(f"/documents/keppra-article?version={current}").get_data(as_text=True)
    assert "has changed since" in client.get("/documents/keppra-article?version=0123456789abcdef").get_data(
        as_text=True)


def test_a_citation_of_a_replaced_version_shows_that_version_with_the_quote_where_it_stood(tmp_path):
    app = corpus_app(tmp_path, {"hours.txt": "Opening hours\n\nThe clinic opens at eight on weekdays."},
                     QA_SEMANTIC="off")
    client = app.test_client()
    cited = client.get("/api/documents/hours").get_json()
    state.store(app).put("hours", b"Opening hours\n\nThe clinic now opens at nine, and at ten on Fridays.", "text")

    page = client.get(f"/documents/hours?version={cited['version']}").get_data(as_text=True)

    texts = {text for _, _, _, text in blocks_of(page)}
    assert "The clinic opens at eight on weekdays." in texts
    assert [(start, end) for _, start, end, text in blocks_of(page) if text.startswith("The clinic")] == [
        (cited["text"].index("The clinic"), len(cited["text"]))]
    assert "This is the version the answer quoted from." in page and "read the current version" in page
    assert "may no longer be the quote" not in page


def test_a_citation_of_a_removed_document_shows_the_version_it_quoted_while_the_history_keeps_it(tmp_path):
    app = corpus_app(tmp_path, {"hours.txt": "Opening hours\n\nThe clinic opens at eight on weekdays."},
                     QA_SEMANTIC="off")
    client = app.test_client()
    cited = client.get("/api/documents/hours").get_json()["version"]
    state.store(app).delete("hours")

    page = client.get(f"/documents/hours?version={cited}", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "The document has been removed since." in page.get_data(as_text=True)
    assert client.get("/documents/hours", headers={"Accept": "text/html"}).status_code == 404


def long_corpus_app(tmp_path):
    entries = [f"Entry {n}. The keeper wound the clockwork of lamp {n % 7} at dusk and wrote it in the log."
               for n in range(1, 2001)]
    # The document page shows text and asks nothing of meaning: embedding 4,000 sentences would only take time.
    return corpus_app(tmp_path, {"log.txt": "Lighthouse log\n\n" + "\n\n".join(entries)}, QA_SEMANTIC="off")


def test_a_long_document_page_holds_its_first_section_and_the_addresses_of_the_others(tmp_path):
    client = long_corpus_app(tmp_path).test_client()
    stored = client.get("/api/documents/log").get_json()
    page = PageParts(client.get("/documents/log").get_data(as_text=True))

    # Section 0 is in the page; the others are fetched by document.js.
    sections = page.find("div", **{"class": "document-section"})
    assert len(sections) >= 3
    for number, section in enumerate(sections, start=1):
        assert section["data-src"] == f"/documents/log/sections/{number}?version={stored['version']}"
        assert int(section["data-chars"]) == int(section["data-section-end"]) - int(section["data-section-start"])
    assert len(blocks_of(client.get("/documents/log").get_data(as_text=True))) < 2001


def test_the_sections_of_a_long_document_hold_every_paragraph_once_in_order(tmp_path):
    client = long_corpus_app(tmp_path).test_client()
    stored = client.get("/api/documents/log").get_json()
    html = client.get("/documents/log").get_data(as_text=True)
    blocks = [(start, end, text) for _, start, end, text in blocks_of(html)]
    addresses = [s["data-src"] for s in PageParts(html).find("div", **{"class": "document-section"})]

    for address in addresses:
        response = client.get(address)
        assert response.status_code == 200
        blocks += [(b["start"], b["end"], b["text"]) for b in response.get_json()["blocks"]]

    assert len(blocks) == 2001
    assert [start for start, _, _ in blocks] == sorted(start for start, _, _ in blocks)
    for start, end, text in blocks:
        assert stored["text"][start:end] == text


def test_a_short_document_page_is_one_section(client):
    assert PageParts(client.get("/documents/keppra-article").get_data(as_text=True)).find(
        "div", **{"class": "document-section"}) == []


def test_the_later_sections_of_a_replaced_version_a_citation_opened_come_from_that_version(tmp_path):
    app = long_corpus_app(tmp_path)
    client = app.test_client()
    cited = client.get("/api/documents/log").get_json()
    state.store(app).put("log", b"Lighthouse log\n\nThe log was moved to the harbour office.", "text")
    addresses = [s["data-src"] for s in PageParts(client.get(f"/documents/log?version={cited['version']}")
                                                  .get_data(as_text=True)).find("div", **{"class": "document-section"})]

    blocks = client.get(addresses[-1]).get_json()["blocks"]

    assert blocks and all(cited["text"][b["start"]:b["end"]] == b["text"] for b in blocks)


def test_a_section_of_another_version_is_a_409_saying_to_reload(tmp_path):
    client = long_corpus_app(tmp_path).test_client()
    response = client.get("/documents/log/sections/0?version=0123456789abcdef")

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "document_changed"
    assert "reload the page" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("path", "code"), [("/documents/no-such/sections/0", "unknown_document"),
                                            ("/documents/log/sections/999", "unknown_section")])
def test_an_unknown_document_or_section_is_a_json_404(tmp_path, path, code):
    response = long_corpus_app(tmp_path).test_client().get(path)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == code
