"""Shortcodes: the template tags a static site generator lets a Markdown page hold, replaced in the page's source by
what the built page shows in their place, before the page is read as Markdown.

Hugo's shortcodes ("{{< note >}}" … "{{< /note >}}", "{{% tab name="Linux" %}}", "{{< glossary_tooltip text="Pod"
term_id="pod" >}}") and Jekyll's Liquid tags ("{% include note.html %}", "{% if site.beta %}", "{% raw %}") were read
as words of the text: quoted in the middle of sentences, and searched for. A tag shows the text it names (its `text`
or `content` parameter, as a glossary's tooltip or a Jekyll note include shows it) or nothing; what a pair of tags
encloses is the page's Markdown, read as the rest is: under its title when the page shows the pair as a titled box
(an alert's title, a tab's name: `_framed`, with boxes.py), as code when it holds code (Hugo's `highlight`, a tab
with a `lang`), and otherwise with each tag alone on its line leaving that line blank (a note's body is a paragraph
of its own). Hugo's escaped form ("{{</* note */>}}") shows the shortcode itself, in code too. Liquid's `raw` shows
what it holds as written (a pair only when no code span stands between its tags: a page about Liquid shows "`{%
endraw %}`" inside one), `comment` nothing, nor does a Hugo site's `comment` shortcode, and `highlight` is a block of
code. A Liquid output shows a string written in it ("{{ '{' }}", which pages about templates write to show a brace),
and is otherwise left as written ("{{ page.title }}"): its value is the site's, not the page's; in a link's address
("[#93]({{ site.repository }}/issues/93)") it is left out, which makes the link one. Code (fenced or indented blocks,
backtick spans) keeps its tags but for Hugo's escape: pages about templates show their tags there.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.deflist import deflist_plugin

from .boxes import Boxes, quoted

# The source's code blocks, which keep their tags, as the reader finds them: MkDocs' admonitions and definition lists
# indent their bodies, which CommonMark alone reads as code.
_CODE_BLOCKS = MarkdownIt("commonmark").use(admon_plugin).use(deflist_plugin)
_TAGS_MAY_BE_HERE = re.compile(r"\{\{|\{%")
# A tag's text is bounded: an opening brace left without its close must not send the search to the page's end.
_INSIDE = r".{0,2000}?"
_TAG = re.compile(
    r"(?P<span>(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*\n).){1,2000}?(?<!`)(?P=ticks)(?!`))"
    r"|\{%-?\s*raw\s*-?%\}(?P<raw>[^`]{0,2000}?)\{%-?\s*endraw\s*-?%\}"
    r"|\]\((?P<destination>[^()\s]{0,500}?\{\{[^\n]{0,500}?\}\}[^()\s]{0,500}?)\)"
    rf"|\{{%-?\s*comment\s*-?%\}}{_INSIDE}\{{%-?\s*endcomment\s*-?%\}}"
    rf"|\{{\{{([<%])\s*comment\s*[>%]\}}\}}{_INSIDE}\{{\{{[<%]\s*/comment\s*[>%]\}}\}}"
    rf"|\{{%-?\s*highlight\s+(?P<language>[\w+#.-]+)[^%\n]*-?%\}}[ \t]*\n?(?P<code>{_INSIDE})\n?[ \t]*"
    r"\{%-?\s*endhighlight\s*-?%\}"
    rf"|\{{\{{</\*(?P<escaped_angle>{_INSIDE})\*/>\}}\}}|\{{\{{%/\*(?P<escaped_percent>{_INSIDE})\*/%\}}\}}"
    rf"|\{{\{{<(?P<angle>{_INSIDE})>\}}\}}|\{{\{{%(?P<percent>{_INSIDE})%\}}\}}|\{{%-?(?P<liquid>{_INSIDE})-?%\}}"
    r"""|\{\{-?\s*(?:'(?P<single>[^'\n]*)'|"(?P<double>[^"\n]*)")\s*-?\}\}""",
    re.S)
# The parameter whose value a tag shows: text="Pod" (Hugo's glossary tooltips, links), content="…" (Jekyll's
# note, tip and warning includes).
_SHOWN = re.compile(r"""\b(?:text|content)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')""", re.S)
# A Liquid output: in a link's address ("[#123]({{ site.repository }}/issues/123)") it is left out, so that the link
# is one (its spaces kept it from being one) and shows its text.
_OUTPUT = re.compile(r"\{\{[^\n]*?\}\}")
# Hugo's escaped shortcode, which shows the shortcode itself: pages about Hugo write it in code as well.
_ESCAPED = re.compile(r"\{\{([<%])/\*(.{0,2000}?)\*/([>%])\}\}", re.S)
# A Hugo shortcode alone on its line: its delimiter, whether it closes, its name, its parameters, and whether it
# closes itself.
_LINE_TAG = re.compile(r"[ \t]*\{\{(?P<delimiter>[<%])\s*(?P<closes>/)?\s*(?P<name>[\w./-]+)"
                       r"(?P<parameters>[^\n]*?)\s*(?P<alone>/)?(?P<end>[>%])\}\}[ \t]*\n?")
# The parameter that names a pair's box on the page: an alert's or a card's title, a tab's name or header.
_TITLE = re.compile(r"""\b(?:title|name|header)\s*=\s*(?:"([^"\n]*)"|'([^'\n]*)')""")
# The language of a pair that holds code: Hugo's `highlight` shortcode ("{{< highlight go >}}"), a tab's `lang`.
_LANGUAGE = re.compile(r"""\blang\s*=\s*(?:"([\w+#.-]*)"|'([\w+#.-]*)')""")
# Where a tag showing nothing stood, until the spaces around it are settled.
_GONE = "\x00"


def as_shown(raw: str) -> str:
    """The Markdown source with its shortcodes and Liquid tags replaced by what the built page shows."""
    if not _TAGS_MAY_BE_HERE.search(raw):
        return raw
    raw = raw.replace(_GONE, "\ufffd")  # as CommonMark reads a NUL: the character marks a removed tag below
    lines = raw.splitlines(keepends=True)
    code = code_lines(raw)
    lines = _framed(lines, code)
    parts: list[str] = []
    start = 0
    for k in range(len(lines) + 1):
        if k == len(lines) or code[k] != code[start]:
            segment = "".join(lines[start:k])
            parts.append(_unescaped(segment) if code[start] else _spaced(_TAG.sub(_shown, segment)))
            start = k
    return "".join(parts)


def code_lines(raw: str) -> list[bool]:
    """For each of the source's lines (`str.splitlines`), whether it is code: in a fenced or an indented block."""
    code = [False] * len(raw.splitlines())
    for token in _CODE_BLOCKS.parse(raw):
        if token.type in ("fence", "code_block") and token.map:
            code[token.map[0]:token.map[1]] = [True] * (token.map[1] - token.map[0])
    return code


def _title_and_language(name: str, parameters: str) -> tuple[str, str | None]:
    """What a pair's opening tag says of its box: its title, and its language if it holds code."""
    language = _LANGUAGE.search(parameters)
    if name == "highlight" and parameters.split():
        language = re.match(r"""\s*["']?([\w+#.-]+)""", parameters)
    return (quoted(_TITLE.search(parameters)) or "").strip(), quoted(language)


def _framed(lines: list[str], code: list[bool]) -> list[str]:
    """The lines with each pair of shortcodes alone on their lines that the page shows as a titled box (an alert's
    title, a tab's name) or as code (a `highlight` shortcode, a tab with a `lang`) rewritten as boxes.Boxes writes
    them. Other pairs are left to `_TAG`."""
    lines = list(lines)
    boxes = Boxes(lines)
    for k, line in enumerate(lines):
        match = None if code[k] or "{{" not in line else _LINE_TAG.fullmatch(line)
        if match is None or (match.group("delimiter"), match.group("end")) not in (("<", ">"), ("%", "%")):
            continue
        if match.group("alone"):
            continue  # "{{< tab header="Files" disabled=true />}}" opens nothing
        if match.group("closes"):
            boxes.close(k, match.group("name"))
        else:
            indent = line[:len(line) - len(line.lstrip(" \t"))]
            boxes.open(k, indent, match.group("name"), *_title_and_language(match.group("name"),
                                                                               match.group("parameters")))
    return lines


def _shown(match: re.Match) -> str:
    if match.group("span") is not None:
        return _unescaped(match.group("span"))
    if match.group("raw") is not None:
        return match.group("raw")
    if match.group("destination") is not None:  # a link's address: no text, and whole only without its outputs
        return f"]({_OUTPUT.sub('', match.group('destination'))})"
    if match.group("code") is not None:
        return f"```{match.group('language')}\n{match.group('code')}\n```"
    for escaped, opening, closing in (("escaped_angle", "{{<", ">}}"), ("escaped_percent", "{{%", "%}}")):
        if match.group(escaped) is not None:
            return f"{opening}{match.group(escaped)}{closing}"
    for literal in ("single", "double"):
        if match.group(literal) is not None:
            return match.group(literal)
    tag = match.group("angle") or match.group("percent") or match.group("liquid") or ""
    shown = _SHOWN.search(tag)
    if shown and not tag.lstrip().startswith("/"):
        return shown.group(1).replace('\\"', '"') if shown.group(1) is not None else shown.group(2)
    return _GONE


def _unescaped(code: str) -> str:
    return _ESCAPED.sub(r"{{\1\2\3}}", code)


def _spaced(text: str) -> str:
    """The text without the marks of removed tags: one space where a tag stood between two words with space beside
    it ("see {{< param v >}} below" → "see below"), none at a line's ends or inside a word."""
    def settled(match: re.Match) -> str:
        before = match.string[match.start() - 1:match.start()]
        after = match.string[match.end():match.end() + 1]
        spaced = match.group().strip(_GONE) != ""
        return " " if spaced and before.strip() and after.strip() else ""

    return re.sub(rf"[ \t]*{_GONE}(?:[ \t]*{_GONE})*[ \t]*", settled, text)
