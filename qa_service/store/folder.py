"""The folder store: each document a file in one folder, written atomically and durably."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import logging
import os
import stat
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .. import formats
from ..documents import ID_RULE, Document, DocumentRejected, is_valid_id, parse_document
from ..processes import map_on_processes
from . import base
from .journal import ChangeJournal, JournalPosition
from .view import StoreView

log = logging.getLogger(__name__)

# Every file name a document of some id can have, in the case the store writes: where a journalled id is looked for.
EXTENSIONS = tuple(extension for fmt in formats.FORMATS for extension in fmt.extensions)
# A folder modified this recently when it was listed may be modified again within the same tick of the file
# system's clock without its time moving (git's "racy" files): it is listed again at the next look behind.
SETTLED_NS = 1_000_000_000
# The bytes of files one process must have to read for starting it to pay: reading (decoding, parsing HTML, cleaning)
# runs at about 3 MB a second on one core, and starting a process and importing the readers takes about 1.5 s.
MIN_BYTES_PER_READING_PROCESS = 8_000_000
FILES_PER_TASK = 16
# The UTC time a file was set aside, leading its name in the set-aside folder: what the history's expiry reads.
SET_ASIDE_STAMP = "%Y%m%dT%H%M%S.%fZ"


def change_line(change: base.Change) -> bytes:
    """One line of the folder's audit log."""
    return json.dumps({"id": change.doc_id, "action": change.action, "at": change.at.isoformat(), "by": change.by,
                       "from": change.from_version, "to": change.to_version}).encode("utf-8") + b"\n"


def read_file(path: Path, max_document_bytes: int) -> Document:
    """One corpus file as a document; raises DocumentRejected (too large, not UTF-8, no text, ...)."""
    fmt = formats.of_file(path)
    if fmt is None:
        raise DocumentRejected(f"{path.name}: not a {formats.file_kinds()} file", "format")
    size = path.stat().st_size
    if size > max_document_bytes:
        raise DocumentRejected(f"{path.name}: {size} bytes is over the limit of {max_document_bytes} bytes",
                               "too_large")
    raw = path.read_bytes()
    title, body = (None, raw) if fmt.binary else base.split_title_line(raw)
    return parse_document(path.stem, body, fmt.name, title, source=path.name)


def read_in_process(path: Path, max_document_bytes: int) -> Document | tuple[str, str] | None:
    """A file read in a reading process: its document, a rejection as (message, reason) (pickling an exception
    keeps only its message), or None when it cannot be read now."""
    try:
        return read_file(path, max_document_bytes)
    except DocumentRejected as exc:
        return str(exc), exc.reason
    except OSError:
        return None


class FolderStore(base.DocumentStore):
    """Documents as files in one folder; a document's id is its file name without the extension.

    Writers take an exclusive lock on `.qa-lock` in the folder (so processes take turns), write a temporary file
    beside the target, fsync it, rename it into place and fsync the folder; then they replace `.qa-version`, a
    marker that readers compare on every request. Readers take the shared lock while loading.

    The history lives in `.qa-history/` beside the documents (hidden, so never served): each kept version as
    `documents/<id>/<version>.source` (the file as it was) and `<version>.json` (format, title, size, when, by
    whom, when replaced); the audit log as `changes.jsonl`, one JSON object a line, appended in time order.
    """

    LOCK_NAME = ".qa-lock"
    MARKER_NAME = ".qa-version"
    TEMPORARY_PREFIX = ".qa-tmp-"
    HISTORY_NAME = ".qa-history"
    JOURNAL_NAME = ".qa-journal"

    def __init__(self, folder: Path, max_document_bytes: int, history_days: float = 30.0, reading_processes: int = 1):
        self.folder = Path(folder)
        self.max_document_bytes = max_document_bytes
        self.history_days = history_days
        # A look that must read many files (a cold start) reads them on up to this many processes.
        self.reading_processes = reading_processes
        # The view: what this handle last saw in the folder (changes_since). Each file by name: its status (size,
        # modification time, inode) and what it reads as (None: not read yet); the names of each stem; when the
        # folder was last listed (its modification time then, and whether that was old enough to trust).
        self._view = StoreView()
        self._view_lock = threading.Lock()
        self._files: dict[str, tuple[tuple, Document | DocumentRejected | None]] = {}
        self._names_of: dict[str, set[str]] = {}
        self._folder_listed: tuple[int | None, bool] | None = None
        self._journal = ChangeJournal(self.folder / self.JOURNAL_NAME, self.TEMPORARY_PREFIX)
        self._journal_position: JournalPosition | None = None  # None: the folder was never scanned
        self._scanned_at: int | None = None  # when the last scan of the whole folder began (time.time_ns)

    @property
    def history_folder(self) -> Path:
        return self.folder / self.HISTORY_NAME

    @property
    def changes_file(self) -> Path:
        return self.history_folder / "changes.jsonl"

    @property
    def set_aside_folder(self) -> Path:
        return self.history_folder / "set-aside"

    def versions_folder(self, doc_id: str) -> Path:
        return self.history_folder / "documents" / doc_id

    def __repr__(self) -> str:
        return f"FolderStore({str(self.folder)!r})"

    # reading

    @staticmethod
    def is_corpus_name(name: str) -> bool:
        """Whether a file of this name in the folder is a document: not the store's own (hidden) and of a format."""
        return not name.startswith(".") and formats.of_file(Path(name)) is not None

    def files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted((entry for entry in self.folder.iterdir() if entry.is_file() and self.is_corpus_name(entry.name)),
                      key=lambda p: p.name)

    def not_documents(self) -> list[base.SkippedFile]:
        found = []
        for entry in sorted(self.folder.iterdir() if self.folder.is_dir() else (), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue  # the store's own files, and what their owners hid
            if entry.is_dir():
                found.append(base.SkippedFile(f"{entry.name}/", "folder", f"{entry.name}/: a folder; only the files "
                                              "directly in the corpus folder are documents"))
            elif not entry.exists():
                found.append(base.SkippedFile(entry.name, "broken_link", f"{entry.name}: a link to nothing"))
            elif not self.is_corpus_name(entry.name):
                found.append(base.SkippedFile(entry.name, "other_kind", f"{entry.name}: not a "
                                              f"{formats.file_kinds()} file"))
        return found

    def marker(self) -> str:
        """What the last write through a store left in the marker file: one small read, done on every request."""
        try:
            return (self.folder / self.MARKER_NAME).read_text(encoding="ascii")
        except (FileNotFoundError, NotADirectoryError):
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            raise base.StoreUnavailable(f"cannot read {self.folder / self.MARKER_NAME}: {exc}") from exc

    def load(self) -> tuple[list[Document], list[base.SkippedFile]]:
        """Every readable document in the order of their ids, and every file skipped with the reason; a bad file is
        logged, never fatal.

        A file whose name, size, modification time and inode are unchanged since this handle last looked is not
        read again.
        """
        with self._view_lock:
            with self._lock(fcntl.LOCK_SH):
                self._scan()
            return sorted(self._view.documents.values(), key=lambda d: d.id), list(self._view.skipped())

    def changes_since(self, position: object | None, look_behind: bool = False) -> base.StoreChanges:
        """The documents changed since the position: the ids that writes through any FolderStore (in any process)
        appended to the change journal since this handle last read it are looked at again, and nothing else. With
        `look_behind`, also files changed by hand: every known file is stat-ed, and the folder listed again only
        when its modification time moved (a file added, removed or renamed into place), or was too recent to trust
        when it was last listed."""
        with self._view_lock:
            with self._lock(fcntl.LOCK_SH):
                written = (self._journal.read_from(self._journal_position) if self._journal_position is not None
                           else None)
                if written is None:
                    self._scan()
                else:
                    ids, self._journal_position = written
                    self._look_again_at(ids)
                    if look_behind:
                        self._look_again(list_names=False)
            return self._view.changes_since(position)

    def lasting_position(self) -> dict | None:
        """The folder (its path and identity) and, for each file served, its size, modification time, inode and the
        version it was read as. Only files last modified well before the folder's last scan are named: one modified
        within the file system's clock tick of its stat could change again without its status moving, so it is
        read again at the next start."""
        with self._view_lock:
            folder = self._identity()
            if self._scanned_at is None or folder is None:
                return None
            settled_before = self._scanned_at - SETTLED_NS
            files = {name: [*key, outcome.version] for name, (key, outcome) in self._files.items()
                     if isinstance(outcome, Document) and self._view.documents.get(outcome.id) is outcome
                     and key[1] < settled_before}
            return {"store": "folder", "folder": folder, "files": files}

    def resume(self, position: dict, documents: Iterable[Document]) -> bool:
        """Take each file the position names as read, as the document of that id and version among `documents`,
        until its status moves: the next look at the folder (a scan: every file stat-ed, the folder listed) reads
        only the files added, changed (through the store or by hand) or not named, and finds those removed."""
        with self._view_lock:
            if self._journal_position is not None or self._files:
                return False
            try:
                if position["store"] != "folder" or position["folder"] != self._identity():
                    return False
                recorded = {name: ((size, mtime, inode), version)
                            for name, (size, mtime, inode, version) in position["files"].items()}
            except (KeyError, TypeError, ValueError, AttributeError):
                log.warning("ignoring a saved position of %s that is not one of this code", self)
                return False
            served = {document.id: document for document in documents}
            for name, (key, version) in recorded.items():
                document = served.get(Path(name).stem)
                if document is not None and document.version == version:
                    self._files[name] = (key, document)
                    self._names_of.setdefault(document.id, set()).add(name)
                    self._view.set(document.id, document)
            return True

    def _identity(self) -> list | None:
        """The folder's path, device and inode: a position saved for another folder (or this path's folder made
        anew) is not taken up."""
        try:
            status = os.stat(self.folder)
        except OSError:
            return None
        return [str(self.folder.resolve()), status.st_dev, status.st_ino]

    # the view: what this handle last saw in the folder; callers hold _view_lock and the folder's shared lock

    def _scan(self) -> None:
        """Look at every file of the folder, and read the journal from here on."""
        self._journal_position = self._journal.end()
        self._scanned_at = time.time_ns()
        self._look_again(list_names=True)

    def _look_again(self, list_names: bool) -> None:
        """Stat every known file, and list the folder's names too when asked, or when the folder's modification
        time moved or was too recent to trust when it was last listed."""
        try:
            folder_time = os.stat(self.folder).st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):
            folder_time = None
        names = set(self._files)
        if list_names or self._folder_listed != (folder_time, True):
            listed_at = time.time_ns()
            names.update(self._listed_names())
            self._folder_listed = (folder_time, folder_time is not None and folder_time < listed_at - SETTLED_NS)
        self._settle(self._restat(names))

    def _look_again_at(self, ids: list[str]) -> None:
        """Look again at the files that hold, or could hold, these ids."""
        names = set()
        for doc_id in set(ids):
            names.update(self._names_of.get(doc_id, ()))
            names.update(doc_id + extension for extension in EXTENSIONS)
        self._settle(self._restat(names))

    def _listed_names(self) -> list[str]:
        try:
            with os.scandir(self.folder) as entries:
                return [entry.name for entry in entries if self.is_corpus_name(entry.name)]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def _restat(self, names: set[str]) -> set[str]:
        """The stems (ids) whose files changed among these names, the view's files brought up to date; a file never
        read whole (unreadable, or not needed yet) counts as changed, so that it is tried again."""
        changed = set()
        try:
            folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        except (FileNotFoundError, NotADirectoryError):
            folder = None
        try:
            for name in names:
                key = self._status(folder, name)
                known = self._files.get(name)
                if key is None:
                    if known is not None:
                        stem = Path(name).stem
                        del self._files[name]
                        self._names_of[stem].discard(name)
                        if not self._names_of[stem]:
                            del self._names_of[stem]
                        changed.add(stem)
                elif known is None or known[0] != key:
                    stem = Path(name).stem
                    self._files[name] = (key, None)
                    self._names_of.setdefault(stem, set()).add(name)
                    changed.add(stem)
                elif known[1] is None:
                    changed.add(Path(name).stem)
        finally:
            if folder is not None:
                os.close(folder)
        return changed

    @staticmethod
    def _status(folder: int | None, name: str) -> tuple | None:
        """A file's size, modification time and inode; None when it is not a file (gone, or a folder)."""
        if folder is None:
            return None
        try:
            status = os.stat(name, dir_fd=folder)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (status.st_size, status.st_mtime_ns, status.st_ino) if stat.S_ISREG(status.st_mode) else None

    def _settle(self, stems: set[str]) -> None:
        """Work out again what each of these ids serves and skips, as a listing of the whole folder would."""
        self._read_ahead(stems)
        for stem in stems:
            served, served_name, skipped = None, None, []
            for name in sorted(self._names_of.get(stem, ())):
                if not is_valid_id(stem):
                    skipped.append(base.SkippedFile(name, "bad_id", f"{name}: the file name is no document id "
                                                    f"({ID_RULE}): rename the file"))
                elif served is not None:
                    skipped.append(base.SkippedFile(name, "duplicate_id", f"{name}: {served_name} is served under "
                                                    f"the id {stem!r} (the first readable file of an id, by name)"))
                else:
                    outcome = self._outcome(name)
                    if isinstance(outcome, Document):
                        served, served_name = outcome, name
                    elif isinstance(outcome, OSError):
                        skipped.append(base.SkippedFile(name, "unreadable", f"{name}: {outcome.strerror}"))
                    else:
                        skipped.append(base.SkippedFile(name, outcome.reason, str(outcome)))
            if tuple(skipped) != self._view.skipped_of(stem):
                for file in skipped:
                    log.warning("skipping corpus file: %s", file.message)
            self._view.set(stem, served, tuple(skipped))

    def _read_ahead(self, stems: set[str]) -> None:
        """Read the files these ids need on several processes when there are enough bytes of them to pay for
        starting those (a cold start), and keep what each reads as if it had been read here; a file that could
        not be read is left for _outcome to try again."""
        if self.reading_processes <= 1:
            return
        unread = sorted(name for stem in stems if is_valid_id(stem) for name in self._names_of.get(stem, ())
                        if self._files[name][1] is None)
        processes = min(self.reading_processes,
                        sum(self._files[name][0][0] for name in unread) // MIN_BYTES_PER_READING_PROCESS)
        if processes <= 1:
            return
        read = functools.partial(read_in_process, max_document_bytes=self.max_document_bytes)
        outcomes = map_on_processes(read, [self.folder / name for name in unread], processes, FILES_PER_TASK)
        for name, outcome in zip(unread, outcomes, strict=True):
            if outcome is not None:
                self._files[name] = (self._files[name][0],
                                     DocumentRejected(*outcome) if isinstance(outcome, tuple) else outcome)

    def _outcome(self, name: str) -> Document | DocumentRejected | OSError:
        """What a known file reads as, read once per status; a file that cannot be read now is tried again later."""
        key, outcome = self._files[name]
        if outcome is None:
            try:
                outcome = self.read(self.folder / name)
            except DocumentRejected as exc:
                outcome = exc
            except OSError as exc:
                return exc
            self._files[name] = (key, outcome)
        return outcome

    def read(self, path: Path) -> Document:
        """One corpus file as a document; raises DocumentRejected (too large, not UTF-8, no text, ...)."""
        return read_file(path, self.max_document_bytes)

    def document_files(self, doc_id: str) -> list[Path]:
        """The files that hold (or would hold) this id, in the order load() considers them; only their names are
        listed, and only they are stat-ed."""
        try:
            names = os.listdir(self.folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        # The prefix test first: a Path for each of a large folder's names would cost more than the listing.
        candidates = (self.folder / name for name in names
                      if name.startswith(doc_id) and Path(name).stem == doc_id and self.is_corpus_name(name))
        return sorted(path for path in candidates if path.is_file())

    def current(self, doc_id: str) -> Document | None:
        """The document served under this id, as load() would choose it, or None."""
        served = self._served_file(doc_id)
        return served[1] if served else None

    # writing

    def put(self, doc_id: str, raw: bytes, fmt: str, title: str | None = None,
            precondition: base.Precondition = base.UNCONDITIONAL, editor: str | None = None,
            action: str | None = None) -> base.Written:
        """Create or replace a document atomically and durably; nothing changes when it is rejected."""
        if formats.named(fmt) is not None and formats.named(fmt).binary and base.given_title(title) is not None:
            # A binary file is kept byte for byte, so there is no first line to hold a title in: it names its own.
            raise DocumentRejected(f"{doc_id}: a {fmt} document in a corpus folder takes its title from the file "
                                   "itself; send it without a title", "format")
        title, raw, document = base.prepare_write(doc_id, raw, fmt, title, self.max_document_bytes)
        stored = base.TITLE_LINE + title.encode("utf-8") + b"\n" + raw if title else raw
        with self._writing():
            previous_file = self._served_file(doc_id)
            previous = previous_file[1] if previous_file else None
            precondition.check(doc_id, previous)
            self._journal_intent(doc_id)
            self._remove_temporary_files()
            now = datetime.now(UTC)
            # Kept before the document changes: a file written by hand, or one whose write was killed before its
            # history was, is in the history before anything replaces it.
            if previous_file is not None:
                self._keep_version(*previous_file, stored_by=None, replaced_at=None, only_if_missing=True)
            served_path = previous_file[0] if previous_file else None
            target = self.folder / f"{doc_id}{formats.named(fmt).extensions[0]}"
            set_aside = [self._set_aside(target, now)] if target.is_file() and target != served_path else []
            self._write_file(target, stored)
            # Only now that the new file is in place: a crash before this line leaves the old one whole.
            for other in self.document_files(doc_id):
                if other == target:
                    continue
                if other == served_path:
                    other.unlink()  # its version is in the history
                else:
                    set_aside.append(self._set_aside(other, now))
            self._sync_folder()
            if previous is not None and previous.version != document.version:
                self._mark_replaced(doc_id, previous.version, now)
            self._keep_version(target, document, stored_by=editor, replaced_at=None, stored_at=now)
            self._append_change(base.Change(doc_id, base.write_action(action, previous), now, editor,
                                       previous.version if previous else None, document.version))
            self._drop_expired(now)
            self._journal.append(doc_id)
            self._advance_marker()
        return base.Written(document, created=previous is None, set_aside=tuple(set_aside))

    def delete(self, doc_id: str, precondition: base.Precondition = base.UNCONDITIONAL,
               editor: str | None = None) -> tuple[str, ...]:
        """Remove a document: every file holding its id, the served one into the history, the others (skipped as
        unreadable, too large, or a second file of the id) set aside."""
        base.check_id(doc_id)
        with self._writing():
            files = self.document_files(doc_id)
            previous_file = self._served_file(doc_id)
            previous = previous_file[1] if previous_file else None
            if previous is None and not files:
                raise base.UnknownDocument(doc_id)
            precondition.check(doc_id, previous)
            self._journal_intent(doc_id)
            now = datetime.now(UTC)
            if previous_file is not None:
                self._keep_version(*previous_file, stored_by=None, replaced_at=None, only_if_missing=True)
            served_path = previous_file[0] if previous_file else None
            set_aside = []
            for path in files:
                if path == served_path:
                    path.unlink()  # its version is in the history
                else:
                    set_aside.append(self._set_aside(path, now))
            self._sync_folder()
            if previous is not None:
                self._mark_replaced(doc_id, previous.version, now)
            self._append_change(base.Change(doc_id, "delete", now, editor, previous.version if previous else None,
                                            None))
            self._drop_expired(now)
            self._journal.append(doc_id)
            self._advance_marker()
        return tuple(set_aside)

    def _set_aside(self, path: Path, now: datetime) -> str:
        """Move a file holding an id that is not served (the service could not read it, or another file of the id is
        served) out of the corpus into the history's set-aside folder, named by the time and its own name: a write
        that replaces or removes the id never deletes what someone put in the folder. Kept as long as the history
        keeps replaced versions; returns where it went, relative to the corpus folder."""
        self.set_aside_folder.mkdir(parents=True, exist_ok=True)
        target = self.set_aside_folder / f"{now.strftime(SET_ASIDE_STAMP)}-{path.name}"
        os.replace(path, target)
        where = str(target.relative_to(self.folder))
        log.warning("%s: set aside as %s (it was not served, and a write to its id replaced or removed it)",
                    path.name, where)
        return where

    def _journal_intent(self, doc_id: str) -> None:
        """Journal the id before its files change, as well as after: a writer killed in between (its file in place,
        its last journal line never written) still names the id for the readers that look at the next change. A
        reader that reads the id before the files change reads it again at the line after."""
        self._journal.append(doc_id)

    # history

    def _served_file(self, doc_id: str) -> tuple[Path, Document] | None:
        """The file served under this id and its document, as load() would choose it, or None."""
        for path in self.document_files(doc_id):
            try:
                return path, self.read(path)
            except (DocumentRejected, OSError):
                continue
        return None

    def _keep_version(self, path: Path, document: Document, stored_by: str | None, replaced_at: datetime | None,
                      stored_at: datetime | None = None, only_if_missing: bool = False) -> None:
        folder = self.versions_folder(document.id)
        metadata = folder / f"{document.version}.json"
        if only_if_missing and metadata.exists():
            return
        if stored_at is None:
            stored_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        folder.mkdir(parents=True, exist_ok=True)
        # The source first: a version is in the history once its metadata is, and then its source is whole.
        self._write_file(folder / f"{document.version}.source", path.read_bytes())
        self._write_file(metadata, json.dumps({
            "format": document.format,
            "title": document.title,
            "size": len(document.text.encode("utf-8")),
            "stored_at": stored_at.isoformat(),
            "stored_by": stored_by,
            "replaced_at": replaced_at.isoformat() if replaced_at else None,
        }).encode("utf-8"))
        self._sync(folder)

    def _mark_replaced(self, doc_id: str, version: str, when: datetime) -> None:
        metadata = self.versions_folder(doc_id) / f"{version}.json"
        try:
            kept = json.loads(metadata.read_bytes())
        except FileNotFoundError:
            return
        self._write_file(metadata, json.dumps({**kept, "replaced_at": when.isoformat()}).encode("utf-8"))
        self._sync(metadata.parent)

    def _append_change(self, change: base.Change) -> None:
        self.history_folder.mkdir(parents=True, exist_ok=True)
        # One write of one line with O_APPEND; a writer killed half-way leaves a partial last line, which
        # changes() skips (and the line break in front keeps it off the next line).
        with open(self.changes_file, "ab") as file:
            file.write(b"\n" + change_line(change))
            file.flush()
            os.fsync(file.fileno())

    def _stored_version(self, doc_id: str, metadata: Path) -> base.StoredVersion | None:
        try:
            kept = json.loads(metadata.read_bytes())
            return base.StoredVersion(doc_id, metadata.stem, kept["format"], kept["title"], kept["size"],
                                 datetime.fromisoformat(kept["stored_at"]), kept["stored_by"],
                                 datetime.fromisoformat(kept["replaced_at"]) if kept["replaced_at"] else None)
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("skipping unreadable history entry %s", metadata)
            return None

    def versions(self, doc_id: str) -> list[base.StoredVersion]:
        base.check_id(doc_id)
        folder = self.versions_folder(doc_id)
        kept = [self._stored_version(doc_id, metadata) for metadata in folder.glob("*.json")] if folder.is_dir() else []
        kept = [v for v in kept if v is not None]
        served = self._served_file(doc_id)
        # A document no write has replaced yet (the seed corpus, a file added by hand) is its own first version.
        if served is not None and all(v.version != served[1].version for v in kept):
            kept.append(self._served_version(*served))
        return sorted(kept, key=lambda v: v.stored_at, reverse=True)

    @staticmethod
    def _served_version(path: Path, document: Document) -> base.StoredVersion:
        return base.StoredVersion(document.id, document.version, document.format, document.title,
                             len(document.text.encode("utf-8")), datetime.fromtimestamp(path.stat().st_mtime, UTC),
                             None, None)

    def version(self, doc_id: str, version: str) -> base.VersionSource:
        base.check_id(doc_id)
        metadata = self.versions_folder(doc_id) / f"{version}.json"
        stored = self._stored_version(doc_id, metadata) if is_valid_id(version) and metadata.exists() else None
        source = metadata.parent / f"{version}.source"
        if stored is None:
            served = self._served_file(doc_id)
            if served is None or served[1].version != version:
                raise base.UnknownVersion(f"{doc_id}: no version {version!r} is kept")
            stored, source = self._served_version(*served), served[0]
        try:
            raw = source.read_bytes()
        except FileNotFoundError:
            raise base.UnknownVersion(f"{doc_id}: the source of version {version!r} is missing") from None
        title, body = base.split_title_line(raw)
        return base.VersionSource(stored, body, title, parse_document(doc_id, body, stored.format, title))

    def changes(self, doc_id: str | None = None, limit: int | None = None) -> list[base.Change]:
        try:
            lines = self.changes_file.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        found = []
        for line in reversed(lines):
            try:
                entry = json.loads(line)
                change = base.Change(entry["id"], entry["action"], datetime.fromisoformat(entry["at"]), entry["by"],
                                entry["from"], entry["to"])
            except (ValueError, KeyError, TypeError):
                continue  # a blank line, or the partial last line of a writer that was killed
            if doc_id is None or change.doc_id == doc_id:
                found.append(change)
                if limit is not None and len(found) >= limit:
                    break
        return found

    def purge_history(self, before: datetime) -> int:
        with self._writing():
            return self._drop_expired_before(before)

    def _drop_expired(self, now: datetime) -> None:
        self._drop_expired_before(now - timedelta(days=self.history_days))

    def _drop_expired_before(self, before: datetime) -> int:
        dropped = 0
        documents = self.history_folder / "documents"
        for folder in (documents.iterdir() if documents.is_dir() else ()):
            for metadata in folder.glob("*.json"):
                stored = self._stored_version(folder.name, metadata)
                if stored is not None and stored.replaced_at is not None and stored.replaced_at < before:
                    metadata.unlink()
                    (folder / f"{metadata.stem}.source").unlink(missing_ok=True)
                    dropped += 1
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when it is empty
        for path in (self.set_aside_folder.iterdir() if self.set_aside_folder.is_dir() else ()):
            try:
                set_aside_at = datetime.strptime(path.name.split("-", 1)[0], SET_ASIDE_STAMP).replace(tzinfo=UTC)
            except ValueError:
                continue  # not a name this store gave: someone's own file, left alone
            if set_aside_at < before:
                path.unlink()
                dropped += 1
        logged = self.changes()
        kept = [c for c in reversed(logged) if c.at >= before]
        if len(kept) < len(logged):
            self._write_file(self.changes_file, b"".join(map(change_line, kept)))
        return dropped

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The folder's write lock; a folder that cannot be written (read-only, full, gone) is an unavailable store."""
        try:
            with self._lock(fcntl.LOCK_EX, create=True):
                yield
        except OSError as exc:
            raise base.StoreUnavailable(
                f"cannot write to the corpus folder {self.folder}: {exc.strerror or exc}") from exc

    @contextlib.contextmanager
    def _lock(self, kind: int, create: bool = False) -> Iterator[None]:
        """Hold the folder's lock file; a reader of a folder it cannot write to goes without (no writer can)."""
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.folder / self.LOCK_NAME, os.O_RDWR | os.O_CREAT if create else os.O_RDONLY,
                                 0o644)
        except OSError as exc:
            if create or exc.errno not in (errno.ENOENT, errno.EACCES, errno.EROFS, errno.ENOTDIR):
                raise
            yield
            return
        try:
            fcntl.flock(descriptor, kind)
            yield
        finally:
            os.close(descriptor)

    def _write_file(self, target: Path, content: bytes) -> None:
        temporary = self.folder / f"{self.TEMPORARY_PREFIX}{uuid.uuid4().hex}"
        try:
            with open(temporary, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _sync_folder(self) -> None:
        self._sync(self.folder)

    @staticmethod
    def _sync(folder: Path) -> None:
        # A rename is durable only once the folder's own entry list is on disk.
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _advance_marker(self) -> None:
        self._write_file(self.folder / self.MARKER_NAME, uuid.uuid4().hex.encode("ascii"))
        self._sync_folder()

    def _remove_temporary_files(self) -> None:
        # Left by a writer that was killed; no other writer can be running while we hold the lock.
        with os.scandir(self.folder) as entries:
            leftovers = [entry.path for entry in entries if entry.name.startswith(self.TEMPORARY_PREFIX)]
        for leftover in leftovers:
            Path(leftover).unlink(missing_ok=True)

    def sources(self) -> Iterator[tuple[str, bytes, str]]:
        """(id, raw source, format) of every file load() serves: what a PostgreSQL store is seeded with."""
        documents, _ = self.load()
        served = {d.id for d in documents}
        for path in self.files():
            if path.stem in served:
                served.discard(path.stem)
                yield path.stem, path.read_bytes(), formats.of_file(path).name
