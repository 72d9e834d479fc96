"""Markdown as documentation sites and help centres write it: read as their pages show it, not as its source is typed.

Every page here is one of our own, written the way GitHub, MkDocs, Docusaurus, Jekyll and Sphinx's MyST write theirs.
"""

from __future__ import annotations

from page_sections import sections

from qa_service.answering import answer
from qa_service.blocks import RUN_IN_LEVEL
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.markdown import MAX_DIRECTIVE_DEPTH


def sentences(page: str) -> list[str]:
    document = analyse(parse_document("help", page, "markdown"))
    return [document.sentence_text(i) for i in range(len(document.sentences))]


def test_front_matter_names_the_title_and_the_rest_of_it_is_no_text():
    page = ("---\ntitle: \"Kettle care\"\nlayout: default\ntags: [kettle, cleaning]\n---\n\n"
            "Descale the kettle once a month.\n")
    document = parse_document("care", page, "markdown")
    assert document.title == "Kettle care"
    assert document.text == "Descale the kettle once a month."


def test_front_matter_without_a_title_leaves_the_title_to_the_first_heading():
    page = "---\nlayout: default\n---\n\n# Kettle care\n\nDescale the kettle once a month.\n"
    assert parse_document("care", page, "markdown").title == "Kettle care"


def test_a_footnotes_mark_is_no_text_and_its_note_follows_the_paragraph_that_refers_to_it():
    page = ("# Filling\n\nFill it to the minimum mark.[^min] Never fill past the maximum.\n\n"
            "## Boiling\n\nPress the switch.\n\n[^min]: The minimum is half a litre, enough for two cups.\n")
    assert sections(page) == [
        ("Filling", ()),
        ("Fill it to the minimum mark.", ()),
        ("Never fill past the maximum.", ()),
        ("The minimum is half a litre, enough for two cups.", ()),
        ("Boiling", ("Boiling",)),
        ("Press the switch.", ("Boiling",))]


def test_a_footnote_referred_to_only_inside_a_directive_follows_its_paragraph_there_once():
    # A directive's body is parsed on its own; the page's footnotes are its too.
    page = ("# Care\n\nFill it to the line.[^line]\n\n:::{tip} Limescale\nBoil vinegar in it.[^vinegar] Rinse it "
            "twice.[^line]\n:::\n\n```{note}\nUse vinegar again next month.[^vinegar]\n```\n\n"
            "[^line]: The line is inside the jug.\n[^vinegar]: White vinegar, not malt.\n")
    assert sections(page) == [
        ("Care", ()), ("Fill it to the line.", ()), ("The line is inside the jug.", ()),
        ("Limescale", ("Limescale",)), ("Boil vinegar in it.", ("Limescale",)), ("Rinse it twice.", ("Limescale",)),
        ("White vinegar, not malt.", ("Limescale",)), ("Use vinegar again next month.", ())]


def test_an_alert_with_a_title_or_a_kind_of_the_sites_own_shows_no_marker_and_its_title_heads_it():
    # As Hugo and Obsidian write alerts; GitHub's own ("> [!NOTE]" alone on its line) were read before.
    page = ("# Care\n\n> [!WARNING] Before you descale\n>\n> Unplug the kettle.\n\n> [!INFO]\n> Vinegar works too.\n\n"
            "> [!TIP]- Faster\n> Use hot water.\n\nRinse it after.\n")
    assert sections(page) == [
        ("Care", ()), ("Before you descale", ("Before you descale",)),
        ("Unplug the kettle.", ("Before you descale",)), ("Vinegar works too.", ()),
        ("Faster", ("Faster",)), ("Use hot water.", ("Faster",)), ("Rinse it after.", ())]


def test_an_alerts_first_words_on_the_markers_line_stay_its_text():
    # As Node.js's guides write them: the sentence starts on the marker's line and goes on below, or fills it.
    page = ("# Release\n\n> \\[!TIP] Once the branch is ready you can use the\n> `release` action to propose it.\n\n"
            "> [!NOTE] These steps are not bound by any schedule, and they can change in any month of the year\n")
    assert sections(page)[1:] == [
        ("Once the branch is ready you can use the release action to propose it.", ()),
        ("These steps are not bound by any schedule, and they can change in any month of the year", ())]


def test_mkdocs_material_content_tabs_head_their_content_as_admonitions_do():
    # pymdownx.tabbed: a tab's content is indented under its line, which CommonMark alone reads as code.
    page = ('# Install\n\n=== ":material-linux: Linux"\n\n    Run the installer.\n\n'
            '    ```\n    sudo apt install kettle\n    ```\n\n    === "Debian"\n\n        Use apt.\n\n'
            '===+ "Windows"\n\n    Double-click the installer.\n\nAfter the tabs.\n\n```\n=== "Not a tab"\n```\n')
    document = parse_document("install", page, "markdown")
    assert [document.text[s:e] for s, e in document.code] == ["sudo apt install kettle", '=== "Not a tab"']
    assert sections(page) == [
        ("Install", ()), ("Linux", ("Linux",)), ("Run the installer.", ("Linux",)),
        ("sudo apt install kettle", ("Linux",)), ("Debian", ("Debian",)), ("Use apt.", ("Debian",)),
        ("Windows", ("Windows",)), ("Double-click the installer.", ("Windows",)), ("After the tabs.", ()),
        ('=== "Not a tab"', ())]


def test_python_markdown_extensions_in_text_show_what_the_page_shows():
    page = ("[Order a filter](shop.md){ .md-button .md-button--primary } today.\n\n"
            "Press ++ctrl+alt+d++ to descale, then ++enter++.\n\n"
            "==Never== fill it ^^above^^ the mark, though a == b.\n\n"
            "The FAQ answers it.\n\n*[FAQ]: Frequently asked questions\n")
    assert sentences(page) == ["Order a filter today.", "Press Ctrl+Alt+D to descale, then Enter.",
                               "Never fill it above the mark, though a == b.", "The FAQ answers it."]


def test_signs_that_only_look_like_those_marks_stay_text():
    page = "Compare with '===' not '==', as in mode==linear, and build it with C++ or i++j++k.\n"
    assert sentences(page) == ["Compare with '===' not '==', as in mode==linear, and build it with C++ or i++j++k."]


def test_a_tables_footnotes_follow_the_table_and_leave_its_rows_whole():
    page = ("| Model | Capacity |\n| --- | --- |\n| Mini | 0.8 l[^1] |\n| Family | 1.7 l[^1],[^2] |\n\n"
            "[^1]: Measured to the maximum mark.\n[^2]: The family model also keeps water warm.\n")
    document = parse_document("models", page, "markdown")
    assert document.text.split("\n\n") == [
        "Model Capacity\nMini 0.8 l\nFamily 1.7 l", "Measured to the maximum mark.",
        "The family model also keeps water warm."]


def test_a_github_alert_is_its_text_without_its_marker_or_the_kind_the_page_shows_above_it():
    page = "Fill the kettle.\n\n> [!WARNING]\n> Do not open the lid while the water boils.\n"
    assert sentences(page) == ["Fill the kettle.", "Do not open the lid while the water boils."]


def test_a_task_lists_boxes_are_no_text():
    assert sentences("- [x] Unpack the kettle.\n- [ ] Boil water twice before first use.\n") == [
        "Unpack the kettle.", "Boil water twice before first use."]


def test_an_admonitions_own_title_heads_what_it_holds_and_no_more():
    page = ("# Care\n\n## Cleaning\n\n!!! tip \"Limescale\"\n    Boil vinegar and water in it.\n\n"
            "!!! note\n    Rinse it twice after.\n\nWipe the outside with a damp cloth.\n")
    assert sections(page) == [
        ("Care", ()), ("Cleaning", ("Cleaning",)),
        ("Limescale", ("Cleaning", "Limescale")),
        ("Boil vinegar and water in it.", ("Cleaning", "Limescale")),
        ("Rinse it twice after.", ("Cleaning",)),  # "Note" is the kind's word, which the site shows: no title
        ("Wipe the outside with a damp cloth.", ("Cleaning",))]


def test_a_collapsible_admonition_that_asks_is_a_faq_entry():
    # As MkDocs Material's FAQs write them: "??? question" blocks, shut until a reader opens one.
    page = ("# Questions\n\n??? question \"Can I put the kettle in the dishwasher?\"\n"
            "    No: the base holds electronics that water would ruin.\n")
    document = parse_document("faq", page, "markdown")
    entry = document.headings[-1]
    assert document.text[entry.start:entry.end] == "Can I put the kettle in the dishwasher?"
    assert (entry.level, entry.question) == (RUN_IN_LEVEL, True)


def test_docusaurus_admonitions_are_markdown_read_under_their_title():
    page = ("# Tips\n\n:::tip[Save power]\nBoil only **the water you need**.\n:::\n\n"
            ":::danger\nNever boil it dry.\n:::\n\nThat is all.\n")
    assert sections(page) == [
        ("Tips", ()), ("Save power", ("Save power",)), ("Boil only the water you need.", ("Save power",)),
        ("Never boil it dry.", ()), ("That is all.", ())]


def test_myst_admonitions_are_prose_and_other_directives_stay_code_or_go():
    page = ("# Install\n\n```{note}\n:class: dropdown\nThe installer needs **admin** rights.\n```\n\n"
            "```{pip-cli}\n$ pip install kettle\n```\n\n```{toctree}\nquickstart\nfaq\n```\n\n"
            ":::{warning} Old systems\nVersion 1 is no longer supported.\n:::\n")
    document = parse_document("install", page, "markdown")
    assert document.text.split("\n\n") == [
        "Install", "The installer needs admin rights.", "$ pip install kettle", "Old systems",
        "Version 1 is no longer supported."]
    assert [document.text[start:end] for start, end in document.code] == ["$ pip install kettle"]


def test_a_code_fences_first_line_is_code_even_when_it_looks_like_a_directives_option():
    page = "# Config\n\n```yaml\n:key: value\nother: 1\n```\n\n```{code-block} yaml\n:linenos:\nname: kettle\n```\n"
    document = parse_document("config", page, "markdown")
    assert [document.text[start:end] for start, end in document.code] == [":key: value\nother: 1", "name: kettle"]


def test_myst_roles_show_what_sphinx_shows_and_targets_and_comments_are_no_text():
    page = ("(setup)=\n# Setup\n\n% the photo is out of date\n\n"
            "Read {ref}`the safety notes <safety>` and {pep}`8`, then call {func}`~kettle.boil`.\n")
    assert sentences(page) == ["Setup", "Read the safety notes and PEP 8, then call boil."]


def test_a_definition_lists_term_heads_its_description_up_to_the_next_term():
    page = ("# Glossary\n\nDescaling\n: Taking the limescale out.\n\nLimescale\n: The chalk hard water leaves.\n"
            "\nThe end.\n")
    assert sections(page) == [
        ("Glossary", ()), ("Descaling", ("Descaling",)), ("Taking the limescale out.", ("Descaling",)),
        ("Limescale", ("Limescale",)), ("The chalk hard water leaves.", ("Limescale",)), ("The end.", ())]


def test_an_attribute_list_on_the_line_after_a_block_is_no_text_and_an_id_may_hold_dots():
    # As Hugo's Goldmark writes them: below the paragraph, list or table they style; a version as a heading's id.
    page = ("## Release 2.1 {#v2.1.0}\n\nDescale monthly.\n{.lead}\n\n- Unplug it.\n- Empty it.\n{.list-unstyled}\n\n"
            "| Water | Descale every |\n| --- | --- |\n| Hard | month |\n{.table .table-dark}\n\n"
            "Write {#id} after a heading.\n")
    document = parse_document("care", page, "markdown")
    assert document.text == ("Release 2.1\n\nDescale monthly.\n\nUnplug it.\n\nEmpty it.\n\n"
                             "Water Descale every\nHard month\n\nWrite {#id} after a heading.")


def test_a_headings_attribute_list_is_no_part_of_it():
    page = "# Kettle {#top}\n\n## Cleaning it {#cleaning .wide}\n\n{#tip}\nRinse it.\n"
    assert sentences(page) == ["Kettle", "Cleaning it", "Rinse it."]


def test_comments_and_scripts_in_a_pages_html_are_no_text():
    page = ("Rinse it.\n\n<!-- TODO: photo of the filter > 200 px -->\n\n<script>\nvar tracked = true;\n</script>\n\n"
            "Dry it.\n")
    assert sentences(page) == ["Rinse it.", "Dry it."]


KETTLE_FAQ = """\
---
title: Kettle questions
---

# Using it

Fill it to the minimum mark.[^min]

??? question "Can I put the kettle in the dishwasher?"
    No: the base holds electronics that water would ruin. Wipe it with a damp cloth instead.

??? question "Why does my kettle switch itself off?"
    It switches off once the water boils, or when it is empty.

[^min]: The minimum mark is half a litre of water, enough for two cups.
"""


def test_a_faq_written_as_collapsible_admonitions_is_answered_with_the_reply_under_its_question():
    faq = Index.build([analyse(parse_document("kettle", KETTLE_FAQ, "markdown"))])
    given = answer(faq, "Why does my kettle switch off?")
    assert given.found
    assert given.quotes[0].text == "It switches off once the water boils, or when it is empty."
    assert given.quotes[0].section == ("Using it", "Why does my kettle switch itself off?")


def test_a_footnote_answers_under_the_section_of_the_paragraph_that_refers_to_it():
    faq = Index.build([analyse(parse_document("kettle", KETTLE_FAQ, "markdown"))])
    given = answer(faq, "How much water is the minimum mark?")
    assert given.quotes[0].text == "The minimum mark is half a litre of water, enough for two cups."
    assert given.quotes[0].section == ("Using it",)


def test_a_footnotes_mark_between_two_words_leaves_one_space():
    assert sentences("Keep it on a flat surface [^1] away from the sink.\n\n[^1]: A worktop.\n") == [
        "Keep it on a flat surface away from the sink.", "A worktop."]


def test_directives_nested_past_the_depth_read_are_read_as_code_not_parsed_again():
    # Each directive's body is parsed on its own: a page of fences nested without end would cost its size again at
    # every level (and Python's stack), so bodies below MAX_DIRECTIVE_DEPTH stay as they are written.
    fences = [":" * (MAX_DIRECTIVE_DEPTH + 4 - level) for level in range(MAX_DIRECTIVE_DEPTH + 1)]
    page = "".join(f"{fence}note\n" for fence in fences) + "Deep inside.\n" + "".join(
        f"{fence}\n" for fence in reversed(fences))
    document = parse_document("deep", page, "markdown")
    assert (document.text, document.code) == ("Deep inside.", ((0, 12),))
    shallow = "".join(f"{fence}note\n" for fence in fences[:3]) + "Inside.\n" + "".join(
        f"{fence}\n" for fence in reversed(fences[:3]))
    assert (parse_document("shallow", shallow, "markdown").text, parse_document("shallow", shallow, "markdown").code
            ) == ("Inside.", ())


def test_a_version_notes_version_heads_what_it_says():
    page = "# Kettles\n\n```{versionadded} 2.0\nSupport for travel kettles.\n```\n\nAll kettles boil water.\n"
    assert sections(page) == [("Kettles", ()), ("2.0", ("2.0",)), ("Support for travel kettles.", ("2.0",)),
                              ("All kettles boil water.", ())]


def test_a_footnote_that_only_another_footnote_refers_to_stays_where_the_page_has_it():
    page = "Boil it.[^a]\n\n[^a]: Once.[^b]\n[^b]: Twice at first use.[^b]\n"
    assert sentences(page) == ["Boil it.", "Once.", "Twice at first use."]


def test_a_paragraph_that_refers_to_one_footnote_twice_is_followed_by_it_once():
    page = "Descale it[^v] with vinegar[^v].\n\n[^v]: White vinegar, not malt.\n"
    assert sentences(page) == ["Descale it with vinegar.", "White vinegar, not malt."]
