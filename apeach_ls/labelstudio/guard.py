"""A guard for Label Studio Community: the API calls a writer or manager never needs, refused.

Label Studio Community has no roles: every member's token may create annotations in
another user's name (``completed_by``), take over or delete someone else's annotation,
rewrite a choice in every annotation at once without a trace (``POST /api/labels/bulk``),
change a task's data under a vote (``PATCH /api/tasks/<id>``), import tasks with
annotations in anyone's name, re-point the ML backend or delete its webhook. apeach-ls's
receipts and tally catch what they can see, but some of these changes leave no trace. This
guard refuses them before they reach Label Studio, for everyone but the admins.

:func:`refusal` is the policy (pure); :class:`ApeachGuardMiddleware` is the Django shell.
``apeach-ls up`` runs its Label Studio with :mod:`apeach_ls.labelstudio.guarded_settings`;
a team with its own Label Studio adds the middleware to its settings (see the README).
Admins are superusers (the account ``up`` creates is one).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ADMIN_ONLY = re.compile(r"^/api/(labels|projects|webhooks|storages|predictions|model-provider-connections|"
                        r"import|organizations|invite)(/|$)")
DM_ACTIONS = re.compile(r"^/api/dm/actions/?$")
WRITER_ACTIONS = frozenset({"next_task"})  # the labeling stream ("Label All Tasks") asks for the next task
TASK = re.compile(r"^/api/tasks/?(\d+)?/?$")
TASK_ANNOTATIONS = re.compile(r"^/api/tasks/\d+/annotations/?$")
ANNOTATION = re.compile(r"^/api/annotations/(\d+)(/|/convert-to-draft/?)?$")
ML = re.compile(r"^/api/ml(/|$)")
INTERACTIVE = re.compile(r"^/api/ml/\d+/interactive-annotating/?$")
USER = re.compile(r"^/api/users/?(\d+)?/?")


def refusal(method: str, path: str, body: Any, user_id: int, is_admin: bool,
            owner_of: Callable[[int], int | None], action: str | None = None) -> str | None:
    """Why this request is refused, or None to let Label Studio handle it.

    ``owner_of(annotation_id)`` is the annotation's ``completed_by`` (None when unknown);
    ``action`` is a Data Manager action's id (the ``id`` query parameter)."""
    method = method.upper()
    if is_admin or method not in WRITES:
        return None
    if ADMIN_ONLY.match(path):
        return "changing projects, labels, imports or webhooks is for admins only"
    if DM_ACTIONS.match(path) and action not in WRITER_ACTIONS:
        return f"the Data Manager action {action!r} is for admins only"
    if ML.match(path) and not (method == "POST" and INTERACTIVE.match(path)):
        return "connecting or changing ML backends is for admins only"
    task = TASK.match(path)
    if task:
        return "creating, changing or deleting tasks is for admins only"
    user = USER.match(path)
    if user and not (user.group(1) and int(user.group(1)) == user_id and method in ("PATCH", "PUT")):
        return "changing other users is for admins only"
    named = body.get("completed_by") if isinstance(body, Mapping) else None
    if isinstance(named, Mapping):
        named = named.get("id", named)
    if TASK_ANNOTATIONS.match(path) and named is not None and named != user_id:
        return "an annotation can only be made in your own name (completed_by)"
    annotation = ANNOTATION.match(path)
    if annotation:
        owner = owner_of(int(annotation.group(1)))
        if owner is not None and owner != user_id:
            return "only the annotation's author can change or delete it"
        if named is not None and named != user_id:
            return "an annotation cannot be handed to another user (completed_by)"
    return None


class ApeachGuardMiddleware:
    """Django middleware: answers 403 with the reason when :func:`refusal` says so."""

    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.method in WRITES and request.path.startswith("/api/"):
            user = _user(request)
            if user is not None:
                why = refusal(request.method, request.path, _json(request), int(user.pk),
                              bool(user.is_superuser), _annotation_owner, request.GET.get("id"))
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
    if "json" not in (request.content_type or ""):
        return None
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def _annotation_owner(annotation_id: int) -> int | None:
    from tasks.models import Annotation  # Label Studio's own model, imported inside its process
    return Annotation.objects.filter(pk=annotation_id).values_list("completed_by_id", flat=True).first()
