"""Security headers: every kind of response carries them, and the pages need nothing the policy forbids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from qa_service.config import PROJECT_ROOT
from qa_service.security import CONTENT_SECURITY_POLICY, SECURITY_HEADERS

TEMPLATES = sorted((PROJECT_ROOT / "templates").glob("*.html"))


def assert_secured(response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} missing on {response.request.path}"


def test_the_policy_allows_only_the_apps_own_scripts_and_styles():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))

    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_pages_carry_the_security_headers(client):
    response = client.get("/")

    assert response.status_code == 200
    assert_secured(response)


def test_static_files_carry_the_security_headers(app: Flask, client):
    static_file = next(p for p in sorted(Path(app.static_folder).iterdir()) if p.is_file())

    response = client.get(f"/static/{static_file.name}")

    assert response.status_code == 200
    assert_secured(response)
    response.close()


@pytest.mark.parametrize("method, path, kwargs, status", [
    ("post", "/api/ask", {"json": {"question": "What is Keppra?"}}, 200),
    ("get", "/api/openapi.json", {}, 200),
    ("get", "/nowhere", {}, 404),
    ("delete", "/api/ask", {}, 405),
    ("post", "/api/ask", {"data": "{}", "content_type": "text/plain"}, 415),
    ("post", "/api/ask", {"data": "x" * 70_000, "content_type": "application/json"}, 413),
])
def test_api_replies_and_errors_carry_the_security_headers(client, method, path, kwargs, status):
    response = getattr(client, method)(path, **kwargs)

    assert response.status_code == status
    assert_secured(response)


@pytest.mark.unhandled_error_expected
def test_an_unexpected_error_carries_the_security_headers(app: Flask):
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", view_func=broken)

    response = app.test_client().get("/broken")

    assert response.status_code == 500
    assert_secured(response)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_hold_no_inline_script_style_or_event_handler(template: Path):
    html = template.read_text(encoding="utf-8")

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> is blocked by the policy"
    assert not re.search(r"<style\b", html), "inline <style> is blocked by the policy"
    assert not re.search(r"\sstyle=", html), "style attributes are blocked by the policy"
    assert not re.search(r"\son[a-z]+=", html), "event handler attributes are blocked by the policy"
    assert "javascript:" not in html
