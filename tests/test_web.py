"""The chat page as served: its form and landmarks, its static files, and nothing inline or from another host."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from qa_service import create_app

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
    [box] = page.find("input", id="question")
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
    [box] = PageParts(html).find("input", id="question")
    assert box["aria-describedby"] == "disclaimer"


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
    [box] = PageParts(app.test_client().get("/").get_data(as_text=True)).find("input", id="question")
    assert box["maxlength"] == "200"


@pytest.mark.parametrize(("name", "mimetype"), [("chat.js", "text/javascript"), ("style.css", "text/css")])
def test_static_files_are_served_by_the_app(client, page, name, mimetype):
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.get_data() == (STATIC / name).read_bytes()
    linked = [a.get("src") or a.get("href") for t, a in page.tags if t in {"script", "link"}]
    assert f"/static/{name}" in linked


def test_page_and_static_files_name_no_other_host(client, page):
    texts = [client.get("/").get_data(as_text=True)] + [p.read_text() for p in STATIC.iterdir()]
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
