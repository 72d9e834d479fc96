"""Document formats: each one's name, file extensions, media types and reader, declared once in FORMATS.

Everything that names formats (the stores, PUT /api/documents, the `corpus add` command, the OpenAPI document, the
editor page) reads them from here, so a new format is a reader and one line in FORMATS. A reader turns a source
(decoded text, or the bytes as received for a binary format) into the title it names itself (None if it names none)
and its Blocks of text, markup taken out, headings marked with their level; documents.parse_document does the rest
(decoding, page furniture, the title's fallbacks, where each heading and page starts in the text).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

from .blocks import NUMBERING, QUESTION_END, RUN_IN_LEVEL, Block, heading, notes_placed, unnumbered
from .markdown import read_markdown
from .pdf import read_pdf
from .word import read_docx

# --- plain text -----------------------------------------------------------------------------------------------

_BLANK_LINES = re.compile(r"\n[ \t\r\f\v\u00a0\u3000]*\n")


def read_text(raw: str) -> tuple[str | None, list[Block]]:
    """Paragraphs of a plain text: runs of lines between blank lines, each kept character for character."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return None, [Block(block.strip()) for block in _BLANK_LINES.split(raw) if block.strip()]


# --- HTML -----------------------------------------------------------------------------------------------------

# Elements that are never the page's text (scripts, forms, embedded things) or are its furniture wherever they stand.
_HTML_SKIP = {"script", "style", "noscript", "template", "nav", "footer", "aside", "form", "button", "select",
              "svg", "iframe", "object", "head", "dialog"}
# A page's <header> is its masthead; an article's <header> holds the article's title and byline.
_HTML_MASTHEAD = "header"
_HTML_BLOCK = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
               "blockquote", "pre", "table", "tr", "td", "th", "dt", "dd", "dl", "figure", "figcaption", "br",
               "hr", "body", "html", "caption", "address", "details", "summary", "header"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# A table's row whose cells hold this much text at most, and no heading, list or table of their own, is read as one
# row (blocks.Block.row); a longer one is a page laid out in a table, read block by block as any other.
_ROW_MAX_CHARS = 500
_HTML_BOLD = {"b", "strong"}
# schema.org's types by their last word ("https://schema.org/Question"): a Question's name is a FAQ entry's question.
_SCHEMA_TYPE = re.compile(r"schema\.org/(\w+)\s*$", re.I)
_QUESTION_ITEM = "question"
_CONTROL = "control"
# A letter or a digit: what a heading's link to itself shows when it is a word of the heading, not a mark ("#", "¶").
_WORDLIKE = re.compile(r"\w")
# Landmark roles of a page's furniture (ARIA): site navigation, the masthead, the site footer, sidebars, search.
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
# Class and id words that templates (CMSs, Sphinx, DocBook and Publican, blog engines) give their furniture, matched as
# words of the attribute ("navheader", "docnav", "cookie-banner", "sphinxsidebar", "post-navigation"), not inside
# other words.
_FURNITURE_NAMES = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navheader|navfooter|navigation|docnav|menu|breadcrumbs?|footer|sidebar\w*|"
    r"sphinxsidebar\w*|banner|toc|cookies?|consent|gdpr|comments?|commentlist|respond|disqus|pagination|pager|"
    r"prev-?next|skip-?link|headerlink|advert\w*|ads|promo|newsletter|subscribe|byline|tagline)(?:$|[\s_-])",
    re.I,
)
# Words that also name content ("related work", "social history", "market share"): furniture only as a whole class
# or id, or with the suffix that templates give them ("related-posts", "share-buttons", "social-links").
_FURNITURE_WHOLE_NAMES = re.compile(
    r"(?:^|\s)(?:related(?:[-_]?(?:posts?|articles?|stories|links|content|entries|items))?|sharing|"
    r"share(?:[-_]?(?:buttons?|bar|links|this|tools))?|social(?:[-_]?(?:links|icons|media|share|buttons?))?)(?:$|\s)",
    re.I,
)
# A link from a section's heading back to the table of contents (docutils' "toc-backref", DPUB-ARIA's doc-backlink)
# holds the heading's own text: it is no table of contents, whatever "toc" its class says.
_BACKLINK_NAMES = re.compile(r"(?:^|\s)toc-backref(?:$|\s)")
_BACKLINK_ROLE = "doc-backlink"
_INVISIBLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# The page's main content, when it says where that is (HTML's <main>, ARIA's role=main, <article>).
_MAIN, _ARTICLE = "main", "article"
# A list whose every item is a link to a place on the same page ("#q13") that names a line of the page (a heading, a
# FAQ's question) is the page's table of contents, whatever its class: its lines are those lines again, never an
# answer. Links that name no line of their own ("RWF_HIPRI", a constant defined as "os.RWF_HIPRI") are content.
_LISTS = {"ul", "ol"}
# A link to a place on a page of the same folder by its file name ("faq.html#faq.reports"), as DocBook writes its
# links to the page itself: the page's own when the line it names is one of the page's (a table of contents' test).
_PAGE_FRAGMENT = re.compile(r"[^/:?#\s]+\.html?#\S+", re.I)
# The lists a table of contents is written as: a definition list too, as DocBook writes a FAQ's ("<dt>1. <a …>Background
# </a></dt><dd>1.1. <a …>How do you …?</a></dd>"), one list a chapter.
_CONTENTS_LISTS = _LISTS | {"dl"}
# A footnote's mark, as a link shows it ("1", "[7]", "a", "*", "†"), and the arrows and carets a footnote links back
# to it with ("↩︎" as Pandoc and kramdown write it, Wikipedia's "^").
_NOTE_MARK = re.compile(r"\[?\s*(?:\d{1,3}|[a-z]|[*†‡§]{1,3})\s*\]?", re.I)
_BACK_ARROW = re.compile(r"[↩↑^⤴︎\ufe0e\ufe0f\s]+")
# The class and role words of a footnote's mark when it is neither a superscript nor in brackets.
_NOTE_LINK_NAMES = re.compile(r"footnote|noteref", re.I)
_TOC_MIN_LINKS = 2


@dataclass
class _Open:
    """An element open while parsing: its tag and what it makes of the text inside it."""

    tag: str
    skip: bool = False
    focus: str = ""
    in_page_link: bool = False
    # For a list: where its blocks start, and the counts of text outside same-page links and of such links when it
    # opened, so that closing it tells whether it held nothing else (a table of contents).
    first_block: int = 0
    plain_texts_before: int = 0
    links_before: int = 0
    # The sections whose headings this element scopes (blocks.Block.scope: a <details> its <summary>'s, a <dl> its
    # last term's, an accordion's panel its button's), which stop where it ends.
    scopes: list[int] = field(default_factory=list)
    # Its text names the entry that the text after it answers: a disclosure's control (_CONTROL: a <button>, or an
    # element with role="button", that opens and closes `panels`) or a schema.org Question's name (_QUESTION_ITEM,
    # itemprop="name"), which is a question whatever its punctuation; "" for other elements.
    names_entry: str = ""
    panels: list[str] = field(default_factory=list)
    # For an element with itemscope: the kind of thing it is, by its schema.org type ("question", "answer").
    item: str = ""
    # For a link to a place on the page: that place's id, and where its text starts in the text being read (the
    # length of `_HTMLText.current`, while `_HTMLText.flushes` is still `flushes`).
    target: str = ""
    text_from: int = 0
    flushes: int = 0
    element_id: str = ""
    names: str = ""  # its class and id words
    # For a footnote's own element (its id is what a mark in the text links to): that id.
    note: str = ""


class _HTMLText(HTMLParser):
    """Collects the text of an HTML page as Blocks, each with the landmark it stands in, without the furniture."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[Block, str]] = []
        self.stack: list[_Open] = []
        # How many open elements are of each tag, skip their text, are each landmark: kept as counts so that
        # each piece of text costs the same however deep a (hostile) page nests its elements.
        self.open_tags: Counter[str] = Counter()
        self.open_skips = 0
        self.open_focus: Counter[str] = Counter()
        self.open_in_page_links = 0
        self.plain_texts = 0
        self.in_page_links = 0
        self.current: list[str] = []
        self.bold_chars = 0
        self.level = 0
        self.term = False  # inside a definition list's term (<dt>)
        # The blocks of each list of same-page links only, as (first, end) positions in `blocks`.
        self.link_lists: list[tuple[int, int]] = []
        self.title_parts: list[str] | None = None
        self.title = ""
        # The ids of the panels that disclosure buttons open (aria-controls): a closed accordion's answers, hidden
        # until their question is pressed, are the page's text.
        self.disclosed: set[str] = set()
        # The panels the disclosure button being read opens, and, once its question is a heading, the scope of that
        # heading by panel id (blocks.Block.scope): the panel ends its section.
        self.panel_scopes: dict[str, int] = {}
        # The open elements whose text names an entry (_Open.names_entry), and those with itemscope, innermost last:
        # kept apart so that asking for the innermost costs the same however deep a page nests its elements.
        self.entry_names: list[_Open] = []
        self.items: list[_Open] = []
        self.scopes_made = 0
        # Footnotes: the ids the marks read so far link to ("[7]", a superscript "1"), the ids of those marks and of
        # the elements around them (what a note links back to), the marks in the block being read, the notes open
        # around it (innermost last), and how many blocks were flushed (a link's text is one block's).
        self.note_ids: set[str] = set()
        self.mark_ids: set[str] = set()
        self.refers: list[str] = []
        self.notes_open: list[_Open] = []
        self.flushes = 0

    def focus(self) -> str:
        """The landmark holding the text now: "main" (an article inside the main content counts as main),
        "article", or ""."""
        return _MAIN if self.open_focus[_MAIN] else _ARTICLE if self.open_focus[_ARTICLE] else ""

    def open_element(self, element: _Open) -> None:
        self.stack.append(element)
        self.open_tags[element.tag] += 1
        self.open_skips += element.skip
        self.open_focus[element.focus] += 1
        self.open_in_page_links += element.in_page_link
        self.in_page_links += element.in_page_link and not self.open_skips
        if element.names_entry:
            self.entry_names.append(element)
        if element.item:
            self.items.append(element)
        if element.note:
            self.notes_open.append(element)

    def close_element(self, tag: str) -> None:
        """Close the element and any left open inside it (a <p> or <li> without its end tag); an end tag that
        nothing opened is ignored, as browsers do."""
        if not self.open_tags[tag]:
            return
        while self.stack:
            element = self.stack.pop()
            self.open_tags[element.tag] -= 1
            self.open_skips -= element.skip
            self.open_focus[element.focus] -= 1
            self.open_in_page_links -= element.in_page_link
            if element.names_entry:
                self.entry_names.pop()
            if element.item:
                self.items.pop()
            if element.note:
                self.notes_open.pop()
                self._check_note(element)
            self._stop_sections(element)
            if element.tag in _CONTENTS_LISTS and self._only_same_page_links(element):
                self.link_lists.append((element.first_block, len(self.blocks)))
            elif element.tag == "tr":
                self._join_row(element.first_block)
            if element.tag == tag:
                return

    def _stop_sections(self, element: _Open) -> None:
        """The sections the element scopes stop with the last block read: it is the last one they hold."""
        if element.scopes and self.blocks:
            block, focus = self.blocks[-1]
            self.blocks[-1] = (replace(block, closes=block.closes + tuple(element.scopes)), focus)
        element.scopes.clear()

    def _check_note(self, element: _Open) -> None:
        """A footnote holds no heading: an element with one that a mark linked to is a part of the page, whose
        blocks are no note's (its blocks stay where they are)."""
        held = range(element.first_block, len(self.blocks))
        if any(self.blocks[i][0].level for i in held):
            for i in held:
                block, focus = self.blocks[i]
                if block.note == element.note:
                    self.blocks[i] = (replace(block, note=""), focus)

    def _end_link(self, link: _Open) -> None:
        """A link to a place on the page that shows only a mark ("[7]", "1", "*") in a superscript, in brackets or
        named as a note's reference, is a footnote's mark: the footnote follows the block it stands in
        (blocks.notes_placed). Inside a footnote, a link back to a mark ("[7] ", "↩", "^") is no text."""
        if link.flushes != self.flushes:
            return
        shown = "".join(self.current[link.text_from:]).strip()
        if self.notes_open:
            if link.target in self.mark_ids or _NOTE_MARK.fullmatch(shown) or _BACK_ARROW.fullmatch(shown):
                del self.current[link.text_from:]
            return
        marked = self.open_tags["sup"] or shown.startswith("[") or bool(_NOTE_LINK_NAMES.search(link.names))
        if _NOTE_MARK.fullmatch(shown) and marked and not self.level:
            self.note_ids.add(link.target)
            self.refers.append(link.target)
            # The mark's own id and those of the inline elements around it (a <sup id="fnref:1">) are what the
            # footnote's link back names.
            for element in reversed(self.stack):
                if element.tag in _HTML_BLOCK:
                    break
                if element.element_id:
                    self.mark_ids.add(element.element_id)

    def _innermost(self, tag: str) -> _Open | None:
        return next((element for element in reversed(self.stack) if element.tag == tag), None)

    def _scoped(self, block: Block) -> Block:
        """A heading that a disclosure widget, an accordion's button, a glossary's term or a schema.org Question's
        name makes, with the scope that the element holding what it heads stops (the <details>, the panel, the <dl>,
        the Question); other headings as they are, and so is one of these outside such an element: nothing says
        where its section ends."""
        owner = None
        panels: list[str] = []
        if self.open_tags["summary"]:
            owner = self._innermost("details")
        elif self.term:
            owner = self._innermost("dl")
        elif self.entry_names:
            panels = self.entry_names[-1].panels
            item = self.items[-1] if self.items else None
            owner = item if not panels and item is not None and item.item == _QUESTION_ITEM else None
        if owner is None and not panels:
            return block
        self.scopes_made += 1
        if owner is not None:
            owner.scopes.append(self.scopes_made)
        else:
            # The panel opens after its control: it takes the scope when it opens, and stops it when it ends.
            self.panel_scopes.update((panel, self.scopes_made) for panel in panels)
        return replace(block, scope=self.scopes_made)

    def _open_in_innermost(self, tag: str, containers: tuple[str, ...] | set[str]) -> bool:
        """Whether the innermost container open (a table for a row, a list for an item) has this element open."""
        for element in reversed(self.stack):
            if element.tag == tag or element.tag in containers:
                return element.tag == tag
        return False

    def _join_row(self, first: int) -> None:
        """The blocks since `first`, a table row's cells, as one row block, unless they are more than a row holds.
        A list of same-page links closed inside the row would be the last one recorded (lists close in order), and its
        positions would move: such a row is left as it is."""
        self.flush()
        cells = self.blocks[first:]
        if (len(cells) >= 2 and sum(len(block.text) for block, _ in cells) <= _ROW_MAX_CHARS
                and not any(block.level or block.row or block.code for block, _ in cells)
                and not (self.link_lists and self.link_lists[-1][0] >= first)):
            self.blocks[first:] = [(Block(" ".join(block.text for block, _ in cells), row=True,
                                          closes=tuple(scope for block, _ in cells for scope in block.closes)),
                                    cells[0][1])]

    def _only_same_page_links(self, element: _Open) -> bool:
        """Whether the list held nothing but links to places on this page, at least two (a table of contents)."""
        return (self.plain_texts == element.plain_texts_before
                and self.in_page_links - element.links_before >= _TOC_MIN_LINKS)

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.title_parts = []
            return
        attributes = dict(attrs)
        role = (attributes.get("role") or "").strip().lower()
        # A button that opens and closes a panel (aria-expanded, or inside a heading, as accordions write their
        # questions: "<h3><button aria-controls=…>Can I …?</button></h3>"; or any element with role="button", as
        # page builders write theirs) names what the panel holds; other buttons are the page's controls. So does a
        # schema.org Question's name, as FAQ pages mark theirs for search engines.
        disclosure = (tag == "button" or role == "button") and (bool(self.level) or "aria-expanded" in attributes)
        names_entry = (_CONTROL if disclosure else _QUESTION_ITEM
                       if attributes.get("itemprop") == "name" and self.items and self.items[-1].item == _QUESTION_ITEM
                       else "")
        panels = (attributes.get("aria-controls") or "").split() if disclosure else []
        if tag in _HTML_BLOCK or names_entry:
            self.flush()
        self.disclosed.update(panels)
        if tag == "dt" and (glossary := self._innermost("dl")) is not None:
            self._stop_sections(glossary)  # a term's description ends where the next term starts
        if tag == "tr" and self._open_in_innermost("tr", ("table",)):
            self.close_element("tr")  # a row whose end tag was left out ends where the next one starts
        elif tag == "li" and self._open_in_innermost("li", _LISTS):
            self.close_element("li")  # and so does a list's item
        if tag in _VOID:
            return
        names = " ".join(filter(None, (attributes.get("class"), attributes.get("id"))))
        focus = _MAIN if tag == "main" or role == "main" else _ARTICLE if tag == "article" else ""
        hidden = ("hidden" in attributes or (attributes.get("aria-hidden") or "").lower() == "true"
                  or bool(_INVISIBLE.search(attributes.get("style") or "")))
        hidden = hidden and attributes.get("id") not in self.disclosed
        backlink = role == _BACKLINK_ROLE or bool(_BACKLINK_NAMES.search(names))
        skip = (hidden or tag in _HTML_SKIP and not disclosure or (tag == _HTML_MASTHEAD and not self.focus())
                or role in _FURNITURE_ROLES
                or (not focus and not backlink
                    and bool(_FURNITURE_NAMES.search(names) or _FURNITURE_WHOLE_NAMES.search(names))))
        href = (attributes.get("href") or "").strip()
        in_page_link = tag == "a" and (len(href) > 1 and href[0] == "#" or bool(_PAGE_FRAGMENT.fullmatch(href)))
        panel_scope = self.panel_scopes.pop(attributes.get("id") or "", None)
        kind = _SCHEMA_TYPE.search(attributes.get("itemtype") or "") if "itemscope" in attributes else None
        element_id = (attributes.get("id") or "").strip()
        self.open_element(_Open(tag, skip, focus, in_page_link, len(self.blocks), self.plain_texts,
                                self.in_page_links, [panel_scope] if panel_scope is not None else [],
                                names_entry, panels, kind.group(1).lower() if kind else "",
                                href.split("#", 1)[1] if in_page_link else "", len(self.current), self.flushes,
                                element_id, names, element_id if element_id in self.note_ids else ""))
        if tag in _HTML_HEADINGS:
            self.level = _HTML_HEADINGS[tag]
        elif tag == "dt":
            self.term = True

    def handle_endtag(self, tag):
        if tag == "title" and self.title_parts is not None:
            self.title = " ".join("".join(self.title_parts).split())
            self.title_parts = None
            return
        if tag in _HTML_BLOCK or self.entry_names and self.entry_names[-1].tag == tag and not self.open_skips:
            self.flush()  # the end of a disclosure's control or a Question's name ends the entry's question
        if tag == "a" and (link := self._innermost("a")) is not None and link.target and not self.open_skips:
            self._end_link(link)
        self.close_element(tag)
        if tag in _HTML_HEADINGS:
            self.level = 0
        elif tag == "dt":
            self.term = False

    def handle_data(self, data):
        if self.title_parts is not None:
            self.title_parts.append(data)
        elif not self.open_skips and not ((self.level or self.term) and self.open_in_page_links
                                          and not _WORDLIKE.search(data)):
            # (A heading's or a term's link to itself that shows only a mark, "#", "¶", "§", as Node's, GitHub's,
            # MkDocs' and Texinfo's pages write it, is no word of the heading.)
            self.current.append(data)
            # (An entry's number outside its link, "1.1. ", is no text of a table of contents' own.)
            if not self.open_in_page_links and data.strip() and not NUMBERING.fullmatch(data.strip()):
                self.plain_texts += 1
            if any(self.open_tags[tag] for tag in _HTML_BOLD):
                self.bold_chars += len("".join(data.split()))

    def flush(self):
        said = "".join(self.current)
        code = bool(self.open_tags["pre"])
        if code:
            # Preformatted text keeps its lines, as the page shows them (a command each), blank ones aside.
            text = "\n".join(" ".join(line.split()) for line in said.splitlines() if line.strip())
        else:
            text = " ".join(said.split())
        if text:
            if self.level:
                block = self._scoped(heading(text, self.level))
            elif code:
                block = Block(text, code=True)
            elif self.open_tags["summary"] or self.entry_names or self.term and not text.endswith(":"):
                # What a disclosure widget shows closed (<details><summary>, an accordion's button), as help centres
                # set their questions, a definition list's term (a glossary's word, a FAQ's question; not a lead-in
                # that its description goes on from, "You probably can:") and a schema.org Question's name: the
                # heading of the text it opens or describes, a FAQ entry's question when it asks one (a Question's
                # name always does).
                block = self._scoped(heading(text, RUN_IN_LEVEL))
                if self.entry_names and self.entry_names[-1].names_entry == _QUESTION_ITEM:
                    block = replace(block, question=True)
            elif self.bold_chars >= len("".join(text.split())) and QUESTION_END.search(text):
                # A FAQ entry's question written as a line in bold on its own.
                block = Block(text, RUN_IN_LEVEL, question=True)
            else:
                block = Block(text, item=self.open_tags["li"])
            if self.refers or self.notes_open:
                block = replace(block, refers=tuple(self.refers),
                                note=self.notes_open[-1].note if self.notes_open else "")
            self.blocks.append((block, self.focus()))
        self.current = []
        self.refers = []
        self.bold_chars = 0
        self.flushes += 1


def read_html(raw: str) -> tuple[str | None, list[Block]]:
    """The title and the main content of an HTML page, without its furniture.

    The page's own structure says what the main content is: the text in <main> (or role="main") when the page has
    one, else in its <article>s, else the whole body; in every case without navigation, mastheads, footers,
    sidebars, breadcrumbs, cookie banners, comment widgets and tables of contents (by element, ARIA role, or the
    class and id names templates give them). The title is the first <h1> of the main content, else <title>.
    """
    parser = _HTMLText()
    parser.feed(raw)
    parser.close()
    parser.flush()
    read = _without_tables_of_contents(parser)
    focuses = {focus for _, focus in read}
    wanted = _MAIN if _MAIN in focuses else _ARTICLE if _ARTICLE in focuses else None
    blocks = notes_placed(_without_lone_numbers([block for block, focus in read if wanted is None or focus == wanted]))
    h1 = next((block.text for block in blocks if block.level == 1), "")
    return (h1 or parser.title or None), blocks


def _without_tables_of_contents(parser: _HTMLText) -> list[tuple[Block, str]]:
    """The page's blocks without its tables of contents: lists of same-page links each naming a line of the page
    outside the list, its numbering aside (a heading, or a FAQ's question in bold: "How do I create an AUTOINCREMENT
    field?" for "(1) How do I create an AUTOINCREMENT field?"). A list that a paragraph introduces ("asyncio has the
    following primitives:") is what that paragraph says, whatever its items link to.

    Every line a table names is a heading, the table says so: a FAQ's entry in bold that asks nothing in so many
    words ("(18) Case-insensitive matching of Unicode characters does not work.") heads its reply as the entries
    around it do, and is one of the FAQ's questions when most lines the page's tables name, its headings aside, are
    (a table written as one list a chapter, as DocBook writes a FAQ's, is one table)."""
    blocks = parser.blocks
    listed = {i for first, end in parser.link_lists for i in range(first, end)}
    lists = [(first, end) for first, end in parser.link_lists
             if not (first and first - 1 not in listed and _introduces(blocks[first - 1][0]))]
    lines: dict[str, list[int]] = {}
    for i, (block, _) in enumerate(blocks):
        if i not in listed:
            lines.setdefault(_entry_name(block.text), []).append(i)
    for name, found in lines.items():
        # A name the page gives a heading and a line of text both is the heading's.
        lines[name] = [i for i in found if blocks[i][0].level] or found
    dropped: set[int] = set()
    named: list[int] = []  # the positions of the lines the tables name
    for first, end in lists:
        names = [_entry_name(block.text) for block, _ in blocks[first:end]]
        if all(name in lines for name in names):
            dropped.update(range(first, end))
            named += [i for name in names for i in lines[name]]
    # The page's own headings among them (a chapter's title) are what they are, questions or not.
    lines_named = [i for i in named if blocks[i][0].level in (0, RUN_IN_LEVEL)]
    faq = 2 * sum(blocks[i][0].question for i in lines_named) >= len(lines_named)
    entries = {i: faq or blocks[i][0].question for i in named}  # a named line -> whether it is a FAQ's question
    return [(_as_entry(block, entries[i]) if i in entries else block, focus)
            for i, (block, focus) in enumerate(blocks) if i not in dropped]


def _without_lone_numbers(blocks: list[Block]) -> list[Block]:
    """The blocks without an entry's number standing alone before its heading ("4.1." in a cell of its own beside
    the question, as DocBook sets a FAQ's entries in a table): it says nothing a reader asks about."""
    return [block for k, block in enumerate(blocks)
            if not (NUMBERING.fullmatch(block.text) and k + 1 < len(blocks) and blocks[k + 1].level)]


def _as_entry(block: Block, question: bool) -> Block:
    return block if block.level else Block(block.text, RUN_IN_LEVEL, question, block.page, closes=block.closes)


def _introduces(block: Block) -> bool:
    return not block.level and block.text.endswith(":")


def _entry_name(text: str) -> str:
    return " ".join(unnumbered(text).casefold().split())


@dataclass(frozen=True)
class Format:
    name: str
    # The first extension is the one a store gives a file it writes; the others are read as this format too.
    extensions: tuple[str, ...]
    # The first media type is the one the editor page sends a file of this format as.
    media_types: tuple[str, ...]
    # A text format's reader gets the source decoded from UTF-8; a binary one's (binary=True) gets the bytes as
    # received, which the stores keep as they are.
    read: Callable[[str], tuple[str | None, list[Block]]] | Callable[[bytes], tuple[str | None, list[Block]]]
    binary: bool = False
    # How a binary format's files begin, so that one sent or named as text can be recognised in the refusal.
    signature: bytes = b""


DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = (
    Format("text", (".txt", ".text"), ("text/plain",), read_text),
    Format("markdown", (".md", ".markdown", ".mdx"), ("text/markdown", "text/mdx"), read_markdown),
    Format("html", (".html", ".htm"), ("text/html",), read_html),
    Format("pdf", (".pdf",), ("application/pdf",), read_pdf, binary=True, signature=b"%PDF-"),
    Format("docx", (".docx",), (DOCX_MEDIA_TYPE,), read_docx, binary=True, signature=b"PK\x03\x04"),
)
NAMES = tuple(f.name for f in FORMATS)
# The formats a JSON upload's "text" can hold: a binary format is sent as its own bytes, with its media type.
TEXT_NAMES = tuple(f.name for f in FORMATS if not f.binary)
# The format of a document sent as JSON without a "format".
DEFAULT_NAME = "text"
_BY_NAME = {f.name: f for f in FORMATS}
_BY_EXTENSION = {extension: f for f in FORMATS for extension in f.extensions}
_BY_MEDIA_TYPE = {media_type: f for f in FORMATS for media_type in f.media_types}


def named(name: str) -> Format | None:
    return _BY_NAME.get(name)


def of_file(path: Path) -> Format | None:
    """The format a file's extension (in any case) says it has, or None."""
    return _BY_EXTENSION.get(path.suffix.lower())


def of_media_type(media_type: str) -> Format | None:
    return _BY_MEDIA_TYPE.get(media_type)


def of_signature(raw: bytes) -> Format | None:
    """The binary format whose files begin as `raw` does, or None."""
    return next((f for f in FORMATS if f.signature and raw.startswith(f.signature)), None)


def media_types_by_extension() -> dict[str, str]:
    """Every extension read, in FORMATS order, with the media type a file of that extension is sent as."""
    return {extension: f.media_types[0] for extension, f in _BY_EXTENSION.items()}


def media_types() -> list[str]:
    """Every media type accepted, in FORMATS order."""
    return list(_BY_MEDIA_TYPE)


def one_of(words: Iterable[str]) -> str:
    """Words as a person lists alternatives: "a, b or c"."""
    words = list(words)
    return " or ".join(filter(None, (", ".join(words[:-1]), words[-1])))


def file_kinds() -> str:
    """The files read, as messages name them: ".txt, .md, .html, .pdf or .docx"."""
    return one_of(f.extensions[0] for f in FORMATS)
