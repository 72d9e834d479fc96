"""What the app factory builds once per app, for views and commands to reach through `current_app`.

create_app puts the settings, the store, the live corpus, the editors' tokens and the question recorder in
`app.extensions`; these are the only readers.
"""

from __future__ import annotations

from flask import current_app

from .config import Settings
from .corpus import LiveCorpus
from .editors import EditorTokens
from .recording import QuestionRecorder
from .store.base import DocumentStore


def settings() -> Settings:
    return current_app.extensions["qa_settings"]


def store() -> DocumentStore:
    return current_app.extensions["qa_store"]


def live_corpus() -> LiveCorpus:
    return current_app.extensions["qa_corpus"]


def editor_tokens() -> EditorTokens:
    return current_app.extensions["qa_editor_tokens"]


def recorder() -> QuestionRecorder:
    return current_app.extensions["qa_recorder"]
