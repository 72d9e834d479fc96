"""The web page: the chat page a reader asks questions in."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("web", __name__)


@bp.get("/")
def chat():
    return render_template("chat.html")
