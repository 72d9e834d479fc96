"""Reading JSON request bodies (qa_service.json_input): what strict JSON allows is read, the rest is a 400 that says
what is wrong, and nothing a client sends can make the reader fail any other way."""

from __future__ import annotations

import pytest

from qa_service import create_app
from qa_service.config import MAX_JSON_DEPTH
from qa_service.errors import ApiError
from qa_service.json_input import parse_json

ADMIN_TOKEN = "json-input-admin-token-0123456789"


def refusal(raw: bytes) -> str:
    with pytest.raises(ApiError) as refused:
        parse_json(raw)
    assert (refused.value.status, refused.value.code) == (400, "malformed_json")
    return refused.value.message


def nested(depth: int) -> bytes:
    """An object whose field holds arrays inside arrays: depth levels in all, counting the object."""
    return b'{"tide": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def test_nesting_up_to_the_limit_is_read():
    assert parse_json(nested(MAX_JSON_DEPTH))["tide"] is not None


def test_one_level_more_is_refused_naming_the_limit():
    assert str(MAX_JSON_DEPTH) in refusal(nested(MAX_JSON_DEPTH + 1))


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_nesting_past_pythons_recursion_limit_is_refused_like_any_other_depth(depth: int):
    assert str(MAX_JSON_DEPTH) in refusal(b"[" * depth + b"]" * depth)


def test_objects_count_as_levels_too():
    deep = b'{"a": ' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
    assert "nested" in refusal(deep)


def test_a_key_given_twice_is_refused_by_name():
    assert '"harbour"' in refusal(b'{"harbour": "north", "tide": 1, "harbour": "south"}')


def test_the_same_key_in_two_objects_is_fine():
    assert parse_json(b'[{"harbour": 1}, {"harbour": 2}]') == [{"harbour": 1}, {"harbour": 2}]


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json_numbers(constant: bytes):
    assert "not a JSON number" in refusal(b'{"depth": ' + constant + b"}")


def test_a_number_with_too_many_digits_is_refused_without_pythons_words():
    message = refusal(b'{"depth": ' + b"7" * 5000 + b"}")
    assert "digits" in message and "sys." not in message


@pytest.mark.parametrize("escape", [rb'"\ud800"', rb'"tide \udfff"', rb'{"\udc00": 1}'])
def test_a_lone_surrogate_anywhere_is_refused(escape: bytes):
    assert "surrogate" in refusal(b'{"note": [' + escape + b"]}")


def test_a_surrogate_pair_written_as_two_escapes_is_one_character():
    assert parse_json(rb'{"note": "\ud83c\udf0a"}') == {"note": "\U0001f30a"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_every_encoding_rfc_8259_lets_readers_accept_is_read(encoding: str):
    assert parse_json('{"harbour": "Åsgårdstrand"}'.encode(encoding)) == {"harbour": "Åsgårdstrand"}


def test_bytes_that_are_no_unicode_text_are_refused():
    assert "UTF-8" in refusal(b'{"harbour": "\xff\xfe\xfa"}')


def test_a_syntax_error_says_where_it_is():
    assert "line 1 column" in refusal(b'{"harbour": }')


# Every endpoint that reads JSON reads it here: each refuses the same over-deep body the same way.
DEEP = nested(MAX_JSON_DEPTH + 1)


@pytest.mark.parametrize("method, path", [("post", "/api/ask"), ("post", "/api/feedback"),
                                          ("post", "/api/insights/handled"), ("put", "/api/documents/tides")])
def test_every_json_endpoint_refuses_a_body_nested_too_deep(corpus_dir, tmp_path, method: str, path: str):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0, "QA_ADMIN_TOKEN": ADMIN_TOKEN,
                      "QA_RECORD_QUESTIONS": "all", "QA_RECORD_FILE": str(tmp_path / "records.sqlite3")})
    reply = getattr(app.test_client(), method)(path, data=DEEP, content_type="application/json",
                                               headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "malformed_json"
    assert str(MAX_JSON_DEPTH) in reply.get_json()["error"]["message"]
