"""A question-answering service that answers only with sentences quoted word for word from its corpus."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from . import delivery, logs, security, state, throttling
from .config import PROJECT_ROOT, Settings
from .corpus import LiveCorpus
from .editors import EditorTokens
from .errors import register_error_handlers
from .meaning import load_encoder
from .publications import open_place
from .question_vectors import QuestionVectors
from .reading import RememberedReadings, load_reader
from .recording import QuestionRecorder
from .records import open_records
from .republishing import Republisher
from .snapshots import WORDS_ONLY, IndexSnapshots
from .store import open_store


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the app; `config` overrides environment settings by name (e.g. {"QA_CORPUS": "/tmp/corpus"})."""
    settings = Settings.from_env(config)
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"))
    app.json.sort_keys = False
    # "/api//documents" is no address of ours: a 404 in the JSON error shape, not Werkzeug's HTML redirect page.
    app.url_map.merge_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = max(settings.qa_max_body_bytes, settings.qa_max_document_bytes)
    logging.basicConfig(level=settings.qa_log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    editor_tokens = EditorTokens.from_settings(settings)
    store = open_store(settings)
    for deprecation in settings.deprecations:
        app.logger.warning(deprecation)
    cache = settings.index_cache_path(Path(app.instance_path))
    encoder = load_encoder(settings.qa_semantic_threads) if settings.qa_semantic else None
    place = open_place(settings, cache)
    snapshots = IndexSnapshots(cache, place, encoder.identity if encoder else WORDS_ONLY) if place else None
    # The child that publishes reads this app's settings; it answers nothing, so it reads no candidates, records no
    # questions and starts no child of its own.
    republisher = Republisher(settings.qa_publish_after_seconds, cache, {
        **os.environ, **settings.environment(), "QA_READING": "off", "QA_RECORD_QUESTIONS": "off",
        "QA_PUBLISH_AFTER_SECONDS": "0"}) if snapshots and cache else None
    corpus = LiveCorpus(store, settings.qa_reload_seconds, snapshots, encoder, settings.analysis_processes,
                        settings.qa_embed_before_serving, republisher)
    # Off: no records are opened, so nothing (not even an empty file or table) is made.
    records = open_records(settings, Path(app.instance_path)) if settings.qa_record_questions != "off" else None
    recorder = QuestionRecorder(settings.qa_record_questions, records, settings.qa_record_days)
    questions = QuestionVectors(encoder, settings.qa_question_vectors) if encoder else None
    # One thread a pair (two threads within one pair gained nothing measurable: README, "Speed and scale"); pairs
    # run side by side instead, QA_READING_PARALLEL at once.
    reader = RememberedReadings(load_reader(1, settings.qa_reading_parallel), settings.qa_question_readings) \
        if encoder and settings.qa_reading else None
    state.install(app, settings, store, corpus, questions, reader, editor_tokens, recorder)

    from . import api, cli, history, insights, web, writes

    app.register_blueprint(api.bp)
    app.register_blueprint(writes.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(insights.bp)
    app.register_blueprint(web.bp)
    app.cli.add_command(cli.corpus)
    app.cli.add_command(cli.editors)
    register_error_handlers(app)
    # Logging first: its clock then also times requests that the rate limit turns away.
    logs.init_app(app)
    throttling.init_app(app, settings)
    security.init_app(app)
    delivery.init_app(app)
    return app
