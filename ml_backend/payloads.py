"""Unpacking Label Studio's ML-backend requests into checked values.

Every problem becomes :class:`BadPayload` with a reason the caller can act on; the routes
turn it into a 4xx JSON body. Nothing here touches Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence


class BadPayload(ValueError):
    """A request body Label Studio would never send, with the reason."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass(frozen=True)
class PredictRequest:
    tasks: list[Mapping[str, Any]]
    project_id: str | None
    label_config: str | None
    context: list[Mapping[str, Any]] | None  # None for a non-interactive call

    @property
    def interactive(self) -> bool:
        return self.context is not None


def project_id_of(value: Any) -> str | None:
    """Label Studio sends ``project`` as ``"<id>.<created-at timestamp>"``, or an int."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadPayload("'project' must be a string like '12.1700000000' or a number")
    head = str(value).split(".", 1)[0]
    if not (head.isascii() and head.isdigit()) or len(head) > 18:
        raise BadPayload(f"'project' must start with a numeric project id, got {str(value)[:40]!r}")
    return head


def require_object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise BadPayload("the body must be a JSON object")
    return body


def parse_predict(body: Any, max_tasks: int) -> PredictRequest:
    body = require_object(body)
    tasks = body.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise BadPayload("'tasks' must be a non-empty list of tasks")
    if len(tasks) > max_tasks:
        raise BadPayload(f"too many tasks in one request ({len(tasks)} > {max_tasks})", status=413)
    for i, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("data", {}), dict):
            raise BadPayload(f"tasks[{i}] must be an object with a 'data' object")
    label_config = body.get("label_config")
    if label_config is not None and not isinstance(label_config, str):
        raise BadPayload("'label_config' must be a string of XML")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise BadPayload("'params' must be an object")
    context = params.get("context")
    result: list[Mapping[str, Any]] | None = None
    if context is not None:
        if not isinstance(context, dict):
            raise BadPayload("'params.context' must be an object with a 'result' list")
        raw = context.get("result", [])
        if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
            raise BadPayload("'params.context.result' must be a list of result objects")
        result = raw
    return PredictRequest(tasks=tasks, project_id=project_id_of(body.get("project")),
                          label_config=label_config, context=result)


def text_from_result_item(item: Mapping[str, Any], where: str) -> str:
    """The text of a TextArea result item (``value.text`` is a list of strings)."""
    value = item.get("value")
    texts = value.get("text") if isinstance(value, dict) else None
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise BadPayload(f"{where}: 'value.text' must be a list of strings")
    return "\n".join(texts)


def check_text(text: str, max_chars: int, where: str) -> str:
    if not text.strip():
        raise BadPayload(f"{where}: the sentence is empty", status=422)
    if len(text) > max_chars:
        raise BadPayload(f"{where}: the sentence is {len(text)} characters; the limit is {max_chars}", status=413)
    return text


def find_by_name(result: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    for item in result:
        if item.get("from_name") == name:
            return item
    return None
