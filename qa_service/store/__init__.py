"""The corpus store: where documents live (a folder, or PostgreSQL), how writes reach it, and what changed in it.

`base` holds the interface every store implements (DocumentStore), its errors and the checks every write makes:
import them from there. Each store is one module beside it; `open_store` picks the one the settings ask for.
"""

from __future__ import annotations

from ..config import ConfigError, Settings
from .base import DocumentStore
from .folder import FolderStore
from .postgres import PostgresStore


def open_store(settings: Settings) -> DocumentStore:
    """PostgreSQL when DATABASE_URL is set (seeded from QA_CORPUS while it holds no corpus), else the folder."""
    if settings.database_url:
        store = PostgresStore(settings.database_url, settings.qa_max_document_bytes, settings.qa_history_days)
        store.set_up(seed=FolderStore(settings.corpus_path, settings.qa_max_document_bytes))
        return store
    folder = settings.corpus_path
    if not folder.is_dir():
        # A misspelt path would otherwise serve an empty corpus that reports itself healthy.
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(f"QA_CORPUS={settings.qa_corpus!r} {what}: the corpus folder must be an existing folder "
                          "(an empty one is an empty corpus)")
    return FolderStore(folder, settings.qa_max_document_bytes, settings.qa_history_days, settings.analysis_processes)
