"""HTML pages of several kinds (tests/pages/, see LICENSES.md there): the main content is read, the furniture around
it is not, every paragraph is verbatim in what the page shows, and FAQ questions are marked as such."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from qa_service.document_analysis import analyse
from qa_service.documents import parse_document

PAGES = Path(__file__).resolve().parent / "pages"
DEBIAN_FAQ = Path(__file__).resolve().parents[2] / "shared" / "eval" / "corpora" / "debianfaq" / "basic-defs.html"


BLOCK_TAG = re.compile(r"</?(?:address|article|aside|blockquote|br|caption|dd|details|div|dl|dt|figcaption|figure|"
                       r"footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|summary|table|tbody|td|tfoot|"
                       r"th|thead|title|tr|ul)\b[^>]*>", re.I)


def visible_text(page: str) -> str:
    """What a browser shows of a page, white space folded, as ../shared/eval/score_html.py checks quotes: block
    elements on lines of their own, inline ones adding nothing."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", BLOCK_TAG.sub("\n", page))).split())


def read(name: str):
    raw = (PAGES / name).read_text(encoding="utf-8")
    return parse_document(Path(name).stem, raw, "html"), raw


@pytest.mark.parametrize("name", ["pond-faq.html", "news-article.html", "python-policy.html"])
def test_every_paragraph_read_from_a_page_is_verbatim_in_what_the_page_shows(name):
    document, raw = read(name)
    shown = visible_text(raw)

    for paragraph in document.text.split("\n\n"):
        assert " ".join(paragraph.split()) in shown, paragraph


def test_a_faq_page_keeps_its_main_content_and_drops_banner_navigation_breadcrumbs_sidebar_and_footer():
    document, _ = read("pond-faq.html")

    assert document.title == "Pond FAQ"
    assert document.text.startswith("Pond FAQ\n\nAnswers to the questions members ask most")
    assert document.text.endswith("so that creatures can crawl back in.")
    for furniture in ("cookies", "Accept all", "Join us", "Help", "Upcoming events", "Pond dipping", "© 2026",
                      "Privacy"):
        assert furniture not in document.text


def test_faq_questions_as_headings_or_bold_lines_are_marked_and_head_their_answers():
    analysed = analyse(read("pond-faq.html")[0])
    questions = [analysed.sentence_text(i) for i, s in enumerate(analysed.sentences) if s.question]
    green = next(i for i in range(len(analysed.sentences)) if analysed.sentence_text(i).startswith("Green water"))

    assert questions == ["How deep should a wildlife pond be?", "Do I need a liner?", "Why is my pond water green?",
                         "When should I clear out dead leaves?"]
    assert analysed.section_path(green) == ("Looking after a pond", "Why is my pond water green?")
    section = analysed.sections[analysed.sentence_section[green]]
    assert section.question and analysed.sentence_text(section.heading) == "Why is my pond water green?"


def test_a_news_article_is_read_from_its_article_without_byline_share_bar_comments_or_copyright():
    document, _ = read("news-article.html")

    assert document.title == "Town library reopens after flood repairs"
    assert document.text.endswith("10 am to 4 pm on Saturdays.")
    for furniture in ("Example Gazette", "Subscribe", "Sport", "Home", "By A. Reporter", "Share on social media",
                      "Filed under", "Most read", "Previous story", "comments", "kids missed it", "daily email",
                      "All rights reserved", "analytics"):
        assert furniture not in document.text


def test_a_sphinx_page_is_read_from_its_main_role_without_navigation_sidebar_permalinks_or_footer():
    document, _ = read("python-policy.html")
    analysed = analyse(document)
    stacks = next(i for i in range(len(analysed.sentences))
                  if analysed.sentence_text(i).startswith("Debian has previously supported two Python stacks"))

    assert document.text.startswith("Abstract\n\nThis document describes the packaging of Python within the Debian")
    for furniture in ("Navigation", "Quick search", "¶", "Created using", "previous |", "Table of Contents\n"):
        assert furniture not in document.text
    assert analysed.section_path(stacks) == ("Contents", "2. Completing the move to Python 3")


def test_a_heading_that_links_back_to_the_table_of_contents_keeps_its_text_and_its_question():
    # How docutils and Sphinx write a page with a table of contents whose entries the headings link back to.
    page = ('<div role="main"><h1>Pond FAQ</h1><nav class="contents" id="contents" role="doc-toc"><ul><li>'
            '<a class="reference internal" href="#clean" id="id1">How do I clean the pump?</a></li></ul></nav>'
            '<section id="clean"><h2><a class="toc-backref" href="#id1" role="doc-backlink">How do I clean the pump?'
            '</a><a class="headerlink" href="#clean">¶</a></h2><p>Rinse the pump in pond water.</p></section>'
            '<section id="feed"><h2><a class="toc-backref" href="#id2">How often do I feed the fish?</a></h2>'
            '<p>Feed them once a day.</p></section></div>')
    document = parse_document("pond", page, "html")
    analysed = analyse(document)

    assert document.text == ("Pond FAQ\n\nHow do I clean the pump?\n\nRinse the pump in pond water.\n\n"
                             "How often do I feed the fish?\n\nFeed them once a day.")
    assert [analysed.sentence_text(i) for i, s in enumerate(analysed.sentences) if s.question] == [
        "How do I clean the pump?", "How often do I feed the fish?"]


def test_a_manual_page_line_of_next_previous_up_links_is_furniture():
    page = ('<div class="header"><p>Next: <a href="b.html">Memory Usage</a>, Previous: <a href="a.html">Using it'
            '</a>, Up: <a href="index.html">libffi</a></p></div><h2>3 Memory Usage</h2><p>Memory comes from a '
            'separate pool.</p>')

    assert parse_document("memory", page, "html").text == "3 Memory Usage\n\nMemory comes from a separate pool."


def test_a_publican_book_page_drops_its_banner_and_its_prev_up_home_next_lists():
    # The shape of a DocBook book built by Publican (the Debian Administrator's Handbook): a download banner, then
    # "Prev", the book's name and "Next" above the section, and the same list with the neighbours' titles below it.
    page = ('<div id="banner"><a href="/get/"><span class="text">Download the ebook</span></a></div>'
            '<ul class="docnav top"><li class="previous"><a accesskey="p" href="a.html"><strong>Prev</strong></a></li>'
            '<li class="home">The Pond Handbook</li><li class="next"><a accesskey="n" href="c.html"><strong>Next'
            '</strong></a></li></ul><div class="section"><h2 class="title">6.3. Pumps</h2><div class="para">A pump '
            'moves the water through the filter.</div></div><ul class="docnav"><li class="previous"><a href="a.html">'
            '<strong>Prev</strong>6.2. Liners</a></li><li class="up"><a href="#"><strong>Up</strong></a></li>'
            '<li class="next"><a href="c.html"><strong>Next</strong>6.4. Fish</a></li></ul>')

    assert parse_document("pumps", page, "html").text == "6.3. Pumps\n\nA pump moves the water through the filter."


def test_a_faq_page_s_tagline_and_its_list_of_links_to_its_own_entries_are_furniture():
    # How the SQLite FAQ opens: the site's tagline, then a numbered list of its questions, each a link to its entry,
    # under no furniture name.
    page = ('<div class="tagline desktoponly">Quiet. Clean.<br>Choose both.</div><h2>Pump questions</h2>'
            '<ol class="nounderline"><li value="1"><a href="#q1">How do I clean the pump?</a></li><li value="2">'
            '<a href="#q2">Why is the pump loud?</a></li></ol><a name="q1"></a><p><b>(1) How do I clean the pump?'
            '</b></p><blockquote><p>Rinse it in pond water.</p></blockquote><a name="q2"></a><p><b>(2) Why is the '
            'pump loud?</b></p><blockquote><p>Air is in it.</p></blockquote>')
    document = parse_document("pump", page, "html")

    assert document.text == ("Pump questions\n\n(1) How do I clean the pump?\n\nRinse it in pond water.\n\n"
                             "(2) Why is the pump loud?\n\nAir is in it.")
    assert sum(s.question for s in analyse(document).sentences) == 2


def test_a_line_the_table_of_contents_names_heads_its_reply_even_without_a_question_mark():
    page = ('<ol><li><a href="#q1">How do I clean the pump?</a></li><li><a href="#q2">Why is the pump loud?</a></li>'
            '<li><a href="#q3">The pump hums at night.</a></li></ol>'
            '<p><b>(1) How do I clean the pump?</b></p><p>Rinse it in pond water.</p>'
            '<p><b>(2) Why is the pump loud?</b></p><p>Air is in it.</p>'
            '<p><b>(3) The pump hums at night.</b></p><p>Its mount is loose.</p>')
    analysed = analyse(parse_document("pump", page, "html"))
    mount = next(i for i in range(len(analysed.sentences)) if analysed.sentence_text(i) == "Its mount is loose.")

    assert analysed.section_path(mount) == ("(3) The pump hums at night.",)
    assert [s.question for s in analysed.sections] == [True, True, True]  # a FAQ's entry, as its neighbours are


def test_a_line_a_table_of_contents_of_topics_names_is_a_heading_that_asks_nothing():
    page = ('<h1>Pond parts</h1><ul><li><a href="#p">Pumps</a></li><li><a href="#f">Filters</a></li></ul>'
            '<p><b>Pumps</b></p><p>A pump moves the water.</p><p><b>Filters</b></p><p>A filter holds dirt.</p>')
    analysed = analyse(parse_document("parts", page, "html"))

    assert [(s.path, s.question) for s in analysed.sections] == [(("Pumps",), False), (("Filters",), False)]


@pytest.mark.parametrize("items", [
    '<li><a href="#a">Rinsing</a> in pond water</li><li><a href="#b">Drying</a></li>',  # words beside a link
    '<li><a href="rinse.html">Rinsing</a></li><li><a href="dry.html">Drying</a></li>',  # other pages
    '<li><a href="#a">Rinsing</a></li>',  # one link is no table
    '<li><a href="#a">RINSE_FAST</a></li><li><a href="#b">RINSE_SLOW</a></li>',  # links to what is no heading
])
def test_a_list_that_is_no_table_of_the_page_s_headings_is_kept(items):
    page = (f"<h2>Cleaning</h2><ul>{items}</ul><h2>Modes</h2><dl><dt id='a'>pump.RINSE_FAST</dt><dd>Fast.</dd></dl>")
    listed = re.sub(r"<[^>]+>", "", items.replace("</li><li>", "\n\n"))

    assert f"Cleaning\n\n{listed}\n\nModes" in parse_document("list", page, "html").text


def test_a_list_of_links_to_the_page_s_sections_that_a_paragraph_introduces_is_what_it_says():
    page = ('<h1>Pumps</h1><p>The pump has the following parts:</p><ul><li><a href="#m">Motor</a></li><li>'
            '<a href="#f">Filter</a></li></ul><h2 id="m">Motor</h2><p>It turns.</p><h2 id="f">Filter</h2><p>It holds '
            'dirt.</p>')

    assert "The pump has the following parts:\n\nMotor\n\nFilter\n\nMotor" in parse_document("p", page, "html").text


def test_hidden_elements_and_elements_shown_as_none_are_not_read():
    page = ('<main><p>Visible words.</p><p hidden>Hidden words.</p><div style="display: none">Unshown words.</div>'
            '<span aria-hidden="true">Icon words.</span></main>')

    assert parse_document("hidden", page, "html").text == "Visible words."


@pytest.mark.skipif(not DEBIAN_FAQ.is_file(), reason="the shared Debian FAQ pages are not beside this checkout")
def test_a_docbook_chapter_drops_its_navigation_and_table_of_contents_and_marks_its_questions():
    document = parse_document("basic-defs", DEBIAN_FAQ.read_bytes(), "html")
    analysed = analyse(document)

    assert document.title == "Chapter 1. Definitions and overview"
    assert "Table of Contents" not in document.text and "Prev" not in document.text.split()
    assert document.text.count("1.2. What is Debian GNU/Linux?") == 1
    assert sum(s.question for s in analysed.sentences) == 7  # 1.1 to 1.7, "what is Linux?!" too


def test_a_section_named_like_furniture_words_that_also_name_content_is_kept():
    page = ('<article><h1>A study</h1><section id="related-work"><h2>Related work</h2><p>Earlier studies differ.</p>'
            '</section><section class="social-history"><p>Smoking was common.</p></section>'
            '<div class="related-posts"><p>Another post.</p></div><div class="share"><p>Share this.</p></div>'
            '</article>')

    assert parse_document("study", page, "html").text == ("A study\n\nRelated work\n\nEarlier studies differ.\n\n"
                                                          "Smoking was common.")


def sections_of(page: str) -> list[tuple[str, tuple[str, ...]]]:
    document = analyse(parse_document("page", page, "html"))
    return [(document.sentence_text(i), document.section_path(i)) for i in range(len(document.sentences))]


# As Pandoc writes footnotes (Hugo's and kramdown's are alike): a superscript link, the notes in a list at the end,
# each with a link back to its mark.
PANDOC_NOTES = """<html><body><main><h1>Kettle</h1>
<h2>Filling</h2><p>Fill it to the minimum mark.<a href="#fn1" class="footnote-ref" id="fnref1"
role="doc-noteref"><sup>1</sup></a> Never fill it past the maximum.</p>
<h2>Boiling</h2><p>Press the switch. The light goes out when it boils, as section <a href="#s3">3</a> says.</p>
<section class="footnotes" role="doc-endnotes"><hr /><ol><li id="fn1"><p>The minimum is half a litre.<a
href="#fnref1" class="footnote-back" role="doc-backlink">↩︎</a></p></li>
<li id="fn2"><p>A note nothing refers to.</p></li></ol></section></main></body></html>"""


def test_a_footnote_follows_the_paragraph_its_mark_stands_in_and_its_link_back_is_no_text():
    assert sections_of(PANDOC_NOTES) == [
        ("Kettle", ()), ("Filling", ("Filling",)),
        ("Fill it to the minimum mark.1", ("Filling",)),  # the mark is text the page shows
        ("Never fill it past the maximum.", ("Filling",)),
        ("The minimum is half a litre.", ("Filling",)),
        ("Boiling", ("Boiling",)), ("Press the switch.", ("Boiling",)),
        ("The light goes out when it boils, as section 3 says.", ("Boiling",)),  # a link to a section is no mark
        ("A note nothing refers to.", ("Boiling",))]


def test_footnote_text_read_from_a_page_is_verbatim_in_what_the_page_shows():
    document = parse_document("page", PANDOC_NOTES, "html")
    shown = visible_text(PANDOC_NOTES)
    assert all(paragraph in shown for paragraph in document.text.split("\n\n"))


def test_a_docbook_footnotes_number_linking_back_to_its_mark_is_no_text():
    page = ("<html><body><div class='chapter'><h2>Mailing lists</h2><p>Never post your subscription requests to the "
            "list itself.<a href='#ftn.id7' class='footnote' id='id7'><sup class='footnote'>[7]</sup></a></p>"
            "<h2>Bugs</h2><p>Report bugs with reportbug.</p></div><div class='footnotes'><br /><hr />"
            "<div id='ftn.id7' class='footnote'><p><a href='#id7' class='para'><sup class='para'>[7] </sup></a> Use "
            "the -REQUEST address for that.</p></div></div></body></html>")
    assert sections_of(page)[:4] == [
        ("Mailing lists", ()), ("Never post your subscription requests to the list itself.[7]", ()),
        ("Use the -REQUEST address for that.", ()), ("Bugs", ("Bugs",))]


def test_a_part_of_the_page_with_a_heading_is_no_footnote_whatever_links_to_it():
    page = ("<html><body><main><h1>Guide</h1><p>Start here.<sup><a href='#more'>2</a></sup></p><h2>Setup</h2>"
            "<p>Plug it in.</p><section id='more'><h2>More</h2><p>Descale it monthly.</p></section></main></body>"
            "</html>")
    assert [text for text, _ in sections_of(page)] == [
        "Guide", "Start here.2", "Setup", "Plug it in.", "More", "Descale it monthly."]
