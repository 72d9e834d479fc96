"""Configuration: settings read from the environment, with documented defaults and validation."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_ADMIN_TOKEN_CHARS = 16
# Fixed limits of the API's requests, not settings: the views that enforce them, the chat page and the OpenAPI
# document all read them from here.
MAX_HISTORY = 20  # earlier questions a follow-up may carry (POST /api/ask)
MAX_DOCUMENT_FILTER = 1000  # document ids a question may be restricted to (POST /api/ask)
MAX_FEEDBACK_COMMENT = 500  # characters of a reader's comment on an answer (POST /api/feedback)
MAX_ANSWER_ID_CHARS = 8192  # an answer_id sent back with a vote (POST /api/feedback)
MAX_JSON_DEPTH = 64  # arrays and objects one inside another in any JSON request body
MAX_HANDLED = 1000  # questions and answers one request may mark handled (POST /api/insights/handled)
CHANGES_LISTED = 100  # audit lines GET /api/changes lists when not asked for a number ...
MAX_CHANGES = 1000  # ... and the most it lists
RECORD_MODES = ("off", "declined", "all")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Every setting, its environment variable (the field name in upper case) and its default."""

    qa_corpus: str = str(PROJECT_ROOT / "corpus")
    qa_max_document_bytes: int = 5 * 1024 * 1024
    qa_max_question_chars: int = 1000
    qa_max_body_bytes: int = 64 * 1024
    # The decline threshold: an answer whose confidence is under it is declined. Empty: the threshold the ranking
    # model in use was fitted for (qa_service/data/ranking-models.json).
    qa_min_confidence: str = ""
    # Sentence embeddings (qa_service.meaning) count beside words when ranking and declining; off: words alone,
    # and no model is loaded. QA_SEMANTIC_THREADS: the CPU threads one embedding may use.
    qa_semantic: bool = True
    qa_semantic_threads: int = 2
    # With the semantic stage on, a cross-encoder (qa_service.reading) reads the question with the best few
    # candidates before one is quoted: better answers for about 15 ms of CPU per candidate read. Off: the meaning
    # model alone (README, "Reading the best candidates").
    qa_reading: bool = True
    # The candidates one answer reads at once, each on a thread of its own: on an idle machine an answer waits for
    # the slower of two threads rather than for eight readings in turn; 1: one after another.
    qa_reading_parallel: int = 2
    # The cross-encoder's logits for the readings (a question with the candidates read) asked lately are remembered
    # per process, at most about twice this many, so that a question asked again of the same corpus is not read
    # again (qa_service.reading.RememberedReadings; about 2 KiB each: the texts read); 0: none.
    qa_question_readings: int = 2048
    # The vectors of this many distinct questions are remembered per process, so that a question asked again is not
    # embedded again (qa_service.question_vectors; at most about 8 KiB each: three vectors and three texts); 0: none.
    qa_question_vectors: int = 2048
    # At start-up, at most this many sentences are embedded before the first answer (at about 5 ms each here, 20,000
    # take under two minutes); a corpus with more sentences lacking saved embeddings is answered from words alone at
    # once and embedded in the background (qa_service.corpus.LiveCorpus).
    qa_embed_before_serving: int = 20_000
    # Processes that analyse documents when many are analysed at once (a cold start, a new corpus): analysis is
    # most of a cold build and runs on one core per process; the folder store reads many files on as many. 0: one per
    # CPU core. A few documents (what a write changes) are always read and analysed in the process that reads them
    # (qa_service.analysis_processes).
    qa_analysis_processes: int = 0
    qa_reload_seconds: float = 2.0
    qa_log_level: str = "INFO"
    qa_log_questions: bool = False
    # Recording readers' questions for the editors (the /admin page's Reader questions): "off" records nothing,
    # "declined" the questions the corpus could not answer, "all" every question. Never who asked: see the
    # README's privacy notice. Recorded questions not asked for QA_RECORD_DAYS days are dropped.
    qa_record_questions: str = "off"
    qa_record_days: float = 90.0
    # The SQLite file of the records when DATABASE_URL is not set; empty: questions.sqlite3 in the app's
    # instance folder. With DATABASE_URL, the records are tables of that database.
    qa_record_file: str = ""
    qa_rate_limit_ask: str = "120/minute"
    qa_rate_limit_write: str = "30/minute"
    qa_rate_limit_ask_total: str = "off"
    qa_rate_limit_storage: str = "memory://"
    qa_rate_limit_exempt: str = "127.0.0.1,::1"
    qa_proxy_hops: int = 0
    # Writing documents over HTTP (PUT/DELETE /api/documents/<id>, the /admin page) needs
    # "Authorization: Bearer <QA_ADMIN_TOKEN>"; empty (the default) turns HTTP writes off.
    qa_admin_token: str = field(default="", repr=False)
    # Named editors: the path of a file of "name:sha256-of-token" lines (qa_service.editors; make a line with
    # `qa-service editors hash NAME`). Each of those tokens may write too, and the history and the audit log say
    # which name wrote; QA_ADMIN_TOKEN, when set as well, writes as "admin".
    qa_admin_tokens: str = ""
    # postgresql://user:password@host:port/dbname: keep documents in PostgreSQL instead of the QA_CORPUS folder
    # (which then only seeds an empty database).
    database_url: str = field(default="", repr=False)
    # Every write keeps the version it replaces, and a removed document its last version, for this many days
    # (counted from the replacement or removal): until then it can be listed and restored. Older history, and
    # audit log lines older than that, are dropped at the next write.
    qa_history_days: float = 30.0
    # The note beside the question box on the chat page, saying what the answers are not (the seed corpus's:
    # "Answers are quotations from the source, not medical advice.", which scripts/serve.sh sets when it serves
    # the seed). It belongs to the corpus, so the default is none.
    qa_notice: str = ""
    # Where the service keeps what it can build again, the saved index above all, so that a restart with an
    # unchanged corpus loads it instead of analysing and embedding every document again: a folder (each corpus
    # in a subfolder of its own), "off" to keep nothing, or empty for the app's instance folder (Flask's:
    # <checkout>/instance). Never the corpus folder, which is the reader's and may be read-only. With DATABASE_URL
    # and QA_PUBLISH_INDEX on, the index is published in the database instead (the embeddings stay here).
    qa_cache_dir: str = ""
    # With DATABASE_URL: on, the index a host builds at start-up is published in the database (table
    # qa_index_snapshots) and a host starting on the same corpus, code and model loads it instead of analysing and
    # embedding every document again; off, each host saves and loads its own in QA_CACHE_DIR. Without DATABASE_URL
    # the index is always saved in QA_CACHE_DIR.
    qa_publish_index: bool = True
    # A serving process publishes the index it started with, then counts the seconds it spends analysing written
    # documents, which a start from that publication would spend again; past this many it publishes the index anew
    # in a child process (`qa-service corpus publish`, at a lower CPU priority; one at a time per cache folder), so
    # that restarts and new hosts stay fast after many writes (qa_service.republishing). 0: never (run
    # `qa-service corpus publish` yourself).
    qa_publish_after_seconds: float = 5.0
    # Deprecated (use QA_CACHE_DIR): "off" still turns saving off; a folder is still used as it is, with a warning
    # at start-up.
    qa_index_cache: str = ""
    # Read by the gunicorn worker of the Procfile (qa_service.worker), not by the app. Requests waiting for a thread
    # in one worker: a request arriving beyond that many is answered 503 at once instead of queueing.
    qa_queue_limit: int = 64
    # A request (its headers, and its body) must have arrived this many seconds after the connection opened, or
    # after its first byte on a kept-alive connection; a slower client is answered 408 (or 400) and disconnected.
    qa_read_timeout_seconds: float = 10.0

    @property
    def analysis_processes(self) -> int:
        return self.qa_analysis_processes or os.cpu_count() or 1

    @classmethod
    def from_env(cls, overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
                 ) -> Settings:
        environ = os.environ if environ is None else environ
        overrides = {k.lower(): v for k, v in (overrides or {}).items()}
        values = {}
        for f in fields(cls):
            raw = overrides.get(f.name, environ.get(f.name.upper()))
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, raw, type(getattr(cls, f.name)))
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for name in ("qa_max_document_bytes", "qa_max_body_bytes", "qa_max_question_chars"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.upper()} must be positive, not {getattr(self, name)}")
        try:
            threshold = self.min_confidence
        except ValueError:
            threshold = float("nan")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"QA_MIN_CONFIDENCE must be a number between 0 and 1, not {self.qa_min_confidence!r}")
        if self.qa_analysis_processes < 0:
            raise ConfigError(f"QA_ANALYSIS_PROCESSES must be 0 (one per core) or more, not "
                              f"{self.qa_analysis_processes}")
        if self.qa_semantic_threads < 1:
            raise ConfigError(f"QA_SEMANTIC_THREADS must be at least 1, not {self.qa_semantic_threads}")
        if self.qa_reading_parallel < 1:
            raise ConfigError(f"QA_READING_PARALLEL must be at least 1, not {self.qa_reading_parallel}")
        if self.qa_question_vectors < 0:
            raise ConfigError(f"QA_QUESTION_VECTORS must be 0 or more, not {self.qa_question_vectors}")
        if self.qa_question_readings < 0:
            raise ConfigError(f"QA_QUESTION_READINGS must be 0 or more, not {self.qa_question_readings}")
        if self.qa_embed_before_serving < 0:
            raise ConfigError(f"QA_EMBED_BEFORE_SERVING must be 0 or more, not {self.qa_embed_before_serving}")
        if not 0 <= self.qa_reload_seconds < float("inf"):  # NaN and infinity would silently stop reloading
            raise ConfigError(f"QA_RELOAD_SECONDS must be a number of seconds, 0 or more, not {self.qa_reload_seconds}")
        if self.qa_record_questions not in RECORD_MODES:
            raise ConfigError(f"QA_RECORD_QUESTIONS must be {', '.join(RECORD_MODES)}, not "
                              f"{self.qa_record_questions!r}")
        if not 0 < self.qa_record_days < float("inf"):  # also rejects NaN
            raise ConfigError(f"QA_RECORD_DAYS must be a positive number of days, not {self.qa_record_days}")
        if not 0 <= self.qa_history_days < float("inf"):  # also rejects NaN
            raise ConfigError(f"QA_HISTORY_DAYS must be a number of days, 0 or more, not {self.qa_history_days}")
        if not 0 <= self.qa_publish_after_seconds < float("inf"):  # also rejects NaN
            raise ConfigError(f"QA_PUBLISH_AFTER_SECONDS must be a number of seconds, 0 or more, "
                              f"not {self.qa_publish_after_seconds}")
        if self.qa_queue_limit < 0:
            raise ConfigError(f"QA_QUEUE_LIMIT must not be negative, not {self.qa_queue_limit}")
        if not 0 < self.qa_read_timeout_seconds < float("inf"):  # also rejects NaN
            raise ConfigError(f"QA_READ_TIMEOUT_SECONDS must be a positive number of seconds, "
                              f"not {self.qa_read_timeout_seconds}")
        if self.qa_admin_token and len(self.qa_admin_token) < MIN_ADMIN_TOKEN_CHARS:
            raise ConfigError(f"QA_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_CHARS} characters long "
                              "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        if self.database_url and not self.database_url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("DATABASE_URL must be a postgresql:// URL")
        if self.qa_log_level not in logging.getLevelNamesMapping():
            raise ConfigError(f"QA_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                              f"not {self.qa_log_level!r}")

    @property
    def min_confidence(self) -> float | None:
        """QA_MIN_CONFIDENCE as a number, or None for the ranking model's own threshold."""
        return float(self.qa_min_confidence) if self.qa_min_confidence.strip() else None

    @property
    def corpus_path(self) -> Path:
        return Path(self.qa_corpus)

    def index_cache_path(self, instance_path: Path) -> Path | None:
        """The folder the index of this corpus is saved in, or None when nothing is to be saved."""
        if "off" in (self.qa_cache_dir, self.qa_index_cache):
            return None
        if self.qa_index_cache:
            return Path(self.qa_index_cache)
        # One subfolder per corpus (its folder, or its database): services of different corpora may share a cache.
        where = self.database_url or str(self.corpus_path.resolve())
        named = hashlib.sha256(where.encode()).hexdigest()[:16]
        cache = Path(self.qa_cache_dir or instance_path) / "index" / named
        if not self.database_url and cache.resolve().is_relative_to(self.corpus_path.resolve()):
            # Its files would sit among the documents, and a folder of the corpus is the editors', not the index's.
            raise ConfigError(f"the index cache folder {cache.parent.parent} (QA_CACHE_DIR) is inside the corpus "
                              f"folder {self.corpus_path} (QA_CORPUS): set QA_CACHE_DIR to a folder outside it")
        return cache

    def environment(self) -> dict[str, str]:
        """Every setting as the environment variable that gives it, for a child process to read the same."""
        return {f.name.upper(): _as_variable(getattr(self, f.name)) for f in fields(self)}

    @property
    def deprecations(self) -> list[str]:
        """What the settings ask for in a way that still works but will not for long, as messages to log."""
        if self.qa_index_cache and self.qa_index_cache != "off":
            return ["QA_INDEX_CACHE is deprecated: set QA_CACHE_DIR to a folder instead (each corpus gets a "
                    "subfolder of it); the folder QA_INDEX_CACHE names is used as it is until then"]
        return []


def _as_variable(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _convert(name: str, raw: object, kind: type) -> object:
    if isinstance(raw, kind):
        return raw
    if kind is bool:
        return _convert_bool(name, raw)
    try:
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name.upper()}={raw!r} is not a valid {kind.__name__}") from exc


def _convert_bool(name: str, raw: object) -> bool:
    # bool("0") is True, so words are read explicitly.
    word = str(raw).strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name.upper()}={raw!r} is not a valid bool (use 1/0, true/false, yes/no or on/off)")
