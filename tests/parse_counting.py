"""Which documents a store parses: the tests that pin "reads only what changed" count them."""

from __future__ import annotations

from types import ModuleType


def counting_parses(monkeypatch, store_module: ModuleType) -> list[str]:
    """From now on, the id of every document this store module parses, in order."""
    real_parse = store_module.parse_document
    parsed: list[str] = []

    def counting_parse(doc_id, *args, **kwargs):
        parsed.append(doc_id)
        return real_parse(doc_id, *args, **kwargs)

    monkeypatch.setattr(store_module, "parse_document", counting_parse)
    return parsed
