"""Where built indexes are published: the interface every place implements, and what one publication is.

A place holds serialised index snapshots (snapshots.py makes and checks their bytes), each under a key: the corpus
version it was built on, the code that built it and the sentence-embedding model of its vectors. A place only keeps
bytes whole or not at all; whether they can be trusted (their checksum, what they unpickle to) is decided by
snapshots.py, so every place is checked the same way.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SnapshotKey:
    """What a publication was built from: the store's marker when the build began, the code, the model."""

    corpus: str
    code: str
    model: str


@dataclass(frozen=True)
class Publication:
    """One published snapshot: where it is (for the logs, and the place's own reference to it), its header (a JSON
    object) and a way to read its payload, which may be large."""

    where: str
    handle: object
    header: dict
    # The payload's bytes: a place may hand them as a view of a file mapped into memory (publications/folder.py).
    read_payload: Callable[[], bytes | memoryview]


class PublicationUnreadable(ValueError):
    """A publication that is not whole (cut short, chunks missing): it is skipped, never served, and withdrawn.
    A place that cannot be reached for now raises OSError instead, and its publications stay."""


class SnapshotPlace(ABC):
    """Where this deployment's index snapshots are published and found."""

    @abstractmethod
    def published(self, code: str, model: str) -> Iterator[Publication]:
        """The publications a process of this code and model may load, newest first (each read only when asked)."""

    @abstractmethod
    def publish(self, key: SnapshotKey, header: dict, payload: list[bytes | memoryview]) -> bool:
        """Keep the snapshot whole or not at all, and drop old ones; False when this key was published already. The
        payload comes as pieces to store one after another (payload.py: its large arrays, uncopied).
        Raises OSError when the place cannot be written."""

    @abstractmethod
    def withdraw(self, publication: Publication) -> None:
        """Remove a publication found corrupt, so that it is neither read again nor holds its key against a whole
        one; failing to is logged, not raised."""

    def building(self, code: str, model: str) -> contextlib.AbstractContextManager:
        """Held by one process of the deployment while it builds an index of this code and model that no publication
        helps with, so that the others wait for its publication instead of building the same index; a process that
        dies lets go."""
        return contextlib.nullcontext()
