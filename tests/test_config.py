"""Settings: defaults, values read from the environment, and invalid values named in the error."""

from __future__ import annotations

import pytest

from qa_service import create_app, state
from qa_service.answering import AnswerSettings
from qa_service.config import PROJECT_ROOT, ConfigError, Settings


def test_defaults_apply_when_the_environment_is_empty():
    settings = Settings.from_env(environ={})

    assert settings.corpus_path == PROJECT_ROOT / "corpus"
    assert settings.qa_max_document_bytes == 5 * 1024 * 1024
    assert settings.qa_max_question_chars == 1000
    assert settings.qa_max_body_bytes == 64 * 1024
    # No threshold of its own: the one each ranking model was fitted for applies.
    assert settings.min_confidence is None is AnswerSettings().min_confidence
    assert settings.qa_semantic is True
    assert settings.qa_reload_seconds == 2.0
    assert settings.qa_log_level == "INFO"
    assert settings.qa_queue_limit == 64
    assert settings.qa_read_timeout_seconds == 10.0


def test_environment_values_are_converted_to_the_setting_type():
    settings = Settings.from_env(environ={
        "QA_CORPUS": "/srv/articles",
        "QA_MAX_QUESTION_CHARS": "200",
        "QA_MIN_CONFIDENCE": "0.35",
        "QA_RELOAD_SECONDS": "0",
        "QA_LOG_LEVEL": "WARNING",
        "QA_LOG_QUESTIONS": "yes",
    })

    assert str(settings.corpus_path) == "/srv/articles"
    assert settings.qa_max_question_chars == 200
    assert settings.min_confidence == 0.35
    assert settings.qa_reload_seconds == 0.0
    assert settings.qa_log_level == "WARNING"
    assert settings.qa_log_questions is True


@pytest.mark.parametrize(("word", "value"), [("1", True), ("On", True), ("false", False), ("no", False)])
def test_yes_no_settings_read_words_not_python_truthiness(word, value):
    assert Settings.from_env(environ={"QA_LOG_QUESTIONS": word}).qa_log_questions is value


def test_an_empty_variable_means_the_default():
    assert Settings.from_env(environ={"QA_MAX_QUESTION_CHARS": ""}).qa_max_question_chars == 1000


def test_overrides_win_over_the_environment_and_ignore_case():
    settings = Settings.from_env({"qa_max_question_chars": 50}, environ={"QA_MAX_QUESTION_CHARS": "200"})

    assert settings.qa_max_question_chars == 50


@pytest.mark.parametrize(("variable", "value"), [
    ("QA_MAX_QUESTION_CHARS", "lots"),
    ("QA_MAX_QUESTION_CHARS", "0"),
    ("QA_MAX_BODY_BYTES", "-1"),
    ("QA_MAX_DOCUMENT_BYTES", "1.5"),
    ("QA_MIN_CONFIDENCE", "1.5"),
    ("QA_MIN_CONFIDENCE", "half"),
    ("QA_RELOAD_SECONDS", "-2"),
    ("QA_RELOAD_SECONDS", "nan"),
    ("QA_LOG_LEVEL", "LOUD"),
    ("QA_LOG_QUESTIONS", "maybe"),
    ("QA_ADMIN_TOKEN", "short"),
    ("DATABASE_URL", "mysql://localhost/qa"),
    ("QA_QUEUE_LIMIT", "-1"),
    ("QA_READ_TIMEOUT_SECONDS", "0"),
    ("QA_READ_TIMEOUT_SECONDS", "nan"),
    ("QA_QUESTION_VECTORS", "-1"),
    ("QA_READING_PARALLEL", "0"),
    ("QA_PUBLISH_AFTER_SECONDS", "-1"),
    ("QA_PUBLISH_AFTER_SECONDS", "nan"),
])
def test_an_invalid_value_raises_config_error_naming_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(environ={variable: value})


def test_a_child_process_given_the_settings_as_its_environment_reads_the_same_settings():
    settings = Settings.from_env(environ={"QA_CORPUS": "/srv/articles", "QA_SEMANTIC": "off",
                                          "QA_PUBLISH_AFTER_SECONDS": "2.5", "QA_ADMIN_TOKEN": "a-token-of-16-chars+",
                                          "QA_MIN_CONFIDENCE": ""})

    assert Settings.from_env(environ=settings.environment()) == settings


def test_create_app_refuses_an_invalid_setting_before_serving(tmp_path):
    with pytest.raises(ConfigError, match="QA_MAX_BODY_BYTES"):
        create_app({"QA_CORPUS": str(tmp_path), "QA_MAX_BODY_BYTES": "a lot"})


def test_create_app_reads_the_environment(monkeypatch, corpus_dir):
    monkeypatch.setenv("QA_CORPUS", str(corpus_dir))
    monkeypatch.setenv("QA_MAX_QUESTION_CHARS", "20")

    app = create_app()

    assert state.settings(app).corpus_path == corpus_dir
    response = app.test_client().post("/api/ask", json={"question": "x" * 21})
    assert response.status_code == 413
    assert "20" in response.get_json()["error"]["message"]


def test_a_corpus_folder_that_does_not_exist_is_refused_naming_qa_corpus(tmp_path):
    with pytest.raises(ConfigError, match=r"QA_CORPUS=.*corpsu.* does not exist"):
        create_app({"QA_CORPUS": str(tmp_path / "corpsu")})
    assert not (tmp_path / "corpsu").exists()


def test_a_corpus_path_that_is_a_file_is_refused_naming_qa_corpus(tmp_path):
    (tmp_path / "notes.txt").write_text("Notes\n\nA file, not a folder.")

    with pytest.raises(ConfigError, match=r"QA_CORPUS=.*notes\.txt.* is not a folder"):
        create_app({"QA_CORPUS": str(tmp_path / "notes.txt")})


def test_an_index_cache_inside_the_corpus_folder_is_refused(corpus_dir):
    with pytest.raises(ConfigError, match="QA_CACHE_DIR"):
        create_app({"QA_CORPUS": str(corpus_dir), "QA_CACHE_DIR": str(corpus_dir / "cache")})


@pytest.mark.parametrize("seconds", ["inf", "-1", "nan"])
def test_a_reload_interval_that_would_never_look_again_is_refused(corpus_dir, seconds):
    with pytest.raises(ConfigError, match="QA_RELOAD_SECONDS"):
        create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": seconds})


def test_a_records_file_that_is_not_a_database_is_refused_naming_qa_record_file(corpus_dir, tmp_path):
    (tmp_path / "notes.txt").write_text("not a database, but an editor's notes")

    with pytest.raises(ConfigError, match="QA_RECORD_FILE=.*notes.txt.* cannot hold the question records"):
        create_app({"QA_CORPUS": str(corpus_dir), "QA_RECORD_QUESTIONS": "all",
                    "QA_RECORD_FILE": str(tmp_path / "notes.txt")})
    assert (tmp_path / "notes.txt").read_text() == "not a database, but an editor's notes"
