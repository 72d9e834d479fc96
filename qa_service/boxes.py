"""Boxes: what a site generator writes as an opening and a closing line around a page's content (a Hugo shortcode's
pair, an MDX component's tags), rewritten in the page's source as the Markdown reader reads a box.

A titled box (an alert's title, a tab's name or label) becomes a MyST colon fence (":::{admonition} Linux" …
":::"), which markdown.py reads as the title heading what the box holds; a box of code (Hugo's `highlight`, a tab
with a language) becomes a code fence. A box holding titled boxes needs more colons than they have, so that their
closing fence is not its own: each box counts how deep in titled boxes its content goes (`height`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class _Box:
    line: int
    indent: str
    name: str
    title: str
    language: str | None
    height: int = 1  # how many titled boxes deep it is, itself included


def ending(line: str) -> str:
    """A line's end ("\\n", "\\r\\n" or none): what is left of it made blank."""
    return line[len(line.rstrip("\r\n")):]


def quoted(match: re.Match | None) -> str | None:
    """The value of an attribute matched in double or in single quotes (the pattern's two groups), None unmatched."""
    return None if match is None else next(g for g in match.groups() if g is not None)


def fence_opening(indent: str, height: int, title: str) -> str:
    return f"{indent}{':' * (2 + height)}{{admonition}} {title}\n"


def fence_closing(indent: str, height: int, end: str) -> str:
    return f"{indent}{':' * (2 + height)}{end}"


class Boxes:
    """The boxes open at a point of a page's lines, rewriting `lines` as each one closes."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self._open: list[_Box] = []

    def open(self, line: int, indent: str, name: str, title: str = "", language: str | None = None) -> None:
        self._open.append(_Box(line, indent, name, title, language))

    def close(self, line: int, name: str) -> bool:
        """Close the innermost box of that name at this line (boxes opened inside it and never closed end with it):
        a titled one's two lines become colon fences, a code one's code fences, any other's stay as they are. False
        when no box of that name is open."""
        k = next((i for i in range(len(self._open) - 1, -1, -1) if self._open[i].name == name), None)
        if k is None:
            return False
        box = self._open[k]
        del self._open[k:]
        end = ending(self.lines[line])
        if box.language is not None:
            self.lines[box.line] = f"{box.indent}```{box.language}\n"
            self.lines[line] = f"{box.indent}```{end}"
        elif box.title:
            self.lines[box.line] = fence_opening(box.indent, box.height, box.title)
            self.lines[line] = fence_closing(box.indent, box.height, end)
            self.holds(box.height + 1)
        else:
            self.holds(box.height)
        return True

    def holds(self, height: int) -> None:
        """The innermost open box holds content this many titled boxes deep, itself included."""
        if self._open:
            self._open[-1].height = max(self._open[-1].height, height)
