"""Seeding a campaign on the test Label Studio: writers' submissions, managers' votes, a config.

Managers are real users signed up with their own tokens: a vote counts only when the
manager's own token cast it, so tests vote through ``Manager.client``, never through the
admin with ``completed_by``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ls_users import sign_up
from verdicts import generation_result

from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
from apeach_ls.labelstudio.projects import setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.prompts import default_prompts

TOPICS = {p.key: p for p in default_prompts()}


def result(text, label="hate", agreement="confirm", project_id=1, task_id=1, signed=True):
    """A writer's submission whose verdict is ``label`` with the backend's receipt (``signed``)
    or a forged one without (the writer's own API call)."""
    return generation_result(
        text, label, (label, 0.8), agreement, project_id, task_id, signed=signed
    )


def vote(decision, *reasons):
    items = [
        {
            "from_name": "decision",
            "to_name": "sentence",
            "type": "choices",
            "value": {"choices": [decision]},
        }
    ]
    if reasons:
        items.append(
            {
                "from_name": "reasons",
                "to_name": "sentence",
                "type": "choices",
                "value": {"choices": list(reasons)},
            }
        )
    return items


def write_config(path, campaign, managers, corpora=(), k=3):
    lines = [
        f'[campaign]\nname = "{campaign}"\ndatabase = "{path.parent / "campaign.db"}"\n',
        f"[votes]\nmanagers = {list(managers)!r}\nk = {k}\n".replace("'", '"'),
        f"[aids]\nreference_corpora = {[str(c) for c in corpora]!r}\n".replace("'", '"'),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def seed_campaign(label_studio, campaign, sentences, fooled=frozenset(), forged=frozenset()):
    """Generation project with one task per (topic key, text, writer id) and its submission;
    the indexes in ``forged`` carry a verdict without a receipt."""
    client = label_studio.client()
    report = setup_generation(client, campaign, None)
    keys = sorted({key for key, _, _ in sentences})
    import_prompts(client, report.project_id, [TOPICS[k] for k in keys], len(sentences))
    tasks = {}
    for task in client.tasks.list(project=report.project_id, fields="task_only"):
        tasks.setdefault(task.data["prompt_id"].rsplit("-", 1)[0], []).append(task.id)
    ids = []
    for index, (key, text, writer) in enumerate(sentences):
        task_id = tasks[key].pop()
        items = result(
            text,
            agreement="flip" if index in fooled else "confirm",
            project_id=report.project_id,
            task_id=task_id,
            signed=index not in forged,
        )
        annotation = client.annotations.create(id=task_id, result=items, completed_by=writer)
        ids.append(annotation.id)
    return client, report.project_id, ids


@dataclass(frozen=True)
class Manager:
    email: str
    id: int
    client: Any  # a Label Studio client with the manager's own token


def sign_up_managers(label_studio, campaign, n=3, password="manager-pass-123"):
    """``n`` managers ``<campaign>-m1@example.com`` ... who signed up themselves."""
    admin = label_studio.client()
    emails = [f"{campaign}-m{i}@example.com" for i in range(1, n + 1)]
    tokens = [sign_up(label_studio.url, admin, email, password) for email in emails]
    ids = {u.email: u.id for u in admin.users.list()}
    return [
        Manager(
            email, ids[email], connect(LabelStudioSettings(url=label_studio.url, api_key=token))
        )
        for email, token in zip(emails, tokens)
    ]


def vote_tasks(client, project_id):
    """{submission id: vote task id} of a vote project."""
    return {
        t.data["submission_id"]: t.id
        for t in client.tasks.list(project=project_id, fields="task_only")
    }
