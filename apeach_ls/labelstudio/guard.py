"""A guard for Label Studio Community: the API calls a writer or manager never needs, refused.

Label Studio Community has no roles: every member's token may create annotations in
another user's name (``completed_by``), take over or delete someone else's annotation,
rewrite a choice in every annotation at once without a trace (``POST /api/labels/bulk``),
change a task's data under a vote (``PATCH /api/tasks/<id>``), import tasks with
annotations in anyone's name, re-point the ML backend or delete its webhook. apeach-ls's
receipts and tally catch what they can see, but some of these changes leave no trace. This
guard refuses them before they reach Label Studio, for everyone but the admins. It also
enforces what only Label Studio's labeling stream enforces: no more annotations on a task
than the project's ``maximum_annotations`` (so a sentence and its receipt cannot be copied
onto a task someone already wrote for), and votes in a manager's own vote project only by
that manager (answers in a validator's own validation project only by that validator).

:func:`refusal` is the policy (pure); :class:`ApeachGuardMiddleware` is the Django shell.
``apeach-ls up`` runs its Label Studio with :mod:`apeach_ls.labelstudio.guarded_settings`;
a team with its own Label Studio adds the middleware to its settings (see the README).
Admins are superusers (the account ``up`` creates is one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ADMIN_ONLY = re.compile(
    r"^/api/(labels|label_links|projects|webhooks|storages|predictions|model-provider-connections|"
    r"import|organizations|invite|jwt|session-policy|fsm)(/|$)"
)
FORMAT_SUFFIX = re.compile(
    r"\.(json|api)/?$"
)  # Django REST framework's /api/predictions.json is /api/predictions
ANNOTATION_DRAFTS = re.compile(r"^/api/tasks/\d+/annotations/(\d+)/drafts/?$")
# Fields of an annotation that say where it belongs and whose it is: the labeling UI never sends
# them on an edit; changed by a member they move a sentence onto another task or un-skip it.
PLACEMENT = (
    "task",
    "project",
    "updated_by",
)  # the UI sends lead_time, result, draft_id, parent_*, started_at
DM_ACTIONS = re.compile(r"^/api/dm/actions/?$")
WRITER_ACTIONS = frozenset(
    {"next_task"}
)  # the labeling stream ("Label All Tasks") asks for the next task
TASK = re.compile(r"^/api/tasks/?(\d+)?/?$")
TASK_ANNOTATIONS = re.compile(r"^/api/tasks/(\d+)/annotations/?$")
ANNOTATION = re.compile(r"^/api/annotations/(\d+)(/|/convert-to-draft/?)?$")
DRAFT = re.compile(r"^/api/drafts/(\d+)/?$")
WEBHOOKS = re.compile(r"^/api/webhooks(/|$)")
AVATAR = re.compile(r"^/api/users/\d+/avatar/?$")
ML = re.compile(r"^/api/ml(/|$)")
INTERACTIVE = re.compile(r"^/api/ml/\d+/interactive-annotating/?$")
USER = re.compile(r"^/api/users/?(\d+)?/?")
# a manager's own vote project, or a validator's own validation project
MANAGER_MARKER = re.compile(r"\[apeach-ls campaign=\S+ role=(?:vote|validation) manager=(\S+?)\]")


@dataclass(frozen=True)
class TaskSlots:
    """What the guard needs to know of a task before a new annotation is added to it."""

    annotations: int  # not cancelled
    maximum: int  # the project's maximum_annotations
    manager: str | None  # whose own vote (or validation) project this is, if it is one


def project_manager(description: str | None) -> str | None:
    """The manager a vote project (or the validator a validation project) belongs to, from
    its apeach-ls marker."""
    found = MANAGER_MARKER.search(description or "")
    return found.group(1).strip().lower() if found else None


NOT_JSON = object()  # a body that is not JSON: Label Studio would parse it as a form


def refusal(
    method: str,
    path: str,
    body: Any,
    user_id: int,
    is_admin: bool,
    owner_of: Callable[[int], int | None],
    action: str | None = None,
    slots_of: Callable[[int], TaskSlots | None] = lambda task_id: None,
    user_email: str = "",
    draft_owner_of: Callable[[int], int | None] = lambda draft_id: None,
) -> str | None:
    """Why this request is refused, or None to let Label Studio handle it.

    ``owner_of(annotation_id)`` is the annotation's ``completed_by`` (None when unknown);
    ``action`` is a Data Manager action's id (the ``id`` query parameter); ``slots_of(task_id)``
    says how many annotations the task has and may have, and whose vote project it is in.
    ``body`` is the parsed JSON, or :data:`NOT_JSON` for a form or other body."""
    method = method.upper()
    if is_admin:
        return None
    path = FORMAT_SUFFIX.sub("", path)
    if WEBHOOKS.match(
        path
    ):  # even reading: a webhook's headers carry the backend's Basic credentials
        return "webhooks are for admins only"
    if method not in WRITES:
        return None
    if body is NOT_JSON and not AVATAR.match(path):
        return "send the body as JSON in UTF-8 (Content-Type: application/json)"
    if ADMIN_ONLY.match(path):
        return "changing projects, labels, imports, webhooks or the organization's settings is for admins only"
    if DM_ACTIONS.match(path) and action not in WRITER_ACTIONS:
        return f"the Data Manager action {action!r} is for admins only"
    if ML.match(path) and not (method == "POST" and INTERACTIVE.match(path)):
        return "connecting or changing ML backends is for admins only"
    task = TASK.match(path)
    if task:
        return "creating, changing or deleting tasks is for admins only"
    user = USER.match(path)
    own = bool(user and user.group(1) and int(user.group(1)) == user_id)
    if user and not (own and (method in ("PATCH", "PUT") or AVATAR.match(path))):
        return "changing other users is for admins only"
    named = body.get("completed_by") if isinstance(body, Mapping) else None
    if isinstance(named, Mapping):
        named = named.get("id", named)
    on_task = TASK_ANNOTATIONS.match(path)
    if on_task and named is not None and named != user_id:
        return "an annotation can only be made in your own name (completed_by)"
    slots = slots_of(int(on_task.group(1))) if on_task and method == "POST" else None
    if slots is not None:
        if slots.manager and slots.manager != user_email.strip().lower():
            return "only the manager (or validator) this project belongs to can answer in it"
        if slots.maximum and slots.annotations >= slots.maximum:
            return (
                f"this task already has its {slots.maximum} annotation(s) (the project's maximum)"
            )
    draft = DRAFT.match(path)
    if draft:
        owner = draft_owner_of(int(draft.group(1)))
        if owner is not None and owner != user_id:
            return "only the draft's author can change or delete it"
    on_annotation = ANNOTATION_DRAFTS.match(path)
    if on_annotation:
        owner = owner_of(int(on_annotation.group(1)))
        if owner is not None and owner != user_id:
            return "only the annotation's author can draft changes to it"
    annotation = ANNOTATION.match(path)
    if annotation:
        owner = owner_of(int(annotation.group(1)))
        if owner is not None and owner != user_id:
            return "only the annotation's author can change or delete it"
        if named is not None and named != user_id:
            return "an annotation cannot be handed to another user (completed_by)"
    if (annotation or on_task) and isinstance(body, Mapping):
        moved = [name for name in PLACEMENT if name in body]
        if moved:
            return f"an annotation's {', '.join(moved)} cannot be set or changed by a member"
        if annotation and method in ("PATCH", "PUT") and body.get("was_cancelled") is False:
            return "a skipped annotation cannot be brought back (write a new one)"
    return None


class ApeachGuardMiddleware:
    """Django middleware: answers 403 with the reason when :func:`refusal` says so."""

    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.path.startswith("/api/") and (
            request.method in WRITES or WEBHOOKS.match(request.path)
        ):
            user = _user(request)
            if user is not None:
                why = refusal(
                    request.method,
                    request.path,
                    _json(request),
                    int(user.pk),
                    bool(user.is_superuser),
                    _annotation_owner,
                    request.GET.get("id"),
                    _task_slots,
                    str(getattr(user, "email", "") or ""),
                    _draft_owner,
                )
                if why is not None:
                    from django.http import JsonResponse

                    return JsonResponse({"detail": f"apeach-ls guard: {why}"}, status=403)
        return self.get_response(request)


def _user(request: Any) -> Any | None:
    """The request's user: session or JWT (set by Label Studio's middleware), else a legacy token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    try:
        from rest_framework.settings import api_settings

        for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
            found = authenticator().authenticate(request)
            if found:
                return found[0]
    except Exception:  # an invalid token: Label Studio answers 401 itself
        return None
    return None


def _json(request: Any) -> Any:
    """The JSON body; None when there is none; NOT_JSON for anything else: a form, or JSON in
    a charset other than UTF-8 (Label Studio decodes the charset the request names, so a body
    in UTF-7 reads differently there; the checks must see what Label Studio will see)."""
    raw = request.body
    if not raw:
        return None
    charset = (
        (request.content_params or {}).get("charset", "utf-8").strip().lower().replace("_", "-")
    )
    if "json" not in (request.content_type or "") or charset not in ("utf-8", "utf8"):
        return NOT_JSON
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return NOT_JSON


def _annotation_owner(annotation_id: int) -> int | None:
    from tasks.models import Annotation  # Label Studio's own model, imported inside its process

    return (
        Annotation.objects.filter(pk=annotation_id)
        .values_list("completed_by_id", flat=True)
        .first()
    )


def _task_slots(task_id: int) -> TaskSlots | None:
    from tasks.models import Annotation, Task

    task = Task.objects.select_related("project").filter(pk=task_id).first()
    if task is None:
        return None
    taken = Annotation.objects.filter(task_id=task_id, was_cancelled=False).count()
    return TaskSlots(
        taken, int(task.project.maximum_annotations or 0), project_manager(task.project.description)
    )


def _draft_owner(draft_id: int) -> int | None:
    from tasks.models import AnnotationDraft

    return AnnotationDraft.objects.filter(pk=draft_id).values_list("user_id", flat=True).first()
