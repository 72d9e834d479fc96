"""Documents: the seed article and small texts in each format cleaned to their own words and a title."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_service.blocks import RUN_IN_LEVEL
from qa_service.document_analysis import analyse
from qa_service.documents import DocumentRejected, parse_document, read_document

SEED = Path(__file__).resolve().parent.parent / "corpus" / "keppra-article.txt"
SEED_TITLE = "Keppra and Its Potential in Migraine Management"


@pytest.fixture(scope="module")
def seed_raw() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed():
    return read_document(SEED, max_bytes=1_000_000)


def test_seed_id_is_the_file_name_without_extension(seed):
    assert seed.id == "keppra-article"
    assert seed.format == "text"


def test_seed_date_line_is_removed(seed, seed_raw):
    assert "2024年10月22日星期二" in seed_raw
    assert "2024年10月22日" not in seed.text


def test_seed_repeated_title_is_kept_once_as_the_title(seed, seed_raw):
    assert seed_raw.count(SEED_TITLE) == 2
    assert seed.title == SEED_TITLE
    assert seed.text.count(SEED_TITLE) == 1


@pytest.mark.parametrize("fmt", ["html", "markdown", "text"])
def test_a_short_line_said_twice_is_text_not_a_repeated_title(fmt):
    # A FAQ gives the same command in two answers; dropped the second time, a quote across it was no longer what
    # the page says.
    pages = {
        "html": "<h1>Building</h1><p>To fetch a package's source, run:</p><pre>apt-get source foo</pre>"
                "<p>To build it, first get the source package:</p><pre>apt-get source foo</pre>",
        "markdown": "# Building\n\nTo fetch a package's source, run:\n\n    apt-get source foo\n\n"
                    "To build it, first get the source package:\n\n    apt-get source foo\n",
        "text": "Building\n\nTo fetch a package's source, run:\n\napt-get source foo\n\n"
                "To build it, first get the source package:\n\napt-get source foo\n",
    }
    document = parse_document("building", pages[fmt], fmt)
    assert document.text.count("apt-get source foo") == 2


def test_seed_comment_widget_is_removed(seed):
    assert "没有评论" not in seed.text
    assert "发表评论" not in seed.text


def test_seed_teaser_of_the_next_post_is_removed(seed):
    assert "Preventive Migraine Medications" not in seed.text
    assert "Beta-blockers" not in seed.text
    assert seed.text.endswith("experienced in headache medicine.")


def test_seed_article_text_is_kept(seed):
    assert "Common side effects can include fatigue, dizziness, and mood changes." in seed.text
    assert "Keppra, also known by its generic name levetiracetam" in seed.text


def test_every_seed_paragraph_is_verbatim_in_the_raw_file(seed, seed_raw):
    paragraphs = seed.text.split("\n\n")
    assert len(paragraphs) == 11
    for paragraph in paragraphs:
        assert paragraph == paragraph.strip()
        assert paragraph in seed_raw


def test_version_changes_with_the_text_and_not_otherwise():
    first = parse_document("a", "Lithium is a metal. It is light.")
    assert parse_document("a", "Lithium is a metal. It is light.").version == first.version
    assert parse_document("a", "Lithium is a metal. It is heavy.").version != first.version


# --- plain text ---------------------------------------------------------------------------------------------------


def test_plain_text_paragraphs_are_separated_by_blank_lines_and_kept_verbatim():
    raw = "Lithium Facts\n\nLithium is a soft metal.\nIt floats on oil.\r\n   \r\nIt reacts with water.\n"

    document = parse_document("lithium", raw)

    assert document.title == "Lithium Facts"
    assert document.text == "Lithium Facts\n\nLithium is a soft metal.\nIt floats on oil.\n\nIt reacts with water."


def test_a_byte_order_mark_is_not_part_of_the_text():
    assert parse_document("x", "\ufeffA sentence here.".encode()).text == "A sentence here."


def test_without_a_heading_the_title_is_the_id():
    assert parse_document("notes", "This starts with a sentence. And goes on.").title == "notes"


def test_an_explicit_title_wins():
    assert parse_document("x", "Some Heading\n\nBody text here.", title="Given").title == "Given"


@pytest.mark.parametrize("date_line", [
    "October 22, 2024",
    "Tuesday, October 22, 2024",
    "Oct 22nd, 2024",
    "22 October 2024",
    "Tue, 22 Oct 2024 10:15",
    "October 22, 2024 at 10:00 AM",
    "2024-10-22",
    "22/10/2024",
    "Posted on October 22, 2024",
    "Published: 22 Oct 2024",
    "2024年10月22日星期二",
])
def test_date_lines_are_removed(date_line):
    document = parse_document("x", f"{date_line}\n\nLithium Facts\n\nLithium is a soft metal.")

    assert document.text == "Lithium Facts\n\nLithium is a soft metal."


def test_a_sentence_that_mentions_a_date_is_kept():
    raw = "On October 22, 2024 the trial ended.\n\nIt had run for a year."

    assert parse_document("x", raw).text == raw


@pytest.mark.parametrize("widget", ["No comments:", "Post a Comment", "3 comments", "Leave a reply", "发表评论"])
def test_everything_from_a_comment_widget_on_is_removed(widget):
    raw = f"Lithium is a soft metal.\n\nIt floats on oil.\n\n{widget}\n\nGreat post, thanks!\n\nAnother post"

    assert parse_document("x", raw).text == "Lithium is a soft metal.\n\nIt floats on oil."


def test_a_truncated_teaser_of_another_post_at_the_end_is_removed():
    raw = ("Lithium Facts\n\nLithium is a soft metal.\n\n"
           "Sodium Facts\n\nSodium Facts Sodium is a soft metal that reacts with wat...")

    assert parse_document("x", raw).text == "Lithium Facts\n\nLithium is a soft metal."


def test_share_bars_and_label_lines_are_removed():
    raw = "Lithium is a soft metal.\n\nShare\n\nLabels: chemistry, metals\n\nIt floats on oil."

    assert parse_document("x", raw).text == "Lithium is a soft metal.\n\nIt floats on oil."


# --- HTML ---------------------------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html><head><title>Metals | My Blog</title>
<style>p { color: red; }</style>
<script>var secret = "do not index";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<h1>Fish &amp; Chips</h1>
<p>Cod is a &quot;white&quot; fish &mdash; lean and mild.</p>
<p>It is <b>often</b> fried in&nbsp;batter.<br>Vinegar is optional.</p>
<footer>Copyright 2024</footer>
</body></html>"""


def test_html_title_comes_from_h1():
    assert parse_document("fish", PAGE, "html").title == "Fish & Chips"


def test_html_title_falls_back_to_the_title_element():
    page = "<html><head><title>Only Title</title></head><body><p>Cod is a fish.</p></body></html>"

    document = parse_document("fish", page, "html")

    assert document.title == "Only Title"
    assert document.text == "Cod is a fish."


def test_html_is_reduced_to_its_text_with_entities_decoded():
    text = parse_document("fish", PAGE, "html").text

    assert text.split("\n\n") == [
        "Fish & Chips",
        'Cod is a "white" fish — lean and mild.',
        "It is often fried in batter.",
        "Vinegar is optional.",
    ]


@pytest.mark.parametrize("hidden", ["color: red", "secret", "Home", "About us", "Copyright", "<", "&amp;"])
def test_html_scripts_styles_navigation_and_markup_are_gone(hidden):
    assert hidden not in parse_document("fish", PAGE, "html").text


def test_html_article_element_is_preferred_over_the_page_around_it():
    page = ("<html><head><title>Blog</title></head><body><div>Sidebar links and widgets.</div>"
            "<article><h2>Cod</h2><p>Cod is a fish.</p></article><div>More sidebar.</div></body></html>")

    assert parse_document("fish", page, "html").text == "Cod\n\nCod is a fish."


def test_escaped_markup_in_html_stays_text():
    page = "<p>Write &lt;script&gt;alert(1)&lt;/script&gt; to test escaping.</p>"

    assert parse_document("x", page, "html").text == "Write <script>alert(1)</script> to test escaping."


# --- Markdown -----------------------------------------------------------------------------------------------------

NOTE = """# Lithium *Notes*

Lithium is a **soft**, _silvery_ metal; see [the table](https://example.org/table_(metals)) and `Li`.

## Uses

- Batteries for ~~old~~ phones
* Grease
1. Medicine

> Handle with care.

```python
print("lithium")
```

![a lump of lithium](lithium.png)

Alkali Metals
=============

Variables like snake_case_name keep their underscores; so does 2 * 3 * 4, and an escaped \\*star\\*.
"""


def test_markdown_title_is_the_first_heading_without_markup():
    assert parse_document("li", NOTE, "markdown").title == "Lithium Notes"


def test_markdown_loses_its_markup_and_keeps_its_text():
    paragraphs = parse_document("li", NOTE, "markdown").text.split("\n\n")

    assert paragraphs == [
        "Lithium Notes",
        "Lithium is a soft, silvery metal; see the table and Li.",
        "Uses",
        "Batteries for old phones",
        "Grease",
        "Medicine",
        "Handle with care.",
        'print("lithium")',
        "a lump of lithium",
        "Alkali Metals",
        "Variables like snake_case_name keep their underscores; so does 2 * 3 * 4, and an escaped *star*.",
    ]


def test_a_markdown_paragraph_wrapped_in_its_source_is_one_line_and_a_hard_break_stays():
    document = parse_document("wrap", "Lithium is a soft,\nsilvery metal.\n\nRoses are red,\\\nviolets blue.\n",
                              "markdown")
    assert document.text == "Lithium is a soft, silvery metal.\n\nRoses are red,\nviolets blue."


def test_code_is_marked_where_it_stands_and_is_never_taken_for_furniture_or_the_title():
    markdown = parse_document("cli", "```\nShare\n```\n\nThe share command prints a link:\n\n    share --link\n",
                              "markdown")
    page = parse_document("cli", "<p>The share command prints a link:</p>"
                                 "<pre>\nshare  --link\n\n  share --help\n</pre>", "html")

    assert markdown.title == "cli"  # not the code on its first line
    assert [markdown.text[s:e] for s, e in markdown.code] == ["Share", "share --link"]
    assert [page.text[s:e] for s, e in page.code] == ["share --link\nshare --help"]  # a line each, as shown
    assert parse_document("cli", "Share\n\nThe share command prints a link.").code == ()  # plain text names none


DOSES_PAGE = """<main><h1>Dosing</h1><p>The usual doses are:</p>
<table><tr><th>Who</th><th>Dose</th></tr>
<tr><td><p>Adults</p></td><td><p>500 mg twice a day</p></td></tr>
<tr><td>Children over 12</td><td>250 mg twice a day
<tr><td>Children under 12</td><td>Ask your doctor</td></tr></table>
<table><tr><td><h2>Storage</h2><p>Keep it cool.</p></td><td>Printed in 2026</td></tr></table></main>"""


def test_an_html_table_row_is_one_block_whatever_its_cells_hold_and_a_page_laid_out_in_a_table_is_not():
    document = parse_document("doses", DOSES_PAGE, "html")

    assert [document.text[s:e] for s, e in document.rows] == [
        "Who Dose", "Adults 500 mg twice a day", "Children over 12 250 mg twice a day",  # its end tag left out
        "Children under 12 Ask your doctor"]
    assert document.text.endswith("Storage\n\nKeep it cool.\n\nPrinted in 2026")  # a heading in a cell: layout


def test_a_table_of_contents_laid_out_in_a_table_row_is_still_dropped_and_the_row_not_joined():
    page = ("<main><h1>Kettles</h1><table><tr><td><ul><li><a href='#fill'>Filling</a></li>"
            "<li><a href='#boil'>Boiling</a></li></ul></td><td>Contents</td></tr></table>"
            "<h2 id='fill'>Filling</h2><p>Fill it to the line.</p><h2 id='boil'>Boiling</h2><p>Press the switch.</p>"
            "</main>")
    document = parse_document("kettles", page, "html")

    assert document.rows == ()
    assert document.text == "Kettles\n\nContents\n\nFilling\n\nFill it to the line.\n\nBoiling\n\nPress the switch."


def test_a_markdown_table_row_is_one_block_and_the_table_one_paragraph_a_row_a_line():
    document = parse_document("doses", "# Dosing\n\n| Who | Dose |\n| --- | --- |\n| Adults | 500 mg |\n", "markdown")
    assert [document.text[s:e] for s, e in document.rows] == ["Who Dose", "Adults 500 mg"]
    assert document.text == "Dosing\n\nWho Dose\nAdults 500 mg"


def test_every_paragraph_of_a_markdown_list_item_is_an_item_and_a_heading_or_code_inside_one_is_what_it_is():
    text = ("# Steps\n\nTo start:\n\n1. Plug it in.\n\n   Wait for the light.\n2. Press start.\n\n"
            "   ```\n   start --now\n   ```\n\n- nested:\n  - Hold the button.\n\nThat is all.\n")
    document = parse_document("steps", text, "markdown")
    assert [(document.text[s:e], depth) for s, e, depth in document.items] == [
        ("Plug it in.", 1), ("Wait for the light.", 1), ("Press start.", 1), ("nested:", 1), ("Hold the button.", 2)]


def test_an_html_list_items_paragraphs_are_items_and_the_text_around_the_list_is_not():
    page = ("<main><h1>Steps</h1><p>To start:</p><ol><li>Plug it in.<li><p>Press start.</p><p>Wait.</p></li>"
            "</ol><p>That is all.</p></main>")
    document = parse_document("steps", page, "html")
    assert [(document.text[s:e], depth) for s, e, depth in document.items] == [
        ("Plug it in.", 1), ("Press start.", 1), ("Wait.", 1)]


def test_a_disclosure_widgets_summary_is_the_heading_of_what_it_opens_and_a_question_there_a_faq_entry():
    page = ("<main><h1>Billing</h1><details><summary>Can I get my money back?</summary><p>Within 14 days, yes.</p>"
            "</details><details><summary>Invoices</summary><p>Each invoice is sent by email.</p></details></main>")
    document = parse_document("billing", page, "html")
    assert [(document.text[h.start:h.end], h.question) for h in document.headings] == [
        ("Billing", False), ("Can I get my money back?", True), ("Invoices", False)]


ACCORDION_PAGE = """<main><h1>Account questions</h1>
<div class="accordion"><h2 class="accordion-header"><button class="accordion-button" type="button"
aria-expanded="true" aria-controls="c1">Can I share my account?</button></h2>
<div id="c1" class="accordion-collapse collapse show"><div class="accordion-body">Each account is for one person.</div>
</div></div>
<button type="button" aria-expanded="false" aria-controls="p2">Is my card safe?</button>
<div id="p2" role="region" hidden><p>Card numbers never reach our servers.</p></div>
<div hidden><p>A draft nobody may see.</p></div>
<button type="button">Print this page</button></main>"""


def test_an_accordions_buttons_are_the_questions_of_the_panels_they_open_even_hidden_ones():
    # As Bootstrap and the WAI-ARIA accordion pattern write them; a button that opens nothing is a control.
    document = parse_document("account", ACCORDION_PAGE, "html")
    assert [(document.text[h.start:h.end], h.level, h.question) for h in document.headings] == [
        ("Account questions", 1, False), ("Can I share my account?", 2, True), ("Is my card safe?", 10, True)]
    assert document.text.endswith("Is my card safe?\n\nCard numbers never reach our servers.")


SHIPPING_FAQ = """<main><h1>Shipping</h1>
<div itemscope itemtype="https://schema.org/FAQPage">
<div itemscope itemprop="mainEntity" itemtype="https://schema.org/Question">
<span itemprop="name">How long does delivery take?</span>
<div itemscope itemprop="acceptedAnswer" itemtype="https://schema.org/Answer">
<div itemprop="text"><p>Two to four working days.</p></div></div></div>
<div itemscope itemprop="mainEntity" itemtype="https://schema.org/Question">
<span itemprop="name">Shipping abroad</span>
<div itemscope itemprop="acceptedAnswer" itemtype="https://schema.org/Answer">
<div itemprop="text"><p>Only within the EU.</p></div></div></div></div>
<p>Parcels are tracked.</p>
<div class="tab-title" role="button" aria-expanded="false" aria-controls="tab-1">Can I return a parcel?</div>
<div id="tab-1" class="tab-content" hidden><p>Yes, within 30 days.</p></div>
<p>Write to us for anything else.</p></main>"""


def test_a_schema_org_questions_name_and_a_role_button_control_are_faq_entries_up_to_their_elements_end():
    # As FAQ pages mark their entries for search engines (microdata), and as page builders write an accordion's
    # question (an element with role="button", its panel hidden until pressed).
    document = analyse(parse_document("shipping", SHIPPING_FAQ, "html"))
    read = [(document.sentence_text(i), document.sentences[i].question, document.section_path(i))
            for i in range(len(document.sentences))]
    assert read == [
        ("Shipping", False, ()),
        ("How long does delivery take?", True, ("How long does delivery take?",)),
        ("Two to four working days.", False, ("How long does delivery take?",)),
        # A Question's name is a question whatever its punctuation.
        ("Shipping abroad", True, ("Shipping abroad",)),
        ("Only within the EU.", False, ("Shipping abroad",)),
        ("Parcels are tracked.", False, ()),
        ("Can I return a parcel?", True, ("Can I return a parcel?",)),
        ("Yes, within 30 days.", False, ("Can I return a parcel?",)),
        ("Write to us for anything else.", False, ())]


def test_a_definition_lists_terms_are_the_headings_of_what_describes_them():
    page = ("<main><h1>Glossary</h1><dl><dt>Titration</dt><dd>Raising a dose slowly, step by step.</dd>"
            "<dt>What is a half-life?</dt><dd>The time the body takes to clear half of a dose.</dd>"
            "<dt>In short:</dt><dd>Go slowly.</dd></dl></main>")
    document = parse_document("glossary", page, "html")
    # A term ending in a colon is a lead-in its description goes on from, not a heading.
    assert [(document.text[h.start:h.end], h.level, h.question) for h in document.headings] == [
        ("Glossary", 1, False), ("Titration", 10, False), ("What is a half-life?", 10, True)]


DOCBOOK_FAQ = (Path(__file__).resolve().parent / "pages" / "kettle-faq.html").read_text()  # our own page


def test_a_docbook_faqs_contents_in_definition_lists_is_dropped_and_its_entries_are_the_faqs_questions():
    # As DocBook writes a FAQ: one definition list of links a chapter, each link to the page by its file name, the
    # entry's number outside the link, and each entry a table row: its number in a cell, its question in bold.
    document = parse_document("kettle", DOCBOOK_FAQ, "html")
    assert document.text == (
        "Kettle FAQ\n\n1. Basics\n\nHow long does it take to boil?\n\nAbout three minutes for a full kettle.\n\n"
        "1.2. The kettle has white flakes inside.\n\nThat is limescale from hard water. Boil water and vinegar to "
        "remove it.")
    # An entry that asks nothing in so many words is a question of the FAQ as the others are.
    assert [(document.text[h.start:h.end], h.level, h.question) for h in document.headings] == [
        ("Kettle FAQ", 1, False), ("1. Basics", 3, False), ("How long does it take to boil?", RUN_IN_LEVEL, True),
        ("1.2. The kettle has white flakes inside.", RUN_IN_LEVEL, True)]


def test_a_headings_link_to_itself_that_shows_only_a_mark_is_no_word_of_the_heading():
    # As Node's API pages (class "mark"), GitHub, MkDocs and Texinfo (a term's) write them; a heading that is a link
    # keeps its words.
    page = ('<main><h1>Path<span><a class="mark" href="#path" id="path">#</a></span></h1><h2 id="join">'
            '<code>path.join()</code> <a href="#join">\u00a7</a></h2><p>Joins paths.</p>'
            '<h2><a href="#more">More tools</a></h2><p>See the other modules.</p><dl><dt id="sep"><code>path.sep'
            '</code><a href="#sep" class="copiable-anchor"> &para;</a></dt><dd>The separator.</dd></dl></main>')
    document = parse_document("path", page, "html")
    assert [document.text[h.start:h.end] for h in document.headings] == [
        "Path", "path.join()", "More tools", "path.sep"]


def sections_of(page: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each sentence of an HTML page beside the headings it stands under."""
    document = analyse(parse_document("page", page, "html"))
    return [(document.sentence_text(i), document.section_path(i)) for i in range(len(document.sentences))]


def test_a_disclosure_widgets_section_stops_where_the_widget_ends():
    page = ("<main><h1>Billing</h1><h2>Refunds</h2><details><summary>Can I get my money back?</summary>"
            "<p>Within 14 days, yes.</p></details><p>Refunds go to the card you paid with.</p>"
            "<h2>Invoices</h2><p>Each invoice is sent by email.</p></main>")
    assert sections_of(page) == [
        ("Billing", ()), ("Refunds", ("Refunds",)),
        ("Can I get my money back?", ("Refunds", "Can I get my money back?")),
        ("Within 14 days, yes.", ("Refunds", "Can I get my money back?")),
        # After the widget, the text is back under the heading above it.
        ("Refunds go to the card you paid with.", ("Refunds",)),
        ("Invoices", ("Invoices",)), ("Each invoice is sent by email.", ("Invoices",))]


def test_a_glossary_terms_section_stops_at_the_next_term_or_the_end_of_the_list():
    page = ("<main><h1>Glossary</h1><dl><dt>Titration</dt><dd>Raising a dose slowly.</dd><dd>Also: up-titration.</dd>"
            "<dt>In short:</dt><dd>Go slowly.</dd><dt>Half-life</dt><dd>The time the body takes to clear half of a "
            "dose.</dd></dl><p>Ask your pharmacist about any other word.</p></main>")
    assert sections_of(page) == [
        ("Glossary", ()), ("Titration", ("Titration",)), ("Raising a dose slowly.", ("Titration",)),
        ("Also: up-titration.", ("Titration",)),
        # A lead-in that is no heading ends the term before it as a term does.
        ("In short:", ()), ("Go slowly.", ()),
        ("Half-life", ("Half-life",)), ("The time the body takes to clear half of a dose.", ("Half-life",)),
        ("Ask your pharmacist about any other word.", ())]


def test_an_accordion_buttons_section_stops_where_its_panel_ends_even_under_a_heading_level():
    page = ACCORDION_PAGE.replace("<button type=\"button\">Print this page</button>",
                                  "<p>Write to us with any other question.</p>")
    sections = dict(sections_of(page))
    assert sections["Each account is for one person."] == ("Can I share my account?",)
    assert sections["Card numbers never reach our servers."] == ("Is my card safe?",)
    assert sections["Write to us with any other question."] == ()


def test_a_markdown_pages_disclosure_widget_is_read_as_an_html_pages_is():
    # As GitHub's FAQs write them: the widget's tags in HTML blocks, Markdown in between.
    page = ("# Help\n\n## Billing\n\n<details>\n<summary>Can I get my money back?</summary>\n\nWithin 14 days, "
            "*yes*.\n</details>\n\nRefunds go to the card you paid with.\n")
    document = analyse(parse_document("help", page, "markdown"))
    assert [(document.sentence_text(i), document.section_path(i)) for i in range(len(document.sentences))] == [
        ("Help", ()), ("Billing", ("Billing",)),
        ("Can I get my money back?", ("Billing", "Can I get my money back?")),
        ("Within 14 days, yes.", ("Billing", "Can I get my money back?")),
        ("Refunds go to the card you paid with.", ("Billing",))]
    assert [(h.level, h.question) for h in document.document.headings][-1] == (RUN_IN_LEVEL, True)


def test_a_summary_outside_a_disclosure_widget_heads_the_text_up_to_the_next_heading():
    # Nothing says where such a heading's section ends, so it ends as any heading's does.
    page = "<main><h1>Help</h1><summary>Can I pay later?</summary><p>Yes.</p><p>Invoices are monthly.</p></main>"
    assert [path for _, path in sections_of(page)][-1] == ("Can I pay later?",)


# --- what cannot be a document -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"),
    (b"  \n\t\n", "empty"),
    (b"caf\xe9 au lait", "encoding"),
    (b"text\x00with a NUL", "encoding"),
    (b"2024-10-22\n\nShare", "no_text"),
])
def test_sources_that_cannot_be_documents_are_rejected_with_a_reason(raw, reason):
    with pytest.raises(DocumentRejected) as rejected:
        parse_document("bad", raw)

    assert rejected.value.reason == reason
    assert "bad" in str(rejected.value)


@pytest.mark.parametrize(("raw", "told"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "looks like a .pdf file, which is sent as application/pdf"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\xe9", "looks like a .docx file"),
])
def test_a_binary_file_sent_as_text_is_refused_saying_what_it_looks_like(raw, told):
    with pytest.raises(DocumentRejected, match=told) as rejected:
        parse_document("leaflet", raw)

    assert rejected.value.reason == "encoding"


def test_an_empty_document_is_refused_in_words_that_read_well_whatever_its_name():
    with pytest.raises(DocumentRejected, match="^empty: the document is empty$"):
        parse_document("empty", b"")


def test_a_file_over_the_size_limit_is_rejected_before_it_is_read(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("Lithium is a soft metal. " * 10)

    with pytest.raises(DocumentRejected, match="big.txt.*limit of 100 bytes") as rejected:
        read_document(path, max_bytes=100)

    assert rejected.value.reason == "too_large"
