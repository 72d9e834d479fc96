"""Delivery: compressed responses, static files under content-hashed addresses cached for a year, the icon."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest

from qa_service import create_app

STATIC = Path(__file__).resolve().parent.parent / "qa_service" / "static"
YEAR = "max-age=31536000"
ADMIN_TOKEN = "correct-horse-battery-staple"


def static_address(client, name: str) -> str:
    html = client.get("/").get_data(as_text=True) + client.get("/documents/keppra-article").get_data(as_text=True)
    [address] = set(re.findall(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]+)"', html))
    return address


@pytest.mark.parametrize(("path", "mimetype"), [
    ("/", "text/html"),
    ("/documents/keppra-article", "text/html"),
    ("/static/style.css", "text/css"),
    ("/static/chat.js", "text/javascript"),
    ("/api/documents/keppra-article", "application/json"),
])
@pytest.mark.parametrize(("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_pages_styles_scripts_and_json_are_compressed_when_the_browser_accepts_it(client, path, mimetype, encoding,
                                                                                   decompress):
    plain = client.get(path)
    compressed = client.get(path, headers={"Accept-Encoding": encoding})

    assert compressed.status_code == 200
    assert compressed.mimetype == mimetype
    assert compressed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert decompress(compressed.get_data()) == plain.get_data()
    assert len(compressed.get_data()) < len(plain.get_data()) / 2


def test_an_answer_is_compressed_with_gzip_when_asked(client):
    response = client.post("/api/ask", json={"question": "What are the common side effects of Keppra?"},
                           headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"fatigue, dizziness" in gzip.decompress(response.get_data())


def test_nothing_is_compressed_for_a_client_that_does_not_ask(client):
    assert "Content-Encoding" not in client.get("/").headers
    assert "Content-Encoding" not in client.get("/static/chat.js").headers


@pytest.mark.parametrize("name", ["chat.js", "style.css", "favicon.svg", "document.js"])
def test_pages_link_static_files_by_a_hash_of_their_content(client, name):
    address = static_address(client, name)
    assert address.endswith("?v=" + hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12])


@pytest.mark.parametrize("name", ["chat.js", "style.css", "document.js"])
def test_a_static_file_at_its_hashed_address_is_cached_for_a_year(client, name):
    response = client.get(static_address(client, name))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == f"public, {YEAR}, immutable"
    assert response.get_data() == (STATIC / name).read_bytes()


@pytest.mark.parametrize("address", ["/static/chat.js", "/static/chat.js?v=000000000000"])
def test_a_static_file_at_another_address_is_checked_again_each_time_by_its_etag(client, address):
    response = client.get(address)

    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get(address, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_compressed_static_file_is_not_sent_again_when_its_etag_matches(client):
    first = client.get("/static/chat.js", headers={"Accept-Encoding": "gzip"})
    again = client.get("/static/chat.js", headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_favicon_ico_is_the_apps_icon_not_a_404(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data() == (STATIC / "favicon.svg").read_bytes()
    assert "max-age=86400" in response.headers["Cache-Control"]


def test_every_page_names_its_icon(client):
    for path in ("/", "/admin", "/documents/keppra-article"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'<link rel="icon" type="image/svg\+xml" href="/static/favicon\.svg\?v=[0-9a-f]+">', html)


def test_compressed_responses_keep_the_security_headers(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_etag_of_a_document_read_compressed_satisfies_if_match_on_a_write(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0, "QA_ADMIN_TOKEN": ADMIN_TOKEN})
    client = app.test_client()
    etag = client.get("/api/documents/keppra-article", headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    assert etag.endswith(':gzip"')

    reply = client.put("/api/documents/keppra-article", data="Keppra\n\nKeppra is a medicine.",
                       content_type="text/plain", headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "If-Match": etag})

    assert reply.status_code == 200


def test_a_compressed_document_is_not_sent_again_when_its_etag_matches(client):
    first = client.get("/api/documents/keppra-article", headers={"Accept-Encoding": "br"})
    again = client.get("/api/documents/keppra-article",
                       headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/api/documents/keppra-article", "/favicon.ico", "/static/style.css"])
def test_a_read_with_if_match_star_is_served_since_the_file_exists(client, path):
    assert client.get(path, headers={"If-Match": "*"}).status_code == 200


@pytest.mark.parametrize("path", ["/api/documents/keppra-article", "/favicon.ico"])
def test_a_read_whose_if_match_fails_is_a_json_412_naming_the_current_etag(client, path):
    current = client.get(path).headers["ETag"]

    response = client.get(path, headers={"If-Match": '"some-other-version"'})

    assert response.status_code == 412
    assert response.get_json()["error"]["code"] == "precondition_failed"
    assert current in response.get_json()["error"]["message"]
    assert response.headers["ETag"] == current
    assert client.get(path, headers={"If-Match": current}).status_code == 200
