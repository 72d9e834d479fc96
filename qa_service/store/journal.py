"""The folder store's change journal: the id of every document written or removed, one a line, in write order.

Every write through a FolderStore, in any process, appends the id it changed while it holds the folder's write
lock, before it moves the marker; a reader that sees the marker move reads the journal from where it stopped and
looks again at those documents only, instead of listing the folder. The journal is for running processes, which
read it through the page cache: it is not fsynced, and a process that starts (after a crash, say) scans the folder
instead. Its first line names the journal, a number and a random token; a writer that finds it over MAX_BYTES starts a
new one under the next number, and a reader whose journal is gone or renamed scans the folder once. Reading makes no
file: a reader that found no journal reads the first one from its start, and scans when it is not the first.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 1024 * 1024  # about 30,000 writes of 30-character ids
_HEADER = b"# qa-journal "
FIRST = "1"


@dataclass(frozen=True)
class JournalPosition:
    """Where a reader stopped: the journal's name and the offset just past the last whole line read."""

    name: str
    offset: int


class ChangeJournal:
    def __init__(self, path: Path, temporary_prefix: str):
        self.path = path
        self.temporary_prefix = temporary_prefix  # a killed writer's temporary file is removed by the next writer

    def append(self, doc_id: str) -> None:
        """Record a write of this id; the caller holds the folder's write lock."""
        try:
            too_long = self.path.stat().st_size > MAX_BYTES
        except FileNotFoundError:
            too_long = True
        if too_long or self._header_name() is None:
            self._start_new()
        # The line break in front keeps the line whole after a writer killed half-way through its own line.
        with open(self.path, "ab") as file:
            file.write(b"\n" + doc_id.encode("utf-8") + b"\n")

    def read_from(self, position: JournalPosition) -> tuple[list[str], JournalPosition] | None:
        """The ids written since the position, and the position after them; None when the journal cannot say (it
        was started, or started anew, since): then the reader scans the folder."""
        try:
            with open(self.path, "rb") as file:
                first_line = file.readline()
                name = self._name(first_line)
                if name is None:
                    return None
                if position.name == "" and name.startswith(FIRST + " "):
                    position = JournalPosition(name, len(first_line))
                elif name != position.name:
                    return None
                file.seek(position.offset)
                tail = file.read()
        except FileNotFoundError:
            return ([], position) if position.name == "" else None
        whole = tail[:tail.rfind(b"\n") + 1]  # a line still being written is read next time
        ids = [line.decode("utf-8", "replace") for line in whole.split(b"\n") if line]
        return ids, JournalPosition(position.name, position.offset + len(whole))

    def end(self) -> JournalPosition:
        """The position after every whole line written so far, where a reader that has just scanned the folder
        starts; a position named "" when there is no journal yet."""
        try:
            with open(self.path, "rb") as file:
                name = self._name(file.readline())
                start = file.tell()
                content = file.read()
        except FileNotFoundError:
            return JournalPosition("", 0)
        # A journal without its first line whole (its writer was killed) has no name: it is started anew.
        return JournalPosition(name or "", start + content.rfind(b"\n") + 1 if name else 0)

    def _header_name(self) -> str | None:
        try:
            with open(self.path, "rb") as file:
                return self._name(file.readline())
        except FileNotFoundError:
            return None

    @staticmethod
    def _name(first_line: bytes) -> str | None:
        if not first_line.startswith(_HEADER) or not first_line.endswith(b"\n"):
            return None
        return first_line[len(_HEADER):-1].decode("ascii", "replace")

    def _start_new(self) -> None:
        previous = self._header_name()
        number = int(previous.split()[0]) + 1 if previous and previous.split()[0].isdigit() else int(FIRST)
        temporary = self.path.with_name(f"{self.temporary_prefix}{uuid.uuid4().hex}")
        temporary.write_bytes(_HEADER + f"{number} {uuid.uuid4().hex}\n".encode("ascii"))
        os.replace(temporary, self.path)
