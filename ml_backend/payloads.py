"""Unpacking Label Studio's ML-backend requests into checked values.

Every problem becomes :class:`BadPayload` with a reason the caller can act on; the routes
turn it into a 4xx JSON body. Nothing here touches Flask.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apeach_ls.results import MalformedResult, check_items


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


# In strict UTF-8 a lone surrogate can only come from a \uD800-\uDFFF escape.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PROJECT_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits: '²'.isdigit() is True, int('²') is not


def parse_json(data: bytes) -> Any:
    """The body as JSON; too deep a nesting or a lone surrogate is a BadPayload, not a 500.

    Python's JSON decoder recurses once per level (RecursionError past ~1000 levels), and a
    string with a lone surrogate (``"\\udc80"``) cannot be hashed, signed or answered as UTF-8.
    """
    try:
        text = data.decode("utf-8")  # strict: UTF-8-encoded surrogates are refused here
        body = json.loads(text)
    except RecursionError:
        raise BadPayload("the JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise BadPayload(
            "the body must be JSON in UTF-8 (Content-Type: application/json)"
        ) from None
    if _SURROGATE_ESCAPE.search(text):  # paired escapes (emoji) are fine; look for lone ones
        where = _lone_surrogate_at(body)
        if where is not None:
            raise BadPayload(
                f"{where} contains a lone surrogate (a \\ud800-\\udfff escape without its pair); "
                "text must be valid Unicode",
                status=422,
            )
    return body


def _lone_surrogate_at(body: Any) -> str | None:
    """Where the first string with a lone surrogate is (iteratively: the body may be deep)."""
    stack: list[tuple[str, Any]] = [("the body", body)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    return f"a key of {where}"
                stack.append(
                    (f"'{key[:40]}'" if where == "the body" else f"{where}.{key[:40]}", item)
                )
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
    return None


def project_id_of(value: Any) -> str | None:
    """Label Studio sends ``project`` as ``"<id>.<created-at timestamp>"``, or an int."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadPayload("'project' must be a string like '12.1700000000' or a number")
    head = str(value).split(".", 1)[0] if isinstance(value, str) else str(value)
    if not _PROJECT_ID.fullmatch(head):
        raise BadPayload(f"'project' must start with a numeric project id, got {str(value)[:40]!r}")
    return str(int(head))


def is_id(value: Any) -> bool:
    """A Label Studio id as JSON carries it: a non-negative integer (``true`` is not 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**18


def webhook_project_id(body: Mapping[str, Any]) -> int | None:
    """A webhook's ``project.id`` (Label Studio sends the whole project object); None if absent."""
    project = body.get("project")
    if project is None:
        return None
    if not isinstance(project, dict):
        raise BadPayload("'project' must be an object with an integer 'id'")
    project_id = project.get("id")
    if project_id is None:
        return None
    if not is_id(project_id):
        raise BadPayload(
            f"'project.id' must be a non-negative integer, got {json.dumps(project_id)[:40]}"
        )
    return project_id


def require_object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise BadPayload("the body must be a JSON object")
    return body


def check_result(result: Any, where: str) -> list[Mapping[str, Any]]:
    """A result list of the shapes :mod:`apeach_ls.results` reads (one policy for every
    reader of result lists); anything else is a 400 that names the item."""
    try:
        return check_items(result, where)
    except MalformedResult as exc:
        raise BadPayload(str(exc)) from None


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
        annotations = task.get("annotations")
        if annotations is None:
            continue
        if not isinstance(annotations, list):
            raise BadPayload(f"tasks[{i}].annotations must be a list of annotation objects")
        for j, annotation in enumerate(annotations):
            if not isinstance(annotation, dict):
                raise BadPayload(f"tasks[{i}].annotations[{j}] must be an object")
            if annotation.get("result") is not None:
                check_result(annotation["result"], f"tasks[{i}].annotations[{j}].result")
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
        result = check_result(context.get("result", []), "params.context.result")
    return PredictRequest(
        tasks=tasks,
        project_id=project_id_of(body.get("project")),
        label_config=label_config,
        context=result,
    )


# Letters that render as nothing: Hangul fillers and the Braille blank (categories Lo/So).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Controls, format characters (zero-width space/joiners, BOM, word joiner, soft hyphen),
# surrogates, private use, unassigned, and separators: none is a visible character.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def has_visible_character(text: str) -> bool:
    return any(
        not ch.isspace()
        and ch not in _BLANK_LETTERS
        and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        for ch in text
    )


def check_text(text: str, max_chars: int, where: str) -> str:
    """A sentence worth a verdict: within the length limit, valid Unicode, something to read."""
    if len(text) > max_chars:
        raise BadPayload(
            f"{where}: the sentence is {len(text)} characters; the limit is {max_chars}", status=413
        )
    if not text.strip():
        raise BadPayload(f"{where}: the sentence is empty", status=422)
    if _SURROGATE.search(text):
        raise BadPayload(
            f"{where}: the sentence contains a lone surrogate; text must be valid Unicode",
            status=422,
        )
    if not has_visible_character(text):
        raise BadPayload(
            f"{where}: the sentence has no visible characters (only zero-width or blank ones)",
            status=422,
        )
    return text
