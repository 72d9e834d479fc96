"""The corpus store: where documents live (a folder of .txt, .md and .html files) and what changed in it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from .documents import Document, DocumentRejected, format_of, is_valid_id, read_document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedFile:
    """A file in the corpus folder that is not served, and why."""

    name: str
    reason: str
    message: str


class FolderStore:
    """Documents as files in one folder; a document's id is its file name without the extension."""

    def __init__(self, folder: Path, max_document_bytes: int):
        self.folder = Path(folder)
        self.max_document_bytes = max_document_bytes

    def files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(
            (entry for entry in self.folder.iterdir()
             if entry.is_file() and not entry.name.startswith(".") and format_of(entry) is not None),
            key=lambda p: p.name,
        )

    def signature(self) -> tuple:
        """A cheap fingerprint of the folder (names, sizes, modification times): it changes when a file does."""
        try:
            with os.scandir(self.folder) as entries:
                return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns)
                                    for e in entries if e.is_file() and not e.name.startswith(".")))
        except FileNotFoundError:
            return ()

    def load(self) -> tuple[list[Document], list[SkippedFile]]:
        """Every readable document, and every file skipped with the reason; a bad file is logged, never fatal."""
        documents: dict[str, Document] = {}
        skipped: list[SkippedFile] = []
        for path in self.files():
            doc_id = path.stem
            if not is_valid_id(doc_id):
                skipped.append(SkippedFile(path.name, "bad_id", f"{path.name}: file name is not a valid id"))
            elif doc_id in documents:
                skipped.append(SkippedFile(path.name, "duplicate_id",
                                           f"{path.name}: another file already has the id {doc_id!r}"))
            else:
                try:
                    documents[doc_id] = read_document(path, self.max_document_bytes)
                    continue
                except DocumentRejected as exc:
                    skipped.append(SkippedFile(path.name, exc.reason, str(exc)))
                except OSError as exc:
                    skipped.append(SkippedFile(path.name, "unreadable", f"{path.name}: {exc.strerror}"))
            log.warning("skipping corpus file: %s", skipped[-1].message)
        return list(documents.values()), skipped
