"""Question records: what readers asked (when QA_RECORD_QUESTIONS is on) and how they rated answers.

`base` holds the QuestionRecords interface; `sqlite` and `postgres` implement it; `open_records` picks the one the
settings ask for: PostgreSQL with DATABASE_URL, else an SQLite file (QA_RECORD_FILE, by default in the app's
instance folder, never in the corpus folder).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..config import ConfigError, Settings
from .base import Asking, DayCount, QuestionRecord, QuestionRecords, Vote, normalised
from .postgres import PostgresRecords
from .sqlite import SqliteRecords

__all__ = ["Asking", "DayCount", "PostgresRecords", "QuestionRecord", "QuestionRecords", "SqliteRecords", "Vote",
           "normalised", "open_records"]

DEFAULT_FILE_NAME = "questions.sqlite3"


def open_records(settings: Settings, instance_folder: Path) -> QuestionRecords:
    if settings.database_url:
        records = PostgresRecords(settings.database_url)
        records.set_up()
        return records
    path = Path(settings.qa_record_file) if settings.qa_record_file else instance_folder / DEFAULT_FILE_NAME
    try:
        return SqliteRecords(path)
    except (OSError, sqlite3.Error) as error:
        named = f"QA_RECORD_FILE={settings.qa_record_file!r}" if settings.qa_record_file else f"the records file {path}"
        raise ConfigError(f"{named} cannot hold the question records: {error}") from error
