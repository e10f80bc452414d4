"""Setting up a campaign's generation project in Label Studio, idempotently.

A campaign's projects are found by a marker in their description, so several campaigns
live side by side in one Label Studio and a renamed project is still found. Every step
compares what is there with what is wanted and changes only the difference; the report
says, step by step, what was created, updated or left unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from label_studio_sdk import LabelStudio

from apeach_ls import label_config

from .. import basic_auth
from ..errors import ConfigError, LabelStudioError
from ..settings import ml_basic_auth_from_env
from .connection import describe_api_error

StepOutcome = Literal["created", "updated", "unchanged", "warning"]  # of one set-up step
CAMPAIGN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")

GUIDE_FOR_WRITERS = (
    "<h3>문장 쓰기 안내</h3>"
    "<ol><li>주제와 안내문을 읽고, 혐오 표현을 쓸지 혐오가 아닌 문장을 쓸지 고르세요.</li>"
    "<li>문장 하나를 직접 쓰고 Enter를 누르세요. 분류기의 판정이 바로 나타납니다.</li>"
    "<li>판정이 내 의도와 같으면 <b>맞아요 (확인)</b>, 다르면 <b>아니에요 (뒤집기)</b>를 고르고 제출하세요.</li></ol>"
    "<p>공인이 아닌 실제 인물의 이름은 쓰지 말고 ooo, xxx 같은 자리표시자를 쓰세요. "
    "인터넷에서 복사해 붙여넣지 마세요. 맞춤법이 틀려도 괜찮습니다.</p>"
)


@dataclass(frozen=True)
class MLConnection:
    """How Label Studio reaches the ML backend."""

    url: str
    basic_auth_user: str | None = None
    basic_auth_password: str | None = None
    title: str = "apeach-ls pseudo-classifier"

    def __repr__(self) -> str:
        return (
            f"MLConnection(url={self.url!r}, basic_auth={'on' if self.basic_auth_user else 'off'})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MLConnection | None:
        """APEACH_ML_URL (how Label Studio reaches the backend) and the backend's Basic auth
        (APEACH_ML_BASIC_AUTH_USER, APEACH_ML_BASIC_AUTH_PASSWORD[_FILE]); None without a URL."""
        url = env.get("APEACH_ML_URL")
        if not url:
            return None
        auth = ml_basic_auth_from_env(env)
        return cls(
            url=url.rstrip("/"),
            basic_auth_user=auth[0] if auth else None,
            basic_auth_password=auth[1] if auth else None,
        )

    @property
    def authorization(self) -> str | None:
        if not self.basic_auth_user:
            return None
        return basic_auth.header(self.basic_auth_user, self.basic_auth_password or "")


@dataclass(frozen=True)
class Step:
    what: str
    outcome: StepOutcome
    detail: str = ""


@dataclass
class SetupReport:
    project_id: int
    steps: list[Step] = field(default_factory=list)

    def add(self, what: str, outcome: StepOutcome, detail: str = "") -> None:
        self.steps.append(Step(what, outcome, detail))

    @property
    def changed(self) -> bool:
        return any(s.outcome in ("created", "updated") for s in self.steps)


def check_campaign_name(campaign: str) -> str:
    if not CAMPAIGN_RE.match(campaign):
        raise ConfigError(
            f"Campaign name {campaign!r} is not valid: use letters, digits, '.', '_' or '-' "
            "(at most 63 characters), e.g. --campaign apeach-2026"
        )
    return campaign


def marker(campaign: str, role: str, manager: str | None = None) -> str:
    """The tag in a project's description that names its campaign and role (and, for a
    manager's own vote project, the manager)."""
    return f"[apeach-ls campaign={campaign} role={role}{f' manager={manager}' if manager else ''}]"


def generation_options(campaign: str) -> dict[str, Any]:
    """Project options the writers' flow needs: no automatic non-interactive predictions when a
    task opens (docs/label-studio.md §4); one sentence per writing task."""
    return {
        "title": f"{campaign} · APEACH generation",
        "description": f"Writers write one sentence per prompt and confirm or flip the verdict. "
        f"{marker(campaign, 'generation')}",
        "label_config": label_config.load("generation"),
        "maximum_annotations": 1,
        "show_collab_predictions": False,
        "evaluate_predictions_automatically": False,
        "min_annotations_to_start_training": 0,
        "show_skip_button": False,
        "show_instruction": True,
        "expert_instruction": GUIDE_FOR_WRITERS,
    }


def list_projects(client: LabelStudio) -> list[Any]:
    try:
        return list(client.projects.list(page_size=100))
    except Exception as exc:
        raise describe_api_error(exc, "listing projects") from exc


def project_with_marker(projects: list[Any], tag: str) -> Any | None:
    """The one project whose description carries ``tag``; None if none; an error if several."""
    found = [p for p in projects if tag in (p.description or "")]
    if len(found) > 1:
        raise LabelStudioError(
            f"{len(found)} projects carry the marker {tag} (ids "
            f"{', '.join(str(p.id) for p in found)}); remove the marker from all but one"
        )
    return found[0] if found else None


def find_project(
    client: LabelStudio, campaign: str, role: str, manager: str | None = None
) -> Any | None:
    return project_with_marker(list_projects(client), marker(campaign, role, manager))


def generation_project_id(client: LabelStudio, campaign: str) -> int:
    """The campaign's generation project, or an error that says how to create it."""
    project = find_project(client, campaign, "generation")
    if project is None:
        raise ConfigError(
            f"Campaign {campaign!r} has no generation project. "
            f"Run: apeach-ls setup --campaign {campaign}"
        )
    return int(project.id)


def ensure_project(
    client: LabelStudio,
    campaign: str,
    role: str,
    wanted: dict[str, Any],
    report_steps: list[Step],
    manager: str | None = None,
) -> int:
    what = f"{role} project" + (f" of {manager}" if manager else "")
    project = find_project(client, campaign, role, manager)
    try:
        if project is None:
            created = client.projects.create(**wanted)
            report_steps.append(Step(what, "created", f"id {created.id}"))
            return int(created.id)
        current = client.projects.get(id=project.id)
        diff = {
            k: v
            for k, v in wanted.items()
            if k != "title" and _differs(getattr(current, k, None), v)
        }
        if diff:
            client.projects.update(id=project.id, **diff)
            report_steps.append(
                Step(what, "updated", f"id {project.id}: {', '.join(sorted(diff))}")
            )
        else:
            report_steps.append(Step(what, "unchanged", f"id {project.id}"))
        return int(project.id)
    except LabelStudioError:
        raise
    except Exception as exc:
        raise describe_api_error(exc, f"setting up the {what}") from exc


def _differs(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, str) and isinstance(current, str):
        return current.strip() != wanted.strip()
    return current != wanted


def ensure_ml_backend(
    client: LabelStudio, project_id: int, ml: MLConnection, report: SetupReport
) -> None:
    try:
        backends = [b for b in client.ml.list(project=project_id) if _same_url(b.url, ml.url)]
        auth = (
            {
                "auth_method": "BASIC_AUTH",
                "basic_auth_user": ml.basic_auth_user,
                "basic_auth_pass": ml.basic_auth_password,
            }
            if ml.basic_auth_user
            else {"auth_method": "NONE"}
        )
        created = not backends
        if created:
            new = client.ml.create(
                project=project_id, url=ml.url, title=ml.title, is_interactive=True, **auth
            )
            report.add(
                "ML backend", "created", f"id {new.id}, {ml.url}, auth {auth['auth_method']}"
            )
        else:
            backend = backends[0]
            stale = (
                not backend.is_interactive
                or (backend.auth_method or "NONE") != auth["auth_method"]
                or (ml.basic_auth_user and backend.basic_auth_user != ml.basic_auth_user)
            )
            if stale:
                # ml.update needs url and project in the body (docs/label-studio.md §4).
                client.ml.update(
                    id=backend.id, url=ml.url, project=project_id, is_interactive=True, **auth
                )
                report.add(
                    "ML backend",
                    "updated",
                    f"id {backend.id}: interactive, auth {auth['auth_method']}",
                )
            else:
                report.add("ML backend", "unchanged", f"id {backend.id}, {ml.url}")
    except Exception as exc:
        raise describe_api_error(exc, f"connecting the ML backend at {ml.url}") from exc
    ensure_ml_webhook(client, project_id, ml, report, backend_created=created)


def _same_url(a: str | None, b: str) -> bool:
    return (a or "").rstrip("/") == b.rstrip("/")


def ensure_ml_webhook(
    client: LabelStudio,
    project_id: int,
    ml: MLConnection,
    report: SetupReport,
    backend_created: bool = False,
) -> None:
    """Label Studio adds ``<ml url>/webhook`` itself but without the Basic credentials
    (docs/label-studio.md §5): give it the Authorization header when auth is on."""
    hook_url = ml.url.rstrip("/") + "/webhook"
    try:
        hooks = [h for h in client.webhooks.list(project=project_id) if _same_url(h.url, hook_url)]
        if not hooks:
            report.add(
                "ML webhook",
                "warning",
                f"Label Studio did not create {hook_url}: its SSRF protection refused the backend's "
                "address. Allow that one address (`apeach-ls ssrf-settings ADDRESS` prints the settings "
                "for Label Studio's environment), restart Label Studio, then re-run setup",
            )
            return
        hook = hooks[0]
        headers = dict(hook.headers or {})
        wanted = ml.authorization
        if basic_auth.same(headers.get("Authorization") or None, wanted):
            report.add(
                "ML webhook",
                *(
                    ("created", f"id {hook.id}, by Label Studio with the backend")
                    if backend_created
                    else ("unchanged", f"id {hook.id}")
                ),
            )
            return
        if wanted:
            headers["Authorization"] = wanted
        else:
            headers.pop("Authorization", None)
        client.webhooks.update(id=hook.id, url=hook.url, headers=headers)
        report.add(
            "ML webhook",
            "updated",
            f"id {hook.id}: Authorization header {'set' if wanted else 'removed'}",
        )
    except Exception as exc:
        raise describe_api_error(exc, "updating the ML backend's webhook") from exc


def setup_generation(client: LabelStudio, campaign: str, ml: MLConnection | None) -> SetupReport:
    check_campaign_name(campaign)
    steps: list[Step] = []
    project_id = ensure_project(client, campaign, "generation", generation_options(campaign), steps)
    report = SetupReport(project_id=project_id, steps=steps)
    if ml is not None:
        ensure_ml_backend(client, project_id, ml, report)
    else:
        report.add(
            "ML backend",
            "warning",
            "no APEACH_ML_URL: writers will get no verdicts until one is connected",
        )
    return report


def move_ml_backends(client: LabelStudio, ml: MLConnection, report: SetupReport) -> None:
    """After the backend moved (``up`` on another port), no generation project may keep
    calling the old address: each one connected to a backend of ours (same title) at another
    URL is connected to ``ml`` instead, and the old backend and its webhook are removed."""
    try:
        projects = [
            p
            for p in client.projects.list(page_size=100)
            if "[apeach-ls campaign=" in (p.description or "")
            and "role=generation]" in p.description
        ]
        for project in projects:
            stale = [
                b
                for b in client.ml.list(project=project.id)
                if b.title == ml.title and not _same_url(b.url, ml.url)
            ]
            if not stale:
                continue
            if (
                int(project.id) != report.project_id
            ):  # another campaign's: setup_generation did not see it
                ensure_ml_backend(
                    client, int(project.id), ml, SetupReport(project_id=int(project.id))
                )
            for backend in stale:
                hook_url = (backend.url or "").rstrip("/") + "/webhook"
                for hook in client.webhooks.list(project=project.id):
                    if _same_url(hook.url, hook_url):
                        client.webhooks.delete(id=hook.id)
                client.ml.delete(id=backend.id)
                report.add(
                    "old ML backend",
                    "updated",
                    f"project {project.id}: id {backend.id} at {backend.url} "
                    f"removed with its webhook; connected to {ml.url}",
                )
    except LabelStudioError:
        raise
    except Exception as exc:
        raise describe_api_error(exc, "moving projects to the ML backend's new address") from exc
