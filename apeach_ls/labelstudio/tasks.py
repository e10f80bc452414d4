"""Adding tasks to a project once: what is already there, and batched imports.

Exactly once. The SDK retries a request that got a 5xx answer or lost its connection; for
an import that already stored its batch, the retry stores it again. So imports go out with
the SDK's retries off, and a failed batch is handled here:

* Label Studio answered 500 or 429: the request is over (stored or not). With a ``key``
  (a data field unique per task) the project is read again and only the tasks it lacks are
  sent, up to ``ATTEMPTS`` times in all;
* anything else (a timeout, a dropped connection, a proxy's 502-504): Label Studio may
  still be storing the batch, so nothing is sent again; the run stops with a message that
  running it again is safe, because every run reads what the project has first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from ..errors import LabelStudioError
from .connection import describe_api_error

NO_SDK_RETRIES = {"max_retries": 0}
ATTEMPTS = 3
RETRY_WAIT = 1.0  # seconds before reading the project again (doubled each time)
ANSWERED = frozenset({429, 500})  # statuses after which the request is known to be over


def task_data_values(client: LabelStudio, project_id: int, key: str, what: str) -> set[Any]:
    """``data[key]`` of every task in the project (empty values left out): the keys of the
    tasks already imported, so that a re-run adds only the rest."""
    try:
        tasks: Iterable[Any] = client.tasks.list(
            project=project_id, fields="task_only", page_size=1000
        )
        return {value for t in tasks if (value := (t.data or {}).get(key)) not in (None, "")}
    except Exception as exc:
        raise describe_api_error(exc, f"listing {what} of project {project_id}") from exc


def task_data(client: LabelStudio, project_id: int, what: str) -> list[dict[str, Any]]:
    """The ``data`` of every task in the project (one listing)."""
    try:
        tasks: Iterable[Any] = client.tasks.list(
            project=project_id, fields="task_only", page_size=1000
        )
        return [dict(t.data or {}) for t in tasks]
    except Exception as exc:
        raise describe_api_error(exc, f"listing {what} of project {project_id}") from exc


def import_in_batches(
    client: LabelStudio,
    project_id: int,
    tasks: Sequence[dict[str, Any]],
    batch_size: int,
    what: str,
    progress: Callable[[int], None] = lambda n: None,
    key: str | None = None,
) -> None:
    """Import ``tasks`` ``batch_size`` at a time, each batch exactly once (see module doc):
        an interrupted run leaves whole batches; ``progress`` gets the size of each one stored.
    ``key``: the data field that identifies a task,
        to check a failed batch against the project."""
    for start in range(0, len(tasks), batch_size):
        batch = list(tasks[start : start + batch_size])
        _import_once(
            client,
            project_id,
            batch,
            key,
            what,
            f"importing {what} {start + 1}-{start + len(batch)}",
        )
        progress(len(batch))


def _import_once(
    client: LabelStudio,
    project_id: int,
    batch: list[dict[str, Any]],
    key: str | None,
    what: str,
    doing: str,
) -> None:
    todo = batch
    for attempt in range(ATTEMPTS):
        try:
            client.projects.import_tasks(
                id=project_id, request=todo, return_task_ids=True, request_options=NO_SDK_RETRIES
            )  # type: ignore[arg-type]
            return
        except Exception as exc:
            error = exc
        if key is None or not (isinstance(error, ApiError) and error.status_code in ANSWERED):
            break
        time.sleep(RETRY_WAIT * 2**attempt)
        have = {str(value) for value in task_data_values(client, project_id, key, what)}
        todo = [task for task in todo if str(task["data"][key]) not in have]
        if not todo:
            return
    described = describe_api_error(error, doing)
    raise LabelStudioError(
        f"{described}; run the command again once Label Studio is reachable: tasks it already "
        "has are not added twice"
    ) from error
