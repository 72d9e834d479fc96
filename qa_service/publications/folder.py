"""Snapshots published in a folder (QA_CACHE_DIR's subfolder for the corpus): one file, the newest.

The file is the header line and the payload after a magic line. It is written beside its final name and renamed
into place, so a reader finds the old file or the new one, whole; a folder shared by several hosts (a network
mount) works the same way as long as its rename is atomic. A file is never written again once in place, so its
payload is read by mapping it into memory: the index's large arrays are then the file's pages (payload.py), which
a later publication's rename does not change (the old file lives on, nameless, while it is mapped).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..payload import ALIGNMENT, mapped
from .base import Publication, PublicationUnreadable, SnapshotKey, SnapshotPlace

log = logging.getLogger(__name__)

FILE_NAME = "index.snapshot"
BUILDING_LOCK = ".building.lock"
MAGIC = b"qa-index-snapshot\n"
MAX_HEADER_BYTES = 4096


class FolderPlace(SnapshotPlace):
    """One snapshot file in a folder, replaced by each publication (so nothing older is left to prune)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME

    def __repr__(self) -> str:
        return f"FolderPlace({str(self.folder)!r})"

    def published(self, code: str, model: str) -> Iterator[Publication]:
        """The file, whatever code or model made it: the header says, and snapshots.py judges it."""
        try:
            found = self.path.stat()
            header, offset = self._header()
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("ignoring index snapshot %s: %s", self.path, exc)
            return
        yield Publication(str(self.path), (found.st_dev, found.st_ino), header, lambda: self._payload(offset))

    def _header(self) -> tuple[dict, int]:
        with self.path.open("rb") as file:
            if file.read(len(MAGIC)) != MAGIC:
                raise ValueError("not an index snapshot")
            line = file.readline(MAX_HEADER_BYTES)
            if not line.endswith(b"\n"):
                raise ValueError("header cut short")
            header = json.loads(line)
            if not isinstance(header, dict):
                raise ValueError("its header is not a JSON object")
            return header, file.tell()

    def _payload(self, offset: int) -> memoryview:
        """The file's bytes after the header, mapped read-only."""
        try:
            with self.path.open("rb") as file:
                return mapped(file)[offset:]
        except FileNotFoundError as exc:
            raise PublicationUnreadable(str(exc)) from exc

    def publish(self, key: SnapshotKey, header: dict, payload: list[bytes | memoryview]) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        line = MAGIC + json.dumps(header).encode()
        # Spaces after the JSON, so that the payload starts at a multiple of ALIGNMENT, as its arrays do within it.
        line += b" " * (-(len(line) + 1) % ALIGNMENT) + b"\n"
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(line)
                for piece in payload:
                    file.write(piece)
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise
        return True

    def withdraw(self, publication: Publication) -> None:
        try:
            found = self.path.stat()
            if (found.st_dev, found.st_ino) == publication.handle:  # not replaced by a newer one since
                self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("cannot remove the corrupt index snapshot %s: %s", self.path, exc)

    @contextlib.contextmanager
    def building(self, code: str, model: str) -> Iterator[None]:
        """A lock file in the folder (flock: the kernel lets go when the holder dies); none if it cannot be made."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = os.open(self.folder / BUILDING_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            log.warning("building without the lock %s: %s", self.folder / BUILDING_LOCK, exc)
            yield
            return
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("another process is building this corpus's index: waiting for its snapshot in %s",
                         self.folder)
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)
