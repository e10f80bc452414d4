"""Adding tasks to a project once: what is already there, and batched imports."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from label_studio_sdk import LabelStudio

from .connection import describe_api_error


def task_data_values(client: LabelStudio, project_id: int, key: str, what: str) -> set[Any]:
    """``data[key]`` of every task in the project (empty values left out): the keys of the
    tasks already imported, so that a re-run adds only the rest."""
    try:
        tasks: Iterable[Any] = client.tasks.list(project=project_id, fields="task_only", page_size=1000)
        return {value for t in tasks if (value := (t.data or {}).get(key)) not in (None, "")}
    except Exception as exc:
        raise describe_api_error(exc, f"listing {what} of project {project_id}") from exc


def import_in_batches(client: LabelStudio, project_id: int, tasks: Sequence[dict[str, Any]], batch_size: int,
                      what: str, progress: Callable[[int], None] = lambda n: None,
                      after_batch: Callable[[], None] = lambda: None) -> None:
    """Import ``tasks`` ``batch_size`` at a time: an interrupted run leaves whole batches."""
    for start in range(0, len(tasks), batch_size):
        batch = list(tasks[start:start + batch_size])
        try:
            client.projects.import_tasks(id=project_id, request=batch, return_task_ids=True)
        except Exception as exc:
            raise describe_api_error(exc, f"importing {what} {start + 1}-{start + len(batch)}") from exc
        progress(len(batch))
        after_batch()
