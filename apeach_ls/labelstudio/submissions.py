"""Reading writers' submissions from the generation project, corrected to their intent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from label_studio_sdk import LabelStudio

from ..correction import (
    CorrectedSubmission,
    IncompleteSubmission,
    ReceiptContext,
    correct,
    extract_text,
)
from ..generation_config import GenerationTags, parse_generation_config
from ..receipts import ReceiptKey
from ..results import MalformedResult
from .connection import describe_api_error


@dataclass(frozen=True)
class Submission:
    submission_id: int  # the writer's annotation's Label Studio id
    task_id: int
    writer_id: int | None  # the writer's Label Studio user id (completed_by)
    prompt: dict[str, Any]  # the task data: prompt_id, topic_key, topic, topic_eng, guideline
    created_at: str
    lead_time: float | None
    corrected: CorrectedSubmission
    updated_at: str = ""  # when the annotation was last changed (an edit); "" when unknown


def export_tasks(client: LabelStudio, project_id: int) -> list[dict[str, Any]]:
    """All annotated tasks with full results, in one call (docs/label-studio.md §6)."""
    try:
        raw = b"".join(client.projects.exports.download_sync(id=project_id, export_type="JSON"))
    except Exception as exc:
        raise describe_api_error(exc, f"exporting project {project_id}") from exc
    return json.loads(raw.decode("utf-8"))


def annotator_id(annotation: dict[str, Any]) -> int | None:
    """The Label Studio user who made ``annotation`` (an export gives an id or a user object)."""
    user = annotation.get("completed_by")
    return user if isinstance(user, int) else (user or {}).get("id")


def read_submissions(client: LabelStudio, project_id: int, key: ReceiptKey) -> Iterator[Submission]:
    """Every non-cancelled annotation with a sentence, corrected; a verdict counts only when its
    receipt verifies with ``key`` for this project, task and final sentence (else the
    submission is flagged ``verdict_unverified`` and labelled with the writer's intent)."""
    try:
        config = client.projects.get(id=project_id).label_config
    except Exception as exc:
        raise describe_api_error(exc, f"reading project {project_id}") from exc
    return project_submissions(client, project_id, parse_generation_config(config), key)


def project_submissions(
    client: LabelStudio, project_id: int, tags: GenerationTags, key: ReceiptKey
) -> Iterator[Submission]:
    """:func:`read_submissions` for a project whose config's ``tags`` the caller already has."""
    for task in export_tasks(client, project_id):
        for annotation in task.get("annotations") or []:
            if annotation.get("was_cancelled"):
                continue
            result = annotation.get("result") or []
            try:
                text = extract_text(result, tags)
                if not text or not text.strip():
                    continue
                corrected = correct(
                    result, tags, ReceiptContext(key, int(project_id), int(task["id"]))
                )
            except (IncompleteSubmission, MalformedResult):
                continue  # no sentence, or a result Label Studio's editor never stores
            yield Submission(
                submission_id=int(annotation["id"]),
                task_id=int(task["id"]),
                writer_id=annotator_id(annotation),
                prompt=dict(task.get("data") or {}),
                created_at=str(annotation.get("created_at") or ""),
                lead_time=annotation.get("lead_time"),
                corrected=corrected,
                updated_at=str(annotation.get("updated_at") or ""),
            )
