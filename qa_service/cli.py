"""The command line: the `corpus` group (list, add, remove and check documents; their history, restore and purge),
the `editors` group (a named editor's line for QA_ADMIN_TOKENS) and `main`, the `qa-service` command
(`python -m qa_service` too), which is Flask's command line for this app with those groups in it (create_app adds
them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup, FlaskGroup

from . import create_app, formats
from .config import MIN_ADMIN_TOKEN_CHARS, ConfigError
from .documents import ID_RULE, DocumentRejected, is_valid_id
from .editors import NAME_PATTERN, token_hash
from .state import live_corpus, store
from .store.base import PreconditionFailed, UnknownDocument, UnknownVersion

corpus = AppGroup("corpus", help="List, add, remove and check the documents of the store the service reads "
                  "(the QA_CORPUS folder, or PostgreSQL when DATABASE_URL is set); show their history, restore an "
                  "earlier version, purge the history.")
editors = click.Group("editors", help="Named editors' tokens (QA_ADMIN_TOKENS).")


@corpus.command("list")
def list_documents() -> None:
    """Print every document served: id, format, version and title."""
    documents, skipped = store().load()
    for document in sorted(documents, key=lambda d: d.id):
        click.echo(f"{document.id}\t{document.format}\t{document.version}\t{document.title}")
    click.echo(f"{len(documents)} documents in {store()!r}" + (f", {len(skipped)} skipped (see 'corpus check')"
                                                                if skipped else ""), err=True)


@corpus.command("publish")
def publish_index() -> None:
    """Publish the index of the corpus as it is now (in QA_CACHE_DIR, or in PostgreSQL with DATABASE_URL), so that
    a service starting later loads it instead of analysing every document written since the last publication.
    Serving processes run it themselves in the background after enough writes (QA_PUBLISH_AFTER_SECONDS); run it by
    hand where that is off, e.g. from cron."""
    live = live_corpus()
    try:
        published = live.publish()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    index = live.served.index
    click.echo(f"corpus {index.version}: {len(index.documents)} documents, {index.passage_count} passages, "
               f"{'with' if index.vectors is not None else 'without'} sentence embeddings; "
               + (f"published in {live.snapshots.place!r}" if published
                  else "the newest publication holds it already"))


@corpus.command("add", help=f"Add FILE ({formats.file_kinds()}) to the corpus, or replace the document with "
                "the same id.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "doc_id", help="The document's id (default: the file name without its extension).")
@click.option("--title", help="The document's title (default: taken from the document).")
def add_document(file: Path, doc_id: str | None, title: str | None) -> None:
    fmt = formats.of_file(file)
    if fmt is None:
        raise click.ClickException(f"{file.name}: not a {formats.file_kinds()} file")
    if doc_id is None and not is_valid_id(file.stem):
        raise click.ClickException(f"{file.name}: the file name is no document id ({ID_RULE}); give one with --id")
    try:
        written = store().put(doc_id or file.stem, file.read_bytes(), fmt.name, title)
    except DocumentRejected as error:
        raise click.ClickException(str(error)) from None
    document = written.document
    click.echo(f"{'added' if written.created else 'replaced'} {document.id} (version {document.version}): "
               f"{document.title}")
    say_set_aside(written.set_aside)


def say_set_aside(names: tuple[str, ...]) -> None:
    for name in names:
        click.echo(f"set aside {name}: it held the id but was not served; it is kept there, not deleted")


@corpus.command("remove")
@click.argument("doc_id", metavar="ID")
def remove_document(doc_id: str) -> None:
    """Remove the document ID from the corpus."""
    try:
        set_aside = store().delete(doc_id)
    except UnknownDocument:
        raise click.ClickException(f"no document with the id {doc_id!r}") from None
    except DocumentRejected as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"removed {doc_id}")
    say_set_aside(set_aside)


@corpus.command("check")
def check_documents() -> None:
    """Report every file (or stored document) that is not served, and why; exit with 1 if there is one. Also name
    what a corpus folder holds that is never read as a document (sub-folders, files of other kinds), which does
    not fail the check."""
    documents, skipped = store().load()
    for item in skipped:
        click.echo(f"{item.name}\t{item.reason}\t{item.message}")
    ignored = store().not_documents()
    for item in ignored:
        click.echo(f"{item.name}\tnot read\t{item.message}")
    click.echo(f"{len(documents)} documents served, {len(skipped)} skipped"
               + (f", {len(ignored)} not documents" if ignored else ""), err=True)
    if skipped:
        raise SystemExit(1)


@corpus.command("history")
@click.argument("doc_id", metavar="[ID]", required=False)
def show_history(doc_id: str | None) -> None:
    """Without ID: the audit log, newest first (when, who, what, which document, from which version to which).
    With ID: the kept versions of that document, newest first."""
    try:
        if doc_id is None:
            for change in store().changes():
                click.echo(f"{change.at.isoformat(timespec='seconds')}\t{change.by or '-'}\t{change.action}\t"
                           f"{change.doc_id}\t{change.from_version or '-'}\t{change.to_version or '-'}")
            return
        kept = store().versions(doc_id)
    except DocumentRejected as error:
        raise click.ClickException(str(error)) from None
    if not kept:
        raise click.ClickException(f"no version of {doc_id!r} is kept")
    for version in kept:
        state = "current" if version.current else f"replaced {version.replaced_at.isoformat(timespec='seconds')}"
        click.echo(f"{version.version}\t{version.stored_at.isoformat(timespec='seconds')}\t"
                   f"{version.stored_by or '-'}\t{version.size}\t{state}\t{version.title}")


@corpus.command("restore")
@click.argument("doc_id", metavar="ID")
@click.argument("version")
def restore_version(doc_id: str, version: str) -> None:
    """Bring back VERSION of the document ID (see 'corpus history ID'), as a new write; this undoes a removal too."""
    try:
        written = store().restore(doc_id, version)
    except (UnknownVersion, DocumentRejected, PreconditionFailed) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {doc_id} to version {written.document.version}: {written.document.title}")


@corpus.command("purge")
@click.option("--older-than", "days", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Only drop what was replaced or removed more than this many days ago.")
def purge_history(days: float) -> None:
    """Empty the history: drop replaced versions, removed documents (their removal can no longer be undone) and
    the audit log. The versions served stay."""
    dropped = store().purge_history(datetime.now(UTC) - timedelta(days=days))
    click.echo(f"dropped {dropped} kept versions")


@editors.command("hash")
@click.argument("name")
@click.option("--token", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The editor's secret token (asked for when not given, without echo).")
def hash_token(name: str, token: str) -> None:
    """Print the QA_ADMIN_TOKENS line for the editor NAME: the name and the SHA-256 of the token, never the token."""
    if not NAME_PATTERN.fullmatch(name):
        raise click.ClickException("a name is 1 to 64 letters, digits, spaces or ._@+-")
    if len(token) < MIN_ADMIN_TOKEN_CHARS:
        raise click.ClickException(f"a token must be at least {MIN_ADMIN_TOKEN_CHARS} characters long (for example: "
                                   "python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    click.echo(f"{name}:{token_hash(token)}")


def main(prog_name: str = "qa-service") -> None:
    FlaskGroup(create_app=app_for_commands, help="The quoting question-answering service.")(prog_name=prog_name)


def app_for_commands():
    """The app, or a setting it cannot use said in one line ("Error: QA_CORPUS=… does not exist…", exit 1) rather
    than as a traceback."""
    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
