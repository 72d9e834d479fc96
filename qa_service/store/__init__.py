"""The corpus store: where documents live (a folder, or PostgreSQL), how writes reach it, and what changed in it.

`base` holds the interface every store implements (DocumentStore), its errors and the checks every write makes:
import them from there. Each store is one module beside it; `open_store` picks the one the settings ask for.
"""

from __future__ import annotations

from ..config import Settings
from .base import DocumentStore
from .folder import FolderStore
from .postgres import PostgresStore


def open_store(settings: Settings) -> DocumentStore:
    """PostgreSQL when DATABASE_URL is set (seeded from QA_CORPUS while it holds no corpus), else the folder."""
    if settings.database_url:
        store = PostgresStore(settings.database_url, settings.qa_max_document_bytes, settings.qa_history_days)
        store.set_up(seed=FolderStore(settings.corpus_path, settings.qa_max_document_bytes))
        return store
    return FolderStore(settings.corpus_path, settings.qa_max_document_bytes, settings.qa_history_days,
                       settings.analysis_processes)
