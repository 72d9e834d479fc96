"""The history over HTTP, for holders of an admin token: a document's kept versions, one of them, restoring it,
the removals that can be undone, and the audit log of who changed what."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .config import CHANGES_LISTED, MAX_CHANGES
from .documents import DocumentRejected, is_valid_id
from .errors import ApiError
from .state import store
from .store.base import Change, PreconditionFailed, StoredVersion, StoreUnavailable, UnknownVersion
from .writes import checked_id, conflict, precondition, require_admin_token, unavailable, written_response

bp = Blueprint("history", __name__)


def version_json(kept: StoredVersion) -> dict:
    return {
        "version": kept.version,
        "title": kept.title,
        "format": kept.format,
        "size": kept.size,
        "stored_at": kept.stored_at.isoformat(),
        "stored_by": kept.stored_by,
        "current": kept.current,
        "replaced_at": kept.replaced_at.isoformat() if kept.replaced_at else None,
    }


def change_json(change: Change) -> dict:
    return {
        "id": change.doc_id,
        "action": change.action,
        "at": change.at.isoformat(),
        "by": change.by,
        "from_version": change.from_version,
        "to_version": change.to_version,
    }


def unknown_version(doc_id: str, version: str) -> ApiError:
    return ApiError(404, "unknown_version", f"No version {version!r} of {doc_id!r} is kept: it was never written, "
                    "or it is older than the retention period (QA_HISTORY_DAYS).")


@bp.get("/api/documents/<doc_id>/versions")
def list_versions(doc_id: str):
    require_admin_token()
    checked_id(doc_id)
    try:
        kept = store().versions(doc_id)
    except StoreUnavailable as error:
        raise unavailable(error) from None
    if not kept:
        raise ApiError(404, "unknown_document", f"No version of {doc_id!r} is kept.")
    return jsonify({"id": doc_id, "versions": [version_json(v) for v in kept]})


@bp.get("/api/documents/<doc_id>/versions/<version>")
def get_version(doc_id: str, version: str):
    require_admin_token()
    checked_id(doc_id)
    try:
        kept = store().version(doc_id, version) if is_valid_id(version) else None
    except UnknownVersion:
        kept = None
    except StoreUnavailable as error:
        raise unavailable(error) from None
    if kept is None:
        raise unknown_version(doc_id, version)
    return jsonify({"id": doc_id, **version_json(kept.stored), "text": kept.document.text,
                    "source": kept.raw.decode("utf-8", "replace")})


@bp.post("/api/documents/<doc_id>/versions/<version>/restore")
def restore_version(doc_id: str, version: str):
    """Restore as a new write; If-Match (the version now served) or If-None-Match: * (after a removal) make sure
    nobody changed the document since the editor looked."""
    editor = require_admin_token()
    checked_id(doc_id)
    if not is_valid_id(version):
        raise unknown_version(doc_id, version)
    try:
        written = store().restore(doc_id, version, precondition(), editor)
    except UnknownVersion:
        raise unknown_version(doc_id, version) from None
    except PreconditionFailed as error:
        raise conflict(error) from None
    except StoreUnavailable as error:
        raise unavailable(error) from None
    except DocumentRejected as error:  # a kept version that today's limits refuse (a lower size limit, say)
        raise ApiError(422, "unusable_version", f"This version cannot be served under today's rules: {error}") from None
    return written_response(doc_id, written)


@bp.get("/api/changes")
def list_changes():
    require_admin_token()
    doc_id = request.args.get("document")
    if doc_id is not None:
        checked_id(doc_id)
    limit = request.args.get("limit", str(CHANGES_LISTED))
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_CHANGES:
        raise ApiError(400, "invalid_limit", f"'limit' must be a whole number from 1 to {MAX_CHANGES}.")
    try:
        changes = store().changes(doc_id, int(limit))
    except StoreUnavailable as error:
        raise unavailable(error) from None
    return jsonify({"changes": [change_json(c) for c in changes]})


@bp.get("/api/removed")
def list_removed():
    require_admin_token()
    try:
        removed = store().removed()
    except StoreUnavailable as error:
        raise unavailable(error) from None
    return jsonify({"removed": [change_json(c) for c in removed]})
