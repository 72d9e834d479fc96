"""MDX, Markdown as Docusaurus writes it: its imports, comments and components read as the built page shows them.
Every page is our own."""

from __future__ import annotations

from page_sections import sections

from qa_service.documents import parse_document
from qa_service.mdx import as_markdown
from qa_service.store.folder import read_file


def test_imports_exports_and_jsx_comments_are_no_text_but_prose_and_listings_that_look_like_them_are():
    page = ("---\ntitle: Descaling\n---\n\nimport Tabs from '@theme/Tabs';\nimport {\n  Kettle,\n  Filter,\n} from "
            "'@site/src/components';\nimport './descale.css';\nexport const year = 2026;\n\n{/* Check the dose. */}\n"
            "Descale it monthly. You can\nexport the log to a file.\n\n    package main\n    import \"fmt\"\n")
    document = parse_document("descale", page, "markdown")
    assert document.title == "Descaling"
    assert document.text == 'Descale it monthly. You can export the log to a file.\n\npackage main\nimport "fmt"'


def test_an_expression_alone_on_its_line_is_no_text_but_braces_in_prose_and_code_stay():
    page = ("import Note from '@site/src/Note';\n\n# Storage\n\nKeep the kettle dry.\n\n{props.footer}\n\n"
            "Use {two} filters a year.\n\n```js\n{props.footer}\n```\n")
    document = parse_document("storage", page, "markdown")
    assert document.text == "Storage\n\nKeep the kettle dry.\n\nUse {two} filters a year.\n\n{props.footer}"


def test_an_mdx_code_block_is_read_as_the_page_and_a_jsx_fence_stays_code():
    page = ("```jsx\nimport Tabs from '@theme/Tabs';\n<TabItem label=\"Apple\">An apple</TabItem>\n```\n\n"
            "```mdx-code-block\n<Tabs>\n  <TabItem value=\"win\" label=\"Windows\">Press Ctrl and C.</TabItem>\n"
            "</Tabs>\n```\n")
    document = parse_document("copy", page, "markdown")
    assert [document.text[s:e] for s, e in document.code] == [
        "import Tabs from '@theme/Tabs';\n<TabItem label=\"Apple\">An apple</TabItem>"]
    assert sections(page)[1:] == [("Windows", ("Windows",)), ("Press Ctrl and C.", ("Windows",))]


def test_a_tabs_label_heads_what_it_holds_and_other_components_only_leave_their_content():
    page = ("# Install\n\n<Tabs groupId=\"os\">\n<TabItem value=\"linux\" label=\"Linux\">\n\nRun the installer.\n\n"
            "<Admonition type=\"tip\" title=\"Faster\">\n\nUse the cache.\n\n</Admonition>\n\nThen restart.\n\n"
            "</TabItem>\n"
            "<TabItem value=\"win\" label=\"Windows\">Double-click the installer.</TabItem>\n</Tabs>\n\n<Spacer />\n\n"
            "After the tabs.\n")
    # The box inside the tab has fewer colons than the tab, so that its end is not the tab's.
    assert [line for line in as_markdown(page).splitlines() if line.startswith(":")] == [
        "::::{admonition} Linux", ":::{admonition} Faster", ":::", "::::", ":::{admonition} Windows", ":::"]
    places = dict(sections(page))
    assert (places["Run the installer."], places["Use the cache."], places["Double-click the installer."],
            places["After the tabs."]) == (("Linux",), ("Faster",), ("Windows",), ())


def test_an_html_element_written_in_capitals_is_html_not_a_component():
    page = "<details>\n<Summary>Can I descale it with vinegar?</Summary>\n\nYes, white vinegar.\n</details>\n"
    assert as_markdown(page) == page
    assert sections(page)[-1] == ("Yes, white vinegar.", ("Can I descale it with vinegar?",))


def test_an_mdx_file_in_the_corpus_folder_is_read_as_markdown(tmp_path):
    path = tmp_path / "descale.mdx"
    path.write_text("import Tabs from '@theme/Tabs';\n\n# Descaling\n\nDescale it monthly.\n", encoding="utf-8")
    document = read_file(path, 1 << 20)
    assert (document.format, document.title) == ("markdown", "Descaling")
    assert document.text == "Descaling\n\nDescale it monthly."
