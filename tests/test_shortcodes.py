"""Shortcodes: a Hugo or Jekyll page's template tags read as the built page shows them. Every page is our own."""

from __future__ import annotations

from page_sections import sections

from qa_service.answering import AnswerSettings, answer
from qa_service.document_analysis import analyse
from qa_service.documents import parse_document
from qa_service.index import Index
from qa_service.shortcodes import as_shown


def page_text(page: str) -> str:
    return parse_document("help", page, "markdown").text


def test_a_tooltip_shows_its_text_and_a_site_parameter_in_a_link_leaves_the_link_whole():
    page = ('Each {{< glossary_tooltip text="kettle" term_id="kettle" >}} needs descaling. See the\n'
            '[care guide](/docs/{{< param "version" >}}/care/) for how.\n')
    assert page_text(page) == "Each kettle needs descaling. See the care guide for how."


def test_a_note_shortcodes_body_is_a_paragraph_of_its_own_without_its_tags():
    page = ("Fill the kettle with water.\n{{< note >}}\nNever fill it past the **maximum** mark.\n{{< /note >}}\n"
            "Then switch it on.\n")
    assert page_text(page) == ("Fill the kettle with water.\n\nNever fill it past the maximum mark.\n\n"
                               "Then switch it on.")


def test_a_tag_showing_nothing_leaves_one_space_between_words_and_none_at_a_lines_ends():
    assert as_shown("Needs version {{% param version %}} or later.") == "Needs version or later."
    assert as_shown("{{< feature-state state=\"beta\" >}} Descaling.") == "Descaling."
    assert as_shown("kettle{{< footnote-mark >}}s") == "kettles"


def test_comments_show_nothing_and_an_escaped_shortcode_shows_itself_even_in_code():
    page = ("{{< comment >}}Rewrite this page for the new model.{{< /comment >}}\n\n"
            "Write {{</* note */>}} around a note, as in `{{%/* tip */%}}`.\n")
    assert page_text(page) == "Write {{< note >}} around a note, as in {{% tip %}}."


def test_code_keeps_its_tags():
    page = ("Use `{{< youtube id >}}` in a page.\n\n```html\n{% if user %}Hello{% endif %}\n{{< note >}}\n```\n")
    document = parse_document("help", page, "markdown")
    assert document.text.startswith("Use {{< youtube id >}} in a page.")
    assert [document.text[s:e] for s, e in document.code] == ["{% if user %}Hello{% endif %}\n{{< note >}}"]


def test_liquid_includes_show_their_content_and_conditions_only_what_they_hold():
    page = ('{% include note.html content="Unplug the kettle first." %}\n\n'
            "{% if site.model == 2 %}The filter lifts out.{% endif %} Rinse it under the tap.\n")
    assert page_text(page) == "Unplug the kettle first.\n\nThe filter lifts out. Rinse it under the tap."


def test_liquid_raw_shows_what_it_holds_comment_nothing_and_highlight_is_code():
    page = ("{% comment %}Check with the lab.{% endcomment %}The label reads {% raw %}{{ model }}{% endraw %}.\n\n"
            "{% highlight shell %}\ndescale --all\n{% endhighlight %}\n"
            "A brace is written {{ '{' }} in a template.\n")
    document = parse_document("help", page, "markdown")
    assert document.text == ("The label reads {{ model }}.\n\ndescale --all\n\n"
                             "A brace is written { in a template.")
    assert [document.text[s:e] for s, e in document.code] == ["descale --all"]


def test_a_liquid_output_of_the_sites_own_value_is_left_as_written_but_in_a_links_address():
    assert as_shown("Welcome to {{ site.title }}.") == "Welcome to {{ site.title }}."
    page = ("- Fix the descaler timer ([#93]({{ site.repository }}/issues/93)), see "
            "[care]({{ '/care/' | relative_url }}).\n")
    assert page_text(page) == "Fix the descaler timer (#93), see care."


def test_a_page_without_tags_is_read_as_it_was():
    page = "Braces { and } and 100% of the {{ mustache }} stay.\n"
    assert as_shown(page) is page


def test_an_answer_from_a_hugo_page_quotes_no_template_tag():
    page = ("# Descaling\n\nA {{< glossary_tooltip text=\"kettle\" term_id=\"kettle\" >}} with hard water needs "
            "descaling every month.\n\n{{< warning >}}\nUnplug it before you descale it.\n{{< /warning >}}\n")
    index = Index.build([analyse(parse_document("help", page, "markdown"))])
    reply = answer(index, "How often does a kettle need descaling?", settings=AnswerSettings(min_confidence=0))
    assert reply.quotes[0].text == "A kettle with hard water needs descaling every month."


def test_a_tabs_name_and_an_alerts_title_head_what_they_hold_up_to_their_end():
    page = ("# Install\n\n{{< tabpane >}}\n{{< tab header=\"Linux\" >}}\nRun the installer from a terminal.\n"
            "{{< /tab >}}\n{{< tab header=\"Windows\" >}}\nDouble-click the installer.\n{{< /tab >}}\n"
            "{{< /tabpane >}}\n\n"
            "{{% alert title=\"Before you start\" %}}\nUnplug the kettle.\n{{% /alert %}}\n\nThen fill it.\n")
    assert sections(page) == [
        ("Install", ()), ("Linux", ("Linux",)), ("Run the installer from a terminal.", ("Linux",)),
        ("Windows", ("Windows",)), ("Double-click the installer.", ("Windows",)),
        ("Before you start", ("Before you start",)), ("Unplug the kettle.", ("Before you start",)),
        ("Then fill it.", ())]


def test_a_titled_box_inside_a_titled_tab_heads_its_own_body_and_both_end_where_their_tags_do():
    # The inner box's fence has fewer colons than the tab's, so that its end is not the tab's.
    page = ("# Install\n\n{{% tab name=\"Linux\" %}}\nInstall it.\n\n{{% alert title=\"Careful\" %}}\nUse sudo.\n"
            "{{% /alert %}}\n{{% /tab %}}\n\nAfter the tabs.\n")
    assert as_shown(page).splitlines()[2:9] == [
        "::::{admonition} Linux", "Install it.", "", ":::{admonition} Careful", "Use sudo.", ":::", "::::"]
    assert sections(page)[1:] == [
        ("Linux", ("Linux",)), ("Install it.", ("Linux",)), ("Careful", ("Careful",)), ("Use sudo.", ("Careful",)),
        ("After the tabs.", ())]


def test_a_highlight_shortcode_and_a_tab_with_a_language_hold_code():
    page = ("{{< highlight shell \"linenos=table\" >}}\ndescale --all\n{{< /highlight >}}\n\n{{< tabpane >}}\n"
            "{{< tab header=\"Files\" disabled=true />}}\n{{< tab header=\"kettle.yaml\" lang=\"yaml\" >}}\n"
            "model: 2\n{{< /tab >}}\n{{< /tabpane >}}\n")
    document = parse_document("help", page, "markdown")
    assert [document.text[s:e] for s, e in document.code] == ["descale --all", "model: 2"]
    assert document.text == "descale --all\n\nmodel: 2"


def test_a_tag_inside_an_admonitions_indented_body_is_read_as_outside_it():
    # MkDocs indents an admonition's body, which CommonMark alone would take for a block of code.
    page = ('!!! note "Before you start"\n\n    Check the cord.\n\n'
            '    {% include note.html content="Unplug the kettle." %} Then empty it.\n')
    assert page_text(page) == "Before you start\n\nCheck the cord.\n\nUnplug the kettle. Then empty it."
