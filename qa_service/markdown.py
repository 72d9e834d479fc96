"""The Markdown reader: CommonMark as markdown-it-py parses it, with what documentation sites and help centres write
on top of it, read as their pages show it.

GitHub's tables, strikethrough, task lists and alerts ("> [!WARNING]"); footnotes ("[^1]"); YAML front matter (its
title is the document's, the rest is metadata); MkDocs' and Python-Markdown's admonitions ("!!! note", collapsible
"??? question"), Docusaurus' and MyST's colon fences (":::tip", ":::{note}") and MyST's directive fences
("```{warning}"), roles ("{ref}`the guide <guide>`"), targets ("(install)=") and comments ("% note"); definition lists
("Term" then ": description"); attribute lists ("{#install}") after a heading or on a line of their own. The plugins
come from mdit-py-plugins, markdown-it-py's own collection. Hugo's shortcodes and Jekyll's Liquid tags are replaced
by what the built page shows before the page is parsed (shortcodes.py).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from .blocks import QUESTION_END, RUN_IN_LEVEL, Block, heading, notes_placed
from .boxes import ending
from .mdx import as_markdown
from .shortcodes import as_shown, code_lines

_PARSER = (MarkdownIt("commonmark", {"alerts": True, "tasklists": True})
           .enable(["table", "strikethrough"])
           .use(front_matter_plugin).use(footnote_plugin).use(admon_plugin).use(colon_fence_plugin)
           .use(deflist_plugin).use(attrs_block_plugin).use(myst_block_plugin).use(myst_role_plugin))


def _page_footnotes(state: StateCore) -> None:
    """Keep the page's footnotes for the directives' bodies, which are parsed on their own: the footnote plugin drops
    a definition that its own parse never refers to, so a note referred to only from inside a directive ("```{note}
    … [^1] …```") was lost, and its mark stayed in the text. The page's parse records its definitions' tokens
    (`_DEFINITIONS`); a body's parse is given them (`_body_env`) and gets them back here, before the plugin's
    `footnote_tail` keeps those the body refers to."""
    given = state.env.get(_GIVEN, {})
    for label, tokens in given.items():
        state.tokens += [Token("footnote_reference_open", "", 1, meta={"label": label}), *tokens,
                         Token("footnote_reference_close", "", -1)]
    definitions: dict[str, list[Token]] = state.env.setdefault(_DEFINITIONS, {})
    inside: list[Token] | None = None
    for token in state.tokens:
        if token.type == "footnote_reference_open":
            inside = definitions.setdefault(token.meta["label"], []) if token.meta["label"] not in given else None
        elif token.type == "footnote_reference_close":
            inside = None
        elif inside is not None:
            inside.append(token)


_DEFINITIONS, _GIVEN = "page_footnotes", "given_footnotes"
_PARSER.core.ruler.before("footnote_tail", "page_footnotes", _page_footnotes)

# The front matter's title line (YAML: "title: Descaling your kettle", quoted or not).
_FRONT_MATTER_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.M)
# An attribute list after a heading's text, as Pandoc, kramdown and MkDocs write one: "## Install {#install .wide}".
_ATTRIBUTE = r"(?:[#.][\w:.-]+|[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s}]+))"
# An attribute list as Pandoc, kramdown and Python Markdown's attr_list write one: "{ .md-button #start data-x=1 }".
_ATTRIBUTE_LIST = rf"\{{:?\s*{_ATTRIBUTE}(?:\s+{_ATTRIBUTE})*\s*\}}"
_HEADING_ATTRIBUTES = re.compile(rf"\s*{_ATTRIBUTE_LIST}\s*$")
# Goldmark's (Hugo's) block attributes on the line after a paragraph, a list's item or a table: "{.list-unstyled}".
_BLOCK_ATTRIBUTES = re.compile(_ATTRIBUTE_LIST)
# A directive's fence (":::tip", ":::tip[Careful]", ":::{note} Careful", "```{warning}"): its name and its title.
_DIRECTIVE = re.compile(r"\s*(\{)?([A-Za-z][\w-]*)(?(1)\})\s*(?:\[(.*?)\])?\s*(.*?)\s*$")
# MyST's options at a directive's start (":class: dropdown"): how to show it, not its text.
_DIRECTIVE_OPTION = re.compile(r"\A(?:[ \t]*:[\w-]+:.*\n)+")
# MyST's and Sphinx's directives whose body is text for readers (admonitions, version notes, tabs, dropdowns); any
# other's is code ("```{pip-cli}", "```{code-block}"), and those that only point at other files are no text at all.
# A colon fence without braces is Docusaurus' admonition (":::tip"), whatever its name.
_PROSE_DIRECTIVES = {"admonition", "attention", "caution", "danger", "error", "hint", "important", "note",
                     "seealso", "tip", "warning", "info", "success", "failure", "question", "example", "abstract",
                     "summary", "tldr", "todo", "bug", "quote", "dropdown", "topic", "sidebar", "margin", "epigraph",
                     "tab-set", "tab-item", "tabs", "tab", "card", "details", "versionadded", "versionchanged",
                     "deprecated"}
# How deep directives are read inside directives (tabs in a tab set, a note in a tab): each body is parsed again on
# its own, so a page of fences nested without end would cost its size once per level. Deeper bodies are read as code.
MAX_DIRECTIVE_DEPTH = 8
_POINTER_DIRECTIVES = {"toctree", "include", "literalinclude", "image", "contents", "tableofcontents"}
# A role's text when it names its target apart ("{ref}`the guide <guide>`" shows "the guide").
_ROLE_TITLE = re.compile(r"(.+?)\s*<[^<>]+>\s*$", re.S)
# An alert's marker as Hugo, Obsidian and Docsy write it, with a kind of the site's own ("[!INFO]") or a title after
# it ("[!WARNING] Before you upgrade", "[!TIP]- Faster"), which GitHub's alerts (and markdown-it's) do not take.
_ALERT_MARK = re.compile(r"\[!([A-Za-z][\w-]*)\][+-]?[ \t]*(.*)")
ALERT_TITLE_WORDS = 12  # the most words of an alert's title: more on the marker's line are its first sentence
# A content tab's line as MkDocs Material writes it (pymdownx.tabbed): '=== "Linux"', '===+ "Linux"' (selected),
# '===! "Linux"' (a new set of tabs). This and the next are searched for in a whole page first, and anchored at a
# line's start: unanchored, a search tried the leading blanks at every position of a run of spaces, which manual
# pages rendered to Markdown are full of (the fair corpus's manual pages took four times as long to read).
_CONTENT_TAB = re.compile(r'^([ \t]*)===[+!]?[ \t]+("[^"\n]*")[ \t]*', re.MULTILINE)
# An abbreviation's definition (Python Markdown's abbr extension): the word's tooltip, not the page's text.
_ABBREVIATION = re.compile(r"^[ \t]*\*\[[^\]\n]+\]:[ \t][^\n]*", re.MULTILINE)
# An icon as MkDocs Material writes one (":material-arrow-up-circle:", ":octicons-file-code-16:"), with the attribute
# list that styles it: a picture, no text.
_ICON = re.compile(rf":(?:material|octicons|fontawesome|simple)-[\w-]+:(?:{_ATTRIBUTE_LIST})?[ \t]?")
# Python Markdown's extensions that MkDocs sites write inside text: an attribute list right after the element it
# styles, a link or a word ("[Start](new.md){ .md-button }"; "Write {#id}", with a space before it, is text), keys
# ("++ctrl+alt+del++" shows Ctrl+Alt+Del), marked and inserted text ("==marked==", "^^inserted^^" show their words).
_INLINE_ATTRIBUTES = re.compile(rf"(?<!\s){_ATTRIBUTE_LIST}")
# Each only where it stands apart from the words and signs around it, as pymdownx's "smart" marks do: "mode==linear"
# and "'===' for '=='" are text.
_KEYS = re.compile(r"(?<![\w+])\+\+([\w-]+(?:\+[\w-]+)*)\+\+(?![\w+])")
_MARKED = re.compile(r"(?<![\w=^])(==|\^\^)(?![\s=^])(.+?)(?<![\s=^])\1(?![\w=^])")
# What may stand between two footnotes' marks ("[^2],[^3]").
_BETWEEN_MARKS = re.compile(r"[\s,;]*")
_HTML_TAG = re.compile(r"<[^>]+>")
# What a page's HTML holds that is never text: comments, scripts and styles.
_HTML_NEVER_TEXT = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.I | re.S)
# A disclosure widget written in a Markdown page's HTML, as GitHub's FAQs write theirs: "<details><summary>Can I
# …?</summary>", Markdown, then "</details>".
_DISCLOSURE_TAG = re.compile(r"<(/?)(details|summary)\b[^>]*>", re.I)


def read_markdown(raw: str) -> tuple[str | None, list[Block]]:
    """Paragraphs of a Markdown text with its markup taken out; headings, list items, table rows and code blocks
    stand alone.

    A line in bold on its own that asks a question ("**How do I ...?**"), at a paragraph's start, is a FAQ entry's
    heading; the rest of that paragraph is its reply. So is a titled admonition, a definition list's term and a
    disclosure widget's summary in the page's HTML, each heading what its element holds. A footnote follows the
    block that first refers to it (blocks.notes_placed), where a reader looks for it; the marks that refer to it are
    left out."""
    env: dict = {}
    source = as_shown(_extension_blocks(as_markdown(raw)))
    tokens = _PARSER.parse(source, env)  # which takes "\r\n" and "\r" as line ends itself (CommonMark's rule)
    title = next((_front_matter_title(t.content) for t in tokens if t.type == "front_matter"), None)
    blocks = notes_placed(_MarkdownReader(env).read(tokens))
    return title, [b for b in blocks if b.text]


def _extension_blocks(raw: str) -> str:
    """The blocks of Python Markdown's extensions that MkDocs sites write and CommonMark does not know, rewritten as
    the reader knows them: MkDocs Material's content tabs ('=== "Linux"' above the tab's content, indented:
    pymdownx.tabbed) as admonitions ('!!! tab "Linux"'), whose syntax is the same but for the marker, so that the
    tab's name heads its content, which CommonMark alone reads as an indented block of code; an abbreviation's
    definition ("*[HTML]: Hyper Text Markup Language", shown as a tooltip on the word) left out. Never in code. A tab
    inside another's content is found once the outer one is an admonition, so the page is read again for each level,
    as deep as directives are read."""
    for _ in range(MAX_DIRECTIVE_DEPTH):
        if not (_CONTENT_TAB.search(raw) or _ABBREVIATION.search(raw)):
            return raw
        lines = raw.splitlines(keepends=True)
        code = code_lines(raw)
        changed = False
        for k, line in enumerate(lines):
            if code[k]:
                continue
            text = line.rstrip("\r\n")
            if tab := _CONTENT_TAB.fullmatch(text):
                lines[k] = f"{tab.group(1)}!!! tab {tab.group(2)}{ending(line)}"
                changed = True
            elif _ABBREVIATION.fullmatch(text):
                lines[k] = ending(line)
                changed = True
        if not changed:
            return raw
        raw = "".join(lines)
    return raw


def _front_matter_title(front_matter: str) -> str | None:
    match = _FRONT_MATTER_TITLE.search(front_matter)
    if match is None:
        return None
    title = match.group(1)
    if title[:1] in (">", "|", "[", "{", "&", "*"):
        return None  # a block scalar on the lines below, a list, a mapping or an alias: no title written out here
    if len(title) >= 2 and title[0] == title[-1] and title[0] in "\"'":
        title = title[1:-1]
    return title.strip() or None


class _MarkdownReader:
    """One Markdown page read into blocks; the sections its elements scope are numbered across the whole page (a
    directive's body is parsed on its own and read by the same reader)."""

    def __init__(self, env: dict):
        self.env = env  # the page's parse's: its footnotes, which a directive's body may refer to
        self.notes_read: set[str] = set()  # the labels of the page's footnotes read so far
        self._noted(env)
        self.scopes_made = 0
        self.depth = 0  # directives open around the body being read
        self.parses = 0  # token lists read: a footnote's name is its id in its parse (a directive's body is one)
        self.widgets = _MarkdownDisclosures(self)

    def scope(self) -> int:
        self.scopes_made += 1
        return self.scopes_made

    def read(self, tokens: list[Token], parse: int = 0) -> list[Block]:
        """The blocks of one parse's tokens (a footnote's tokens are read as part of the parse they come from)."""
        tokens, notes = _footnotes(tokens)
        if not parse:
            self.parses += 1
            parse = self.parses
        blocks: list[Block] = []
        heading_level = 0
        row: list[str] | None = None
        open_items = 0  # list items open around the token (lists nest)
        in_alert_title = False
        admonitions: list[tuple[str, int]] = []  # each admonition open: its kind, and its title's scope (0: none)
        quotes: list[int] = []  # each block quote open: its alert title's scope (0: none, or not an alert)
        quote_opened = False  # the next paragraph opens a block quote: an alert's marker may start it
        terms: list[int] = []  # for each definition list open, the scope of its term being described (0 for none)
        refers: tuple[str, ...] = ()  # the footnotes whose marks were read since the last block was made
        previous = ""  # the type of the token before this one: the element whose text an inline token is
        for token in tokens:
            before = len(blocks)
            kind = token.type
            if kind == "list_item_open":
                open_items += 1
            elif kind == "list_item_close":
                open_items -= 1
            elif kind == "heading_open":
                heading_level = int(token.tag[1])
            elif kind == "heading_close":
                heading_level = 0
            elif kind == "tr_open":
                row = []
            elif kind == "tr_close":
                text = " ".join(cell for cell in row if cell)
                if not _BLOCK_ATTRIBUTES.fullmatch(text):  # the table's attributes on the line below it
                    blocks.append(Block(text, row=True))
                row = None
            elif kind == "alert_title_open":
                in_alert_title = True  # "Warning": the renderer's word for the alert's kind, not the writer's
            elif kind == "alert_title_close":
                in_alert_title = False
            elif kind == "blockquote_open":
                quotes.append(0)
                quote_opened = True
            elif kind == "blockquote_close":
                _close(blocks, quotes.pop())
            elif kind == "admonition_open":
                admonitions.append((token.meta["tag"], 0))
            elif kind == "admonition_close":
                _close(blocks, admonitions.pop()[1])
            elif kind == "dl_open":
                terms.append(0)
            elif kind == "dt_open":
                _close(blocks, terms[-1])  # a term's description ends where the next term starts
                terms[-1] = 0
            elif kind == "dl_close":
                _close(blocks, terms.pop())
            elif kind == "inline" and in_alert_title:
                pass
            elif kind == "inline":
                children = token.children or []
                refers += tuple(f"{parse}:{t.meta['id']}" for t in children if t.type == "footnote_ref")
                if row is not None:
                    row.append(_markdown_text(children).strip())
                elif heading_level:
                    text = _HEADING_ATTRIBUTES.sub("", _markdown_text(children)).strip()
                    if text:
                        blocks.append(heading(text, heading_level))
                elif previous == "admonition_title_open":
                    text = _markdown_text(children).strip()
                    if text.casefold() != admonitions[-1][0].casefold():  # "Note" for "!!! note": no title of its own
                        admonitions[-1] = (admonitions[-1][0], self.scope())
                        blocks.append(replace(heading(text, RUN_IN_LEVEL), scope=admonitions[-1][1]))
                elif previous == "dt_open":
                    text = _markdown_text(children).strip()
                    if text.endswith(":"):
                        blocks.append(Block(text))  # a lead-in its description goes on from ("You probably can:")
                    else:
                        terms[-1] = self.scope()
                        blocks.append(replace(heading(text, RUN_IN_LEVEL), scope=terms[-1]))
                elif quote_opened and previous == "paragraph_open" and (alert := self._alert(children)) is not None:
                    title, body = alert
                    if title:
                        quotes[-1] = self.scope()
                        blocks.append(replace(heading(title, RUN_IN_LEVEL), scope=quotes[-1]))
                    blocks += body
                else:
                    blocks += _markdown_paragraph(children)
                quote_opened = False
            elif kind in ("fence", "colon_fence"):
                blocks += self._fence(token)
            elif kind == "code_block":
                blocks.append(Block(token.content.strip("\n"), code=True))
            elif kind == "html_block":
                self.widgets.read(token.content, blocks)
            if open_items:
                blocks[before:] = [_as_item(block, open_items) for block in blocks[before:]]
            if refers and len(blocks) > before:
                blocks[-1] = replace(blocks[-1], refers=blocks[-1].refers + refers)
                refers = ()
            previous = kind
        for number, note in notes.items():  # where the page shows them, at its end, until notes_placed
            blocks += [replace(block, note=f"{parse}:{number}") for block in self.read(note, parse)]
        return blocks

    @staticmethod
    def _alert(children: list[Token]) -> tuple[str, list[Block]] | None:
        """A block quote's first paragraph opening with an alert's marker: the alert's own title, if the rest of the
        marker's line is one, and the paragraph's blocks without the marker; None when it is no alert.

        Hugo and Obsidian read the rest of the line as a title ("[!WARNING] Before you upgrade"); other sites write
        the alert's first words there ("[!TIP] Once the branch is ready you can use the" and the sentence goes on
        below). It is a title when it is a phrase (at most ALERT_TITLE_WORDS words) and the next line, if any, starts
        a sentence of its own; otherwise text: a sentence that goes on below is one paragraph, a long line its own."""
        first_break = next((i for i, t in enumerate(children) if t.type in ("softbreak", "hardbreak")), len(children))
        marker = _ALERT_MARK.fullmatch(_markdown_text(children[:first_break]).strip())
        if marker is None:
            return None
        rest, below = marker.group(2).strip(), children[first_break + 1:]
        following = _markdown_text(below).strip()
        if rest and following and not following[:1].isupper():
            return "", [Block(f"{rest} {following}")]
        blocks = _markdown_paragraph(below) if following else []
        if not rest or rest.casefold() == marker.group(1).casefold():  # "[!NOTE] Note": the kind's word, no title
            return "", blocks
        if len(rest.split()) <= ALERT_TITLE_WORDS:
            return rest, blocks
        return "", [Block(rest), *blocks]

    def _fence(self, token: Token) -> list[Block]:
        """A fenced block: code, or a directive (a tip, a note, a warning) whose body is Markdown to read, under its
        title when it has one of its own."""
        directive = _DIRECTIVE.fullmatch(token.info) if token.type == "colon_fence" or "{" in token.info else None
        braced = directive is not None and directive.group(1) is not None
        if directive is not None and not braced and token.type == "fence":
            directive = None  # "```python": a language, not a directive
        if directive is None:
            return [Block(token.content.strip("\n"), code=True)]
        name = directive.group(2).lower()
        if braced and name in _POINTER_DIRECTIVES:
            return []
        source = _DIRECTIVE_OPTION.sub("", token.content)  # a directive's options, never a code fence's lines
        if braced and name not in _PROSE_DIRECTIVES or self.depth >= MAX_DIRECTIVE_DEPTH:
            return [Block(source.strip("\n"), code=True)]
        self.depth += 1
        env = self._body_env()
        body = self.read(_PARSER.parse(source, env))
        self._noted(env)
        self.depth -= 1
        # (A version note's argument, its version, is its title: "6.0" heads "Support for environment markers.")
        title = (directive.group(3) or directive.group(4) or "").strip()
        if not body or not title or title.casefold() == name:
            return body
        scope = self.scope()
        _close(body, scope)
        return [replace(heading(title, RUN_IN_LEVEL), scope=scope), *body]


    def _body_env(self) -> dict:
        """What a directive's body is parsed with: the page's footnotes, so that the body's marks find them (and are
        no text), with the text of those the page's own text never refers to (those it does are read with the
        page)."""
        page = self.env.get(_DEFINITIONS, {})
        given = {label: tokens for label, tokens in page.items() if label not in self.notes_read}
        return {"footnotes": {"refs": {f":{label}": -1 for label in page}}, _GIVEN: given}

    def _noted(self, env: dict) -> None:
        """The notes a parse referred to are read: with the page's text, or after the first body that refers to
        them, never twice."""
        self.notes_read.update(note.get("label") for note in env.get("footnotes", {}).get("list", {}).values())


def _footnotes(tokens: list[Token]) -> tuple[list[Token], dict[int, list[Token]]]:
    """The page's tokens without its footnotes, and each footnote's tokens by its id, in the page's order."""
    body: list[Token] = []
    notes: dict[int, list[Token]] = {}
    note: list[Token] | None = None
    for token in tokens:
        if token.type == "footnote_open":
            note = notes.setdefault(token.meta["id"], [])
        elif token.type == "footnote_close":
            note = None
        elif token.type in ("footnote_block_open", "footnote_block_close"):
            pass
        elif note is not None:
            note.append(token)
        else:
            body.append(token)
    return body, notes


def _close(blocks: list[Block], scope: int) -> None:
    """The section of `scope` ends with the last block read (nothing to end for 0, or when nothing was read)."""
    if scope and blocks:
        blocks[-1] = replace(blocks[-1], closes=blocks[-1].closes + (scope,))


class _MarkdownDisclosures:
    """The disclosure widgets of a Markdown page's HTML blocks, which open in one block and close in a later one."""

    def __init__(self, reader: _MarkdownReader):
        self.reader = reader
        self.open: list[int] = []  # the scope of each <details> open (0 until its summary is read)

    def read(self, raw: str, blocks: list[Block]) -> None:
        """An HTML block's text as blocks: its summaries as headings, the rest as paragraphs without the tags."""
        raw = _HTML_NEVER_TEXT.sub("", raw)
        end = 0
        summary = False
        for tag in [*_DISCLOSURE_TAG.finditer(raw), None]:
            text = html.unescape(_HTML_TAG.sub("", raw[end:tag.start() if tag else len(raw)])).strip()
            end = tag.end() if tag else len(raw)
            if text and summary:
                block = heading(" ".join(text.split()), RUN_IN_LEVEL)
                if self.open and not self.open[-1]:
                    self.open[-1] = self.reader.scope()
                    block = replace(block, scope=self.open[-1])
                blocks.append(block)
            elif text:
                blocks.append(Block(text))
            if tag is None:
                break
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if name == "summary":
                summary = not closing
            elif not closing:
                self.open.append(0)
            elif self.open:
                _close(blocks, self.open.pop())


def _as_item(block: Block, depth: int) -> Block:
    """A block of a list's item `depth` lists deep, marked as one when it is a paragraph (a heading, a row or code
    inside an item is read as what it is)."""
    return block if block.level or block.row or block.code else replace(block, item=depth)


def _markdown_paragraph(children: list[Token]) -> list[Block]:
    """A paragraph's blocks: its text, or a bold question on its first line and the reply that follows it. A last
    line that is only an attribute list (Goldmark's "{.list-unstyled}" for the block above) is no text."""
    last_break = next((i for i in range(len(children) - 1, -1, -1) if children[i].type == "softbreak"), -1)
    if _BLOCK_ATTRIBUTES.fullmatch(_markdown_text(children[last_break + 1:]).strip()):
        children = children[:max(last_break, 0)]  # (a paragraph of nothing else, after an HTML block, is none)
    first_break = next((i for i, t in enumerate(children) if t.type in ("softbreak", "hardbreak")), len(children))
    first_line = children[:first_break]
    if (len(first_line) >= 3 and first_line[0].type == "strong_open" and first_line[-1].type == "strong_close"
            and not any(t.type == "strong_close" for t in first_line[1:-1])):
        question = _markdown_text(first_line).strip()
        if QUESTION_END.search(question):
            return [Block(question, RUN_IN_LEVEL, question=True),
                    Block(_markdown_text(children[first_break + 1:]).strip())]
    return [Block(_markdown_text(children).strip())]


def _markdown_text(children: list[Token]) -> str:
    """What an inline run shows: its text and code, an image's alternative text, line breaks; no markup, and no
    footnote's mark (the footnote is read where its block ends). A line ending inside a paragraph is a space, as a
    Markdown renderer shows it (CommonMark's soft break): the source's wrapping is not the text's; a hard break (two
    spaces or a backslash before it) is a line break."""
    parts = []
    for i, t in enumerate(children):
        if t.type == "text" and 0 < i < len(children) - 1 and _BETWEEN_MARKS.fullmatch(t.content) and (
                children[i - 1].type == children[i + 1].type == "footnote_ref"):
            continue  # "[^2],[^3]": what stands between two footnotes' marks goes with them
        if (t.type == "footnote_ref" and parts and parts[-1][-1:].isspace() and i + 1 < len(children)
                and children[i + 1].content[:1].isspace()):
            parts[-1] = parts[-1].rstrip()  # "your computer [^1] that": one space where the mark was
        if t.type == "text":
            parts.append(_as_rendered(t.content))
        elif t.type == "code_inline":
            parts.append(t.content)
        elif t.type == "softbreak":
            parts.append(" ")
        elif t.type == "hardbreak":
            parts.append("\n")
        elif t.type == "image":
            parts.append(t.content)
        elif t.type == "myst_role":
            parts.append(_role_text(t.meta["name"], t.content))
    return "".join(parts)


def _as_rendered(text: str) -> str:
    """A text token as MkDocs and Python Markdown's extensions render it: no icons or attribute lists, keys by
    their names, marked and inserted words without their marks."""
    if not any(c in text for c in ":{+=^"):
        return text
    text = _INLINE_ATTRIBUTES.sub("", _ICON.sub("", text))
    text = _KEYS.sub(lambda keys: "+".join(key[:1].upper() + key[1:] for key in keys.group(1).split("+")), text)
    return _MARKED.sub(r"\2", text)


def _role_text(name: str, content: str) -> str:
    """What Sphinx shows for a role: its title when it names one, "PEP 8" for {pep}`8`, the last part of a
    "~"-marked name ("~json.dumps" shows "dumps"), else its content."""
    titled = _ROLE_TITLE.fullmatch(content)
    if titled:
        return titled.group(1)
    if name.lower() in ("pep", "rfc"):
        return f"{name.upper()} {content}"
    if content.startswith("~"):
        return content[1:].rsplit(".", 1)[-1]
    return content.lstrip("!")
