"""How responses travel: compressed (br or gzip), and static files under content-hashed addresses cached for a year."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask, Response, request
from flask_compress import Compress

from .errors import error_response

# Pages, styles, scripts, JSON and the SVG icon are text that shrinks four to ten times; images would not.
COMPRESSED_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                        "image/svg+xml"]
# Brotli first (smaller; browsers ask for it over HTTPS and from localhost), gzip for everyone else: a browser
# over plain HTTP asks only for gzip and deflate. Flask streams static files, and flask-compress's default for
# streamed responses leaves gzip out, which would send them uncompressed to such a browser.
ALGORITHMS = ["br", "gzip"]
STATIC_VERSION_ARG = "v"
# flask-compress gives a compressed response its own strong ETag, the version with the encoding after a colon
# ("2ab86fcd57e4adbb:gzip"), as HTTP asks of a different representation.
ENCODING_SUFFIX = re.compile(r':(?:br|gzip)"')
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
YEAR_SECONDS = 365 * 24 * 3600


def static_versions(folder: Path) -> dict[str, str]:
    """The first 12 hex digits of each static file's SHA-256, by its path under the folder ("chat.js")."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in sorted(folder.rglob("*")) if path.is_file()}


def init_app(app: Flask) -> None:
    app.config.update(COMPRESS_MIMETYPES=COMPRESSED_MIMETYPES, COMPRESS_ALGORITHM=ALGORITHMS,
                      COMPRESS_ALGORITHM_STREAMING=ALGORITHMS)
    Compress(app)

    @app.before_request
    def read_encoded_etags_as_versions() -> None:
        if request.method in SAFE_METHODS:
            # "If-Match: *" holds for anything that exists, and what does not is a 404 anyway; werkzeug's
            # make_conditional (a document's JSON, static files) would answer it 412.
            if request.environ.get("HTTP_IF_MATCH", "").strip() == "*":
                del request.environ["HTTP_IF_MATCH"]
            return
        # A client that read a document compressed and sends its ETag back with a write means that version: the
        # write's If-Match / If-None-Match compare versions, whatever encoding the version was read in.
        for header in ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH"):
            if header in request.environ:
                request.environ[header] = ENCODING_SUFFIX.sub('"', request.environ[header])
    # Hashed once when the app is built: the static files are part of the release, not changed while it runs.
    versions = static_versions(Path(app.static_folder))

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        # Every url_for("static", ...) carries the file's hash, so a changed file has a new address.
        if endpoint == "static" and values.get("filename") in versions:
            values.setdefault(STATIC_VERSION_ARG, versions[values["filename"]])

    @app.after_request
    def failed_read_precondition_as_error(response: Response) -> Response:
        # make_conditional answers a read whose If-Match does not hold with 412 and the whole representation; a
        # failed precondition is an error like any other, in the one error shape.
        if response.status_code != 412 or request.method not in SAFE_METHODS:
            return response
        refused = error_response(412, "precondition_failed", "If-Match does not hold: the current version has "
                                 f"the ETag {response.headers.get('ETag', '(none)')}.")
        if "ETag" in response.headers:
            refused.headers["ETag"] = response.headers["ETag"]
        return refused

    @app.after_request
    def cache_static_files(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename")
        if request.args.get(STATIC_VERSION_ARG) == versions.get(filename):
            # The address names this exact content: browsers may keep it for a year without asking again.
            response.cache_control.public = True
            response.cache_control.max_age = YEAR_SECONDS
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
