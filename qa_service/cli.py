"""The command line: the `corpus` group (list, add, remove and check documents) and `main`, the `qa-service`
command (`python -m qa_service` too), which is Flask's command line for this app with that group in it."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, FlaskGroup

from . import create_app, formats
from .documents import DocumentRejected
from .state import store
from .store import UnknownDocument

corpus = AppGroup("corpus", help="List, add, remove and check the documents of the store the service reads "
                  "(the QA_CORPUS folder, or PostgreSQL when DATABASE_URL is set).")


@corpus.command("list")
def list_documents() -> None:
    """Print every document served: id, format, version and title."""
    documents, skipped = store().load()
    for document in sorted(documents, key=lambda d: d.id):
        click.echo(f"{document.id}\t{document.format}\t{document.version}\t{document.title}")
    click.echo(f"{len(documents)} documents in {store()!r}" + (f", {len(skipped)} skipped (see 'corpus check')"
                                                                if skipped else ""), err=True)


@corpus.command("add", help=f"Add FILE ({formats.file_kinds()}) to the corpus, or replace the document with "
                "the same id.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "doc_id", help="The document's id (default: the file name without its extension).")
@click.option("--title", help="The document's title (default: taken from the document).")
def add_document(file: Path, doc_id: str | None, title: str | None) -> None:
    fmt = formats.of_file(file)
    if fmt is None:
        raise click.ClickException(f"{file.name}: not a {formats.file_kinds()} file")
    try:
        written = store().put(doc_id or file.stem, file.read_bytes(), fmt.name, title)
    except DocumentRejected as error:
        raise click.ClickException(str(error)) from None
    document = written.document
    click.echo(f"{'added' if written.created else 'replaced'} {document.id} (version {document.version}): "
               f"{document.title}")


@corpus.command("remove")
@click.argument("doc_id", metavar="ID")
def remove_document(doc_id: str) -> None:
    """Remove the document ID from the corpus."""
    try:
        store().delete(doc_id)
    except UnknownDocument:
        raise click.ClickException(f"no document with the id {doc_id!r}") from None
    except DocumentRejected as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"removed {doc_id}")


@corpus.command("check")
def check_documents() -> None:
    """Report every file (or stored document) that is not served, and why; exit with 1 if there is one."""
    documents, skipped = store().load()
    for item in skipped:
        click.echo(f"{item.name}\t{item.reason}\t{item.message}")
    click.echo(f"{len(documents)} documents served, {len(skipped)} skipped", err=True)
    if skipped:
        raise SystemExit(1)


def main(prog_name: str = "qa-service") -> None:
    FlaskGroup(create_app=create_app, help="The quoting question-answering service.")(prog_name=prog_name)
