"""What the app factory builds once per app, for views, commands and tests to reach.

create_app hands the settings, the store, the live corpus, the questions' vectors, the cross-encoder, the editors'
tokens and the question recorder to `install`, which keeps them in `app.extensions`; the functions below are the
only readers.
Each reads the app of the request or command being served (`current_app`), or the app it is given (a test's).
"""

from __future__ import annotations

from flask import Flask, current_app

from .config import Settings
from .corpus import LiveCorpus
from .editors import EditorTokens
from .question_vectors import QuestionVectors
from .reading import Reader
from .recent import Recent
from .recording import QuestionRecorder
from .store.base import DocumentStore

# Earlier versions of documents that citations' pages showed lately, analysed (the page and each of its later
# sections read the same one), weighed by their characters: about twice this many are kept per process (an analysed
# text takes several times its size), and at least the last one read, however long.
CITED_VERSIONS_CHARS = 2_000_000


def install(app: Flask, settings: Settings, store: DocumentStore, corpus: LiveCorpus,
            questions: QuestionVectors | None, reader: Reader | None, editor_tokens: EditorTokens,
            recorder: QuestionRecorder) -> None:
    app.extensions.update(qa_settings=settings, qa_store=store, qa_corpus=corpus, qa_question_vectors=questions,
                          qa_reader=reader, qa_editor_tokens=editor_tokens, qa_recorder=recorder,
                          qa_cited_versions=Recent(CITED_VERSIONS_CHARS, lambda doc: len(doc.document.text)))


def settings(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions["qa_settings"]


def store(app: Flask | None = None) -> DocumentStore:
    return (app or current_app).extensions["qa_store"]


def live_corpus(app: Flask | None = None) -> LiveCorpus:
    return (app or current_app).extensions["qa_corpus"]


def question_vectors(app: Flask | None = None) -> QuestionVectors | None:
    """What embeds readers' questions (None with the semantic stage off)."""
    return (app or current_app).extensions["qa_question_vectors"]


def reader(app: Flask | None = None) -> Reader | None:
    """What reads the best candidates with the question (None with QA_READING or the semantic stage off)."""
    return (app or current_app).extensions["qa_reader"]


def editor_tokens(app: Flask | None = None) -> EditorTokens:
    return (app or current_app).extensions["qa_editor_tokens"]


def recorder(app: Flask | None = None) -> QuestionRecorder:
    return (app or current_app).extensions["qa_recorder"]


def cited_versions(app: Flask | None = None) -> Recent:
    """Earlier versions of documents analysed for the pages of citations that quote them, by (id, version)."""
    return (app or current_app).extensions["qa_cited_versions"]
