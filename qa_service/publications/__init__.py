"""Where built indexes are published for other processes and hosts to load: a folder, or PostgreSQL.

`base` holds the interface (SnapshotPlace) and its key; `folder` keeps today's one file in the cache folder;
`postgres` publishes in the database of DATABASE_URL, where every host of a deployment finds it. `open_place` picks
the one the settings ask for.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from .base import Publication, PublicationUnreadable, SnapshotKey, SnapshotPlace
from .folder import FolderPlace
from .postgres import PostgresPlace

__all__ = ["FolderPlace", "PostgresPlace", "Publication", "PublicationUnreadable", "SnapshotKey", "SnapshotPlace",
           "open_place"]


def open_place(settings: Settings, cache_folder: Path | None) -> SnapshotPlace | None:
    """The database with DATABASE_URL (unless QA_PUBLISH_INDEX is off), else the cache folder, else nowhere. A
    snapshot read from the database is written to the cache folder, when there is one, to be mapped."""
    if settings.database_url and settings.qa_publish_index:
        place = PostgresPlace(settings.database_url, cache_folder)
        place.set_up()
        return place
    return FolderPlace(cache_folder) if cache_folder else None
