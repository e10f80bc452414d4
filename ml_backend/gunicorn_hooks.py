"""gunicorn server hooks (``--config python:apeach_ls.ml_backend.gunicorn_hooks``, which
:func:`apeach_ls.ml_backend.serving.gunicorn_argv` passes): the metrics directory of one run.

``prometheus_client``'s multiprocess mode needs a directory that the workers share and that
no earlier run has written to (:mod:`apeach_ls.ml_backend.metrics`). Before the workers start,
the master makes a fresh one and names it in PROMETHEUS_MULTIPROC_DIR (the workers inherit
it; one set by the operator is replaced, since an old run's files would add up with this
one's); the figures of a worker that exits are marked dead, so live gauges drop it; the
directory is removed when gunicorn exits.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_made: list[str] = []


def on_starting(server: Any) -> None:
    directory = tempfile.mkdtemp(prefix="apeach-ml-metrics-")
    _made.append(directory)
    os.environ[MULTIPROCESS_DIR] = directory
    server.log.info("metrics of this run's workers: %s", directory)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, os.environ.get(MULTIPROCESS_DIR))


def on_exit(server: Any) -> None:
    for directory in _made:
        shutil.rmtree(directory, ignore_errors=True)
