"""Publishing the index again, in a process of its own, once the writes since the last publication would slow a start.

A start loads the newest published index and analyses the documents written since (LiveCorpus); a serving process
never publishes what writes changed in its own interpreter, since publishing holds it for seconds at a million passages
and would stall its answers. A service that takes writes for weeks would then make every restart, and every new host,
analyse weeks of writes. So each serving process counts the seconds it spent analysing written documents since it
started or last had the index published; past `after_seconds` it runs `qa-service corpus publish` as a child process
at a lower CPU priority, and counts again from zero. The child starts from the newest publication, analyses what was
written since (what the count measured), and publishes. A start that updated an older publication hands its
publication to such a child too, rather than holding the first answer for it (at a million passages, writing the
snapshot is 7 of a 13 s restart).

One publication at a time per cache folder: the child holds `PUBLISHING_LOCK` there (flock, let go by the kernel when
the child ends however it ends). The process that starts it takes the lock first and hands it over, so the other
workers, which count the same writes and cross the same mark, find it held and count again from zero instead of
starting a second child.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

PUBLISHING_LOCK = "publishing.lock"
# The child's CPU priority below the workers' (nice), so that answers come first on a busy host.
CHILD_NICENESS = 10


def held_lock(folder: Path) -> int | None:
    """An open handle of the folder's publishing lock, held; None when another process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / PUBLISHING_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    return handle


class Republisher:
    """Counts the seconds spent analysing written documents, and past `after_seconds` (0: never) publishes the index
    in a child process (`command`, run with `environment`) holding the cache `folder`'s publishing lock."""

    def __init__(self, after_seconds: float, folder: Path, environment: Mapping[str, str],
                 command: list[str] | None = None):
        self.after_seconds = after_seconds
        self.folder = folder
        self.environment = dict(environment)
        self.command = command or [sys.executable, "-m", "qa_service", "corpus", "publish"]
        self.owed_seconds = 0.0
        self._lock = threading.Lock()
        self.child: subprocess.Popen | None = None

    @property
    def enabled(self) -> bool:
        return self.after_seconds > 0

    def analysed(self, seconds: float) -> None:
        """Count `seconds` of analysis a start would repeat; start a publication when they add up to enough."""
        if not self.enabled:
            return
        with self._lock:
            self.owed_seconds += seconds
            if self.owed_seconds >= self.after_seconds:
                owed, self.owed_seconds = self.owed_seconds, 0.0
                self._start(f"{owed:.1f} s of analysis since the last publication")

    def publish(self, why: str) -> None:
        """Start a publication now, unless one is under way (a start that updated an older publication serves at
        once and has the child publish what it updated)."""
        with self._lock:
            self.owed_seconds = 0.0
            self._start(why)

    def _start(self, why: str) -> None:
        try:
            handle = held_lock(self.folder)
        except OSError as exc:  # a cache folder that cannot be written: the writes that counted were served anyway
            log.warning("cannot publish the index in the background: %s", exc)
            return
        if handle is None:
            log.info("the writes since the last publication are being published by another process")
            return
        try:
            self.child = subprocess.Popen(self.command, env=self.environment, pass_fds=(handle,),
                                          stdin=subprocess.DEVNULL)
        except OSError:
            log.exception("cannot start publishing the index in the background")
            return
        finally:
            # The child holds the lock through its copy of the handle, until it ends.
            os.close(handle)
        with contextlib.suppress(OSError):  # it then runs at the workers' priority, which only costs answers time
            os.setpriority(os.PRIO_PROCESS, self.child.pid, CHILD_NICENESS)
        log.info("publishing the index in the background (process %d): %s", self.child.pid, why)
        threading.Thread(target=self._reap, args=(self.child,), name="republisher", daemon=True).start()

    @staticmethod
    def _reap(child: subprocess.Popen) -> None:
        returncode = child.wait()
        if returncode:
            log.warning("publishing the index in the background (process %d) failed with status %d", child.pid,
                        returncode)
        else:
            log.info("published the index in the background (process %d)", child.pid)
