"""MDX: Markdown as Docusaurus writes it, with JavaScript's imports and JSX components, rewritten as the Markdown
reader knows it before it reads the page, so that the page reads as the built site shows it.

- `import Tabs from '@theme/Tabs';` and `export const year = 2026;` at the top level are code for the build, not
  text; so is a JSX comment (`{/* TODO */}`), and an expression alone on its line (`{props.footer}`), whose value
  only the build knows.
- A "```mdx-code-block" fence holds MDX for the page to render, not code to show: its content is the page's.
- A component alone on its lines that the page shows as a titled box (a tab's `label`, an admonition's or a
  collapsible's `title`: `<TabItem value="mac" label="macOS">` … `</TabItem>`, or the same on one line) becomes a
  MyST colon fence (":::{admonition} macOS" … ":::", more colons for the outer of two nested), which markdown.py
  reads as the title heading what the box holds; any other component's tag alone on its line (`<Tabs>`, `</Tabs>`,
  `<Spacer />`) leaves the line blank, its content read as the page's.

Never in code: a page about MDX shows its syntax in fenced blocks (a "```jsx" fence keeps its imports and tags).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from .boxes import Boxes, ending, fence_closing, fence_opening, quoted

_FENCES = MarkdownIt("commonmark")  # only to find the source's code blocks and their fences' info
_MAY_BE_MDX = re.compile(r"^(?:import|export)\s|<[A-Z]|mdx-code-block|\{/\*", re.M)
# JavaScript's imports and exports as statements, not a line of prose that starts with the word ("export the data
# to a file" wrapped onto a line of its own).
# A bare import in double quotes needs its semicolon ("import "./custom.css";"): Go's 'import "fmt"' is a line of a
# listing, and Go has no single quotes for it.
_ESM = re.compile(r"""import\s+[\w*{}\s,]+\s+from\s+(['"])[^'"\n]+\1;?|import\s+'[^'\n]+';?|import\s+"[^"\n]+";|"""
                  r"export\s+(?:const|let|var|function|default|class|async)\b.*")
_MULTILINE_IMPORT = re.compile(r"import\s*\{[^}]*")
_JSX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.S)
# A name, a member or a call without spaces: what MDX renders in place of a line such as "{props.footer}".
_EXPRESSION = re.compile(r"[ \t]*\{[A-Za-z_$][\w$.()\[\]'\"]*\}[ \t]*")
# A component's name: capitalised, and not an HTML element's written in capitals ("<Summary>", which the HTML
# reading of a page's disclosure widgets takes whatever its case).
_NAME = r"(?!(?i:details|summary|div|span|p|a|br|hr|img|table|thead|tbody|tr|td|th|ul|ol|li|dl|dt|dd|code|pre|b|i|u|em|"
_NAME += r"strong|kbd|sup|sub|small|center|font|blockquote|h[1-6])\b)[A-Z][\w.]*"
_ATTRIBUTES = r"(?:\s[^<>]*?)?"
_OPEN = re.compile(rf"([ \t]*)<({_NAME})({_ATTRIBUTES})\s*>[ \t]*")
_CLOSE = re.compile(rf"([ \t]*)</({_NAME})>[ \t]*")
_ALONE = re.compile(rf"[ \t]*<{_NAME}{_ATTRIBUTES}\s*/>[ \t]*")
_ONE_LINE = re.compile(rf"([ \t]*)<({_NAME})({_ATTRIBUTES})\s*>(.*)</\2>[ \t]*")
# The attribute that names a component's box on the page: a tab's label, an admonition's or a collapsible's title.
_TITLE = re.compile(r"""\b(?:label|title)\s*=\s*(?:"([^"\n]*)"|'([^'\n]*)')""")


def as_markdown(raw: str) -> str:
    """The MDX page's source as Markdown that reads as the built page shows it (see the module's docstring)."""
    if not _MAY_BE_MDX.search(raw):
        return raw
    raw = _JSX_COMMENT.sub("", raw)
    lines = raw.splitlines(keepends=True)
    code = [False] * len(lines)
    for token in _FENCES.parse(raw):
        if token.type not in ("fence", "code_block") or not token.map:
            continue
        first, stop = token.map
        if token.type == "fence" and token.info.strip().startswith("mdx-code-block"):
            lines[first] = ending(lines[first])  # the fence goes; what it holds is read as the page's
            if stop - 1 > first and lines[stop - 1].strip().startswith(token.markup):
                lines[stop - 1] = ending(lines[stop - 1])
            continue
        code[first:stop] = [True] * (stop - first)
    return "".join(_components(_without_imports(lines, code), code))


def _without_imports(lines: list[str], code: list[bool]) -> list[str]:
    """The lines without the page's top-level imports and exports (an import over several lines to its `from`)."""
    lines = list(lines)
    importing = False
    for k, line in enumerate(lines):
        if code[k]:
            importing = False
            continue
        text = line.rstrip("\r\n")
        if importing:
            lines[k] = ending(line)
            importing = " from " not in f" {text} "
        elif _ESM.fullmatch(text.rstrip()):
            lines[k] = ending(line)
        elif _MULTILINE_IMPORT.fullmatch(text.rstrip()):
            lines[k] = ending(line)
            importing = True
    return lines


def _title(attributes: str) -> str:
    return (quoted(_TITLE.search(attributes)) or "").strip()


def _components(lines: list[str], code: list[bool]) -> list[str]:
    """The lines with each component alone on its lines rewritten (see the module's docstring; boxes.py writes the
    titled ones)."""
    lines = list(lines)
    boxes = Boxes(lines)
    for k, line in enumerate(lines):
        if code[k]:
            continue
        text, end = line.rstrip("\r\n"), ending(line)
        if _EXPRESSION.fullmatch(text):
            lines[k] = end
        elif "<" not in line:
            continue
        elif one_line := _ONE_LINE.fullmatch(text):
            indent, title, content = one_line.group(1), _title(one_line.group(3)), one_line.group(4).strip()
            if title:
                lines[k] = f"{fence_opening(indent, 1, title)}{indent}{content}\n{fence_closing(indent, 1, end)}"
                boxes.holds(2)
            else:
                lines[k] = f"{indent}{content}{end}"
        elif _ALONE.fullmatch(text):
            lines[k] = end
        elif opening := _OPEN.fullmatch(text):
            boxes.open(k, opening.group(1), opening.group(2), _title(opening.group(3)))
            lines[k] = end
        elif (closing := _CLOSE.fullmatch(text)) and boxes.close(k, closing.group(2)) and lines[k] == line:
            lines[k] = end  # an untitled component's closing tag, which Boxes leaves as it is
    return lines
