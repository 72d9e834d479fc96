"""Rate limits: per-client limits on asking and on writes, 429 with Retry-After, and their configuration."""

from __future__ import annotations

import logging

import jsonschema
import pytest
from flask import Flask

from qa_service import create_app
from qa_service.config import ConfigError
from qa_service.openapi import ERROR

QUESTION = {"question": "What are the side effects of Keppra?"}


def make_app(corpus_dir, **settings) -> Flask:
    return create_app({"QA_CORPUS": str(corpus_dir), "QA_RATE_LIMIT_EXEMPT": "none", **settings})


def ask_from(client, address: str = "203.0.113.7", **kwargs):
    return client.post("/api/ask", json=QUESTION, environ_base={"REMOTE_ADDR": address}, **kwargs)


def test_asking_beyond_the_limit_gets_429_with_retry_after(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="3/minute").test_client()

    statuses = [ask_from(client).status_code for _ in range(4)]
    refused = ask_from(client)

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    jsonschema.validate(refused.get_json(), ERROR)
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "3 per 1 minute" in refused.get_json()["error"]["message"]


def test_each_client_address_has_its_own_count(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="2/minute").test_client()

    first = [ask_from(client, "203.0.113.7").status_code for _ in range(3)]
    second = [ask_from(client, "198.51.100.4").status_code for _ in range(3)]

    assert first == second == [200, 200, 429]


def test_reading_is_not_counted_against_the_ask_limit(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute").test_client()
    environ = {"REMOTE_ADDR": "203.0.113.7"}

    reads = [client.get(path, environ_base=environ).status_code
             for path in ("/", "/api/documents", "/api/corpus", "/healthz", "/api/openapi.json")]

    assert reads == [200] * 5
    assert ask_from(client).status_code == 200


def test_several_limits_can_be_combined(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="2/second;3/minute").test_client()

    assert [ask_from(client).status_code for _ in range(3)] == [200, 200, 429]


def test_every_write_method_counts_against_the_write_limit(corpus_dir):
    app = make_app(corpus_dir, QA_RATE_LIMIT_WRITE="3/minute", QA_RATE_LIMIT_ASK="off")
    app.add_url_rule("/api/test-write", "test_write", lambda: ("", 204), methods=["PUT", "POST", "DELETE", "PATCH"])
    client = app.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.7"}

    statuses = [client.open("/api/test-write", method=m, environ_base=environ).status_code
                for m in ("PUT", "POST", "DELETE", "PATCH")]

    assert statuses == [204, 204, 204, 429]
    assert ask_from(client).status_code == 200


def test_loopback_clients_are_exempt_by_default(corpus_dir):
    client = create_app({"QA_CORPUS": str(corpus_dir), "QA_RATE_LIMIT_ASK": "2/minute"}).test_client()

    assert [client.post("/api/ask", json=QUESTION).status_code for _ in range(5)] == [200] * 5
    assert [ask_from(client).status_code for _ in range(3)] == [200, 200, 429]


def test_exempt_networks_are_configurable(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute", QA_RATE_LIMIT_EXEMPT="10.0.0.0/8, 192.0.2.1"
                      ).test_client()

    assert [ask_from(client, "10.1.2.3").status_code for _ in range(3)] == [200] * 3
    assert [ask_from(client, "192.0.2.1").status_code for _ in range(3)] == [200] * 3
    assert [ask_from(client, "192.0.2.2").status_code for _ in range(2)] == [200, 429]


def test_the_default_limit_lets_a_reader_ask_two_questions_a_second_for_a_minute(corpus_dir):
    client = create_app({"QA_CORPUS": str(corpus_dir), "QA_RATE_LIMIT_EXEMPT": "none"}).test_client()

    statuses = [ask_from(client).status_code for _ in range(121)]

    assert statuses == [200] * 120 + [429]


def test_off_turns_a_limit_off(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="off").test_client()

    assert [ask_from(client).status_code for _ in range(200)] == [200] * 200


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute").test_client()

    statuses = [ask_from(client, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(3)]

    assert statuses == [200, 429, 429]


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(corpus_dir):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute", QA_PROXY_HOPS=1).test_client()

    def via_proxy(forwarded_for: str):
        return ask_from(client, "10.0.0.2", headers={"X-Forwarded-For": forwarded_for}).status_code

    assert [via_proxy("198.51.100.1"), via_proxy("198.51.100.2"), via_proxy("198.51.100.1")] == [200, 200, 429]
    # A client cannot pose as another by sending its own X-Forwarded-For: the proxy appends the real address.
    assert via_proxy("198.51.100.2, 198.51.100.1") == 429


def test_an_unreachable_storage_lets_requests_through_and_says_so(corpus_dir, caplog):
    client = make_app(corpus_dir, QA_RATE_LIMIT_ASK="1/minute", QA_RATE_LIMIT_STORAGE="redis://127.0.0.1:1"
                      ).test_client()

    statuses = [ask_from(client).status_code for _ in range(3)]

    assert statuses == [200] * 3
    warnings = [r for r in caplog.records if r.name == "qa_service.limits" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "storage unreachable" in warnings[0].getMessage()


@pytest.mark.parametrize("setting, value, named", [
    ("QA_RATE_LIMIT_ASK", "lots", "QA_RATE_LIMIT_ASK"),
    ("QA_RATE_LIMIT_WRITE", "10 per fortnight", "QA_RATE_LIMIT_WRITE"),
    ("QA_RATE_LIMIT_STORAGE", "carrier-pigeon://", "QA_RATE_LIMIT_STORAGE"),
    ("QA_RATE_LIMIT_EXEMPT", "localhost", "QA_RATE_LIMIT_EXEMPT"),
    ("QA_PROXY_HOPS", "-1", "QA_PROXY_HOPS"),
])
def test_an_unusable_setting_is_refused_at_start_with_its_name(corpus_dir, setting, value, named):
    with pytest.raises(ConfigError, match=named):
        create_app({"QA_CORPUS": str(corpus_dir), setting: value})
