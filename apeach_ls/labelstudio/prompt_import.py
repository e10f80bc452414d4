"""Importing writing tasks (prompts) into the generation project without duplicates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from label_studio_sdk import LabelStudio

from ..prompts import Prompt, missing_tasks
from .tasks import import_in_batches, task_data_values

BATCH = 500


@dataclass(frozen=True)
class ImportReport:
    added: int
    already_there: int


def import_prompts(
    client: LabelStudio,
    project_id: int,
    prompts: Sequence[Prompt],
    per_topic: int,
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Make sure every topic has ``per_topic`` writing tasks; add only the missing ones.

    Tasks are imported in batches, each exactly once (``tasks.import_in_batches``); an
    interrupted run leaves whole batches, and a re-run adds the rest (each task's
    ``prompt_id`` is checked against the project first).
    """
    have = {str(v) for v in task_data_values(client, project_id, "prompt_id", "tasks")}
    todo = missing_tasks(prompts, per_topic, have)
    wanted = {f"{p.key}-{n:04d}" for p in prompts for n in range(1, per_topic + 1)}
    import_in_batches(
        client,
        project_id,
        [{"data": data} for data in todo],
        BATCH,
        "tasks",
        progress,
        key="prompt_id",
    )
    return ImportReport(added=len(todo), already_there=len(wanted & have))
