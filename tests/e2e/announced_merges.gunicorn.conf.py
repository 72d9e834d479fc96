"""Gunicorn settings for the test of a worker killed during a merge: the Procfile's own (gunicorn.conf.py), and in
each worker a merge that first leaves a file named after the worker's pid in $MERGE_ANNOUNCEMENTS, then takes long
enough for the test to kill the worker in the middle of it."""

import os
import time
from pathlib import Path

_PROCFILE_SETTINGS = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
exec(compile(_PROCFILE_SETTINGS.read_text(), str(_PROCFILE_SETTINGS), "exec"))  # noqa: S102 - the repository's own
_procfile_post_fork = post_fork  # noqa: F821 - defined by the settings just run

MERGE_SECONDS = 3.0


def post_fork(server, worker):
    _procfile_post_fork(server, worker)
    from qa_service.index import Index

    merged = Index.merged

    def announced(index, numbers):
        Path(os.environ["MERGE_ANNOUNCEMENTS"], str(os.getpid())).touch()
        time.sleep(MERGE_SECONDS)
        return merged(index, numbers)

    Index.merged = announced
