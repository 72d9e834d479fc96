"""Reading JSON that clients send: every request body that holds JSON is parsed here, with the same rules and the
same errors (400 malformed_json, saying what is wrong).

Beyond json.loads, it refuses what strict JSON (RFC 8259) leaves out or leaves unpredictable, and what would break
later, far from the request: nesting past MAX_JSON_DEPTH (json.loads itself recurses, and the Python recursion
limit would turn a 2 KB body into a 500), NaN and Infinity, a key given twice in one object (which of the two
counts differs between parsers), and a lone surrogate escape such as "\\ud800", which is no character: it cannot be
stored or encoded as UTF-8, so a question or a comment holding one could not be recorded.
"""

from __future__ import annotations

import json
import sys

from .config import MAX_JSON_DEPTH
from .errors import ApiError


def malformed(why: str) -> ApiError:
    return ApiError(400, "malformed_json", f"The request body is not valid JSON: {why}")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise malformed(f"the key {json.dumps(key)} is given twice in one object.")
            seen.add(key)
    return found


def _no_constant(name: str) -> float:
    raise malformed(f"{name} is not a JSON number.")


def _check_text(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise malformed("a string holds a lone surrogate escape (\\ud800 to \\udfff without its pair), "
                            "which is not a character.") from None


def _check(value: object) -> None:
    """Depth and text of everything in the value, without recursion: a parsed value may be nested deep."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise too_deep()
            if isinstance(item, dict):
                for key in item:
                    _check_text(key)
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))


def too_deep() -> ApiError:
    return malformed(f"arrays and objects are nested more than {MAX_JSON_DEPTH} deep.")


def parse_json(raw: bytes) -> object:
    """The JSON value of a request body (UTF-8, or UTF-16/32 as RFC 8259 allows readers to accept), or the
    ApiError that tells the client what is wrong with it."""
    try:
        value = json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RecursionError:
        raise too_deep() from None
    except UnicodeDecodeError:
        raise malformed("it is not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise malformed(f"{error}.") from None
    except ValueError:  # Python's limit on the digits of an integer it converts from text
        raise malformed(f"a number has more than {sys.get_int_max_str_digits()} digits.") from None
    _check(value)
    return value
