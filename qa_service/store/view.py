"""What one store handle last saw of its store, and which documents changed when: what `changes_since` answers from.

A store brings its view up to date by looking again only where something changed (the folder store: the ids its
change journal names, and the files whose status moved; PostgreSQL: the rows of a later revision), and records each
id whose served document differs; a reader keeps the position it was given and is told the ids changed after it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..documents import Document
from .base import SkippedFile, StoreChanges


@dataclass(frozen=True)
class ViewPosition:
    """A point in one view's history: positions of another view (another handle, or this one started over) are not
    comparable, and a reader holding one is sent every document."""

    view: str
    generation: int


class StoreView:
    def __init__(self) -> None:
        self.name = uuid.uuid4().hex
        self.generation = 0
        self.documents: dict[str, Document] = {}
        self._skipped: dict[str, tuple[SkippedFile, ...]] = {}  # by id (a folder's: the file name's stem)
        # The generation of each id's last change, oldest first, so that the changes since a position are read from
        # the end back to it: what changed, not every id.
        self._changed_at: dict[str, int] = {}

    def set(self, doc_id: str, document: Document | None, skipped: tuple[SkippedFile, ...] = ()) -> None:
        """What is stored under an id now: the document served (None: none) and what is skipped."""
        if skipped:
            self._skipped[doc_id] = skipped
        else:
            self._skipped.pop(doc_id, None)
        before = self.documents.get(doc_id)
        if document is None:
            self.documents.pop(doc_id, None)
        else:
            self.documents[doc_id] = document
        # Compared by value: a write of the same content again is no change to serve.
        if before != document:
            self.generation += 1
            self._changed_at.pop(doc_id, None)
            self._changed_at[doc_id] = self.generation

    def skipped_of(self, doc_id: str) -> tuple[SkippedFile, ...]:
        return self._skipped.get(doc_id, ())

    def skipped_ids(self) -> set[str]:
        return set(self._skipped)

    def skipped(self) -> tuple[SkippedFile, ...]:
        return tuple(sorted((s for found in self._skipped.values() for s in found), key=lambda s: s.name))

    def changes_since(self, position: object | None) -> StoreChanges:
        here = ViewPosition(self.name, self.generation)
        if not isinstance(position, ViewPosition) or position.view != self.name:
            return StoreChanges(here, dict(self.documents), self.skipped(), complete=True)
        changed = {}
        for doc_id, generation in reversed(self._changed_at.items()):
            if generation <= position.generation:
                break
            changed[doc_id] = self.documents.get(doc_id)
        return StoreChanges(here, changed, self.skipped(), complete=False)
