"""The guard on a real Label Studio: what a writer's own token can no longer do unseen."""

from __future__ import annotations

import json

import pytest
import requests
from ls_users import sign_up

from apeach_ls.labelstudio.projects import setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.prompts import default_prompts

pytestmark = pytest.mark.integration


def test_the_guard_refuses_unrecorded_changes_and_lets_writers_write(
    guarded_label_studio, campaign
):
    ls = guarded_label_studio
    admin = ls.client()
    project_id = setup_generation(admin, campaign, None).project_id
    import_prompts(admin, project_id, default_prompts()[:1], 3)
    tasks = [t.id for t in admin.tasks.list(project=project_id, fields="task_only")]
    victim_token = sign_up(ls.url, admin, f"{campaign}-victim@example.com", "victim-pass-123")
    thief_token = sign_up(ls.url, admin, f"{campaign}-thief@example.com", "thief-pass-123")
    ids = {u.email: u.id for u in admin.users.list()}
    victim, thief = ids[f"{campaign}-victim@example.com"], ids[f"{campaign}-thief@example.com"]

    def call(token, method, path, json=None):
        return requests.request(
            method,
            ls.url + path,
            json=json,
            timeout=30,
            headers={"Authorization": f"Token {token}"},
        )

    sentence = [
        {
            "from_name": "intent",
            "to_name": "prompt",
            "type": "choices",
            "value": {"choices": ["hate"]},
        },
        {
            "from_name": "text",
            "to_name": "prompt",
            "type": "textarea",
            "value": {"text": ["피해자의 문장"]},
        },
        {
            "from_name": "agreement",
            "to_name": "prompt",
            "type": "choices",
            "value": {"choices": ["confirm"]},
        },
    ]
    own = call(victim_token, "POST", f"/api/tasks/{tasks[0]}/annotations/", {"result": sentence})
    assert own.status_code == 201, own.text  # writing one's own sentence works
    annotation = own.json()["id"]
    assert (
        call(
            victim_token, "PATCH", f"/api/annotations/{annotation}/", {"result": sentence}
        ).status_code
        == 200
    )

    refused = {
        "take over the victim's sentence": (
            "PATCH",
            f"/api/annotations/{annotation}/",
            {"completed_by": thief},
        ),
        "edit the victim's sentence": (
            "PATCH",
            f"/api/annotations/{annotation}/",
            {"result": sentence[:2]},
        ),
        "delete the victim's sentence": ("DELETE", f"/api/annotations/{annotation}/", None),
        "write in the victim's name": (
            "POST",
            f"/api/tasks/{tasks[1]}/annotations/",
            {"result": sentence, "completed_by": victim},
        ),
        "flip every agreement at once": (
            "POST",
            "/api/labels/bulk",
            {"project": project_id, "old_label": ["confirm"], "new_label": ["flip"]},
        ),
        "change a task's data": ("PATCH", f"/api/tasks/{tasks[0]}/", {"data": {"topic": "x"}}),
        "import tasks with annotations": (
            "POST",
            f"/api/projects/{project_id}/import",
            [
                {
                    "data": {"topic": "x"},
                    "annotations": [{"result": sentence, "completed_by": victim}],
                }
            ],
        ),
        "re-point the ML backend": (
            "POST",
            "/api/ml",
            {"project": project_id, "url": "http://127.0.0.1:9"},
        ),
        "change the labeling config": (
            "PATCH",
            f"/api/projects/{project_id}/",
            {"label_config": "<View/>"},
        ),
        "delete annotations in bulk": (
            "POST",
            f"/api/dm/actions?id=delete_tasks_annotations&project={project_id}",
            {"selectedItems": {"all": True}},
        ),
        "copy the sentence and its receipt onto the victim's task": (
            "POST",
            f"/api/tasks/{tasks[0]}/annotations/",
            {"result": sentence},
        ),
    }
    for what, (method, path, body) in refused.items():
        answer = call(thief_token, method, path, body)
        assert answer.status_code == 403 and "apeach-ls guard" in answer.text, (
            what,
            answer.status_code,
            answer.text,
        )

    # the same with a form body, which Label Studio also reads
    form = requests.post(
        f"{ls.url}/api/tasks/{tasks[1]}/annotations/",
        timeout=30,
        headers={"Authorization": f"Token {thief_token}"},
        data={"result": json.dumps(sentence), "completed_by": victim},
    )
    assert form.status_code == 403 and "as JSON" in form.text
    taken = requests.patch(
        f"{ls.url}/api/annotations/{annotation}/",
        timeout=30,
        data={"completed_by": thief},
        headers={"Authorization": f"Token {thief_token}"},
    )
    assert taken.status_code == 403, taken.text
    # JSON in UTF-7, which Label Studio decodes as the request says: "+ACI-" is a quote there
    result = json.dumps(sentence)
    utf7 = (
        f'{{"result": {result}, "x": "+ACI-, +ACI-completed_by+ACI-: {victim}, +ACI-y+ACI-: +ACI-"}}'
    ).encode()
    sneaky = requests.post(
        f"{ls.url}/api/tasks/{tasks[1]}/annotations/",
        data=utf7,
        timeout=30,
        headers={
            "Authorization": f"Token {thief_token}",
            "Content-Type": "application/json; charset=utf-7",
        },
    )
    assert sneaky.status_code == 403 and "in UTF-8" in sneaky.text, sneaky.text
    # moving one's own annotation onto a task that is full, or bringing back a skipped one
    mine = call(thief_token, "POST", f"/api/tasks/{tasks[1]}/annotations/", {"result": sentence})
    assert mine.status_code == 201, mine.text
    moved = call(thief_token, "PATCH", f"/api/annotations/{mine.json()['id']}/", {"task": tasks[0]})
    assert moved.status_code == 403 and "task cannot be set" in moved.text
    # the organization's token settings are the admin's
    assert (
        call(
            thief_token, "POST", "/api/jwt/settings", {"legacy_api_tokens_enabled": False}
        ).status_code
        == 403
    )
    assert (
        call(
            thief_token, "POST", "/api/predictions.json", {"task": tasks[0], "result": []}
        ).status_code
        == 403
    )
    # webhooks carry the backend's credentials: members cannot even read them
    assert call(thief_token, "GET", "/api/webhooks/").status_code == 403
    # someone else's draft stays theirs
    draft = call(
        victim_token, "POST", f"/api/tasks/{tasks[2]}/drafts", {"result": sentence, "lead_time": 1}
    )
    assert draft.status_code == 201, draft.text
    for method in ("PATCH", "DELETE"):
        answer = call(
            thief_token, method, f"/api/drafts/{draft.json()['id']}/", {"result": sentence[:2]}
        )
        assert answer.status_code == 403 and "draft's author" in answer.text

    stored = admin.annotations.get(id=annotation)
    assert stored.completed_by == victim and stored.result[1]["value"]["text"] == ["피해자의 문장"]
    assert stored.result[2]["value"]["choices"] == ["confirm"]
    assert len(list(admin.tasks.list(project=project_id, fields="task_only"))) == 3
    # a manager's own vote project takes votes from that manager only
    from apeach_ls.labelstudio.vote_round import ensure_vote_projects

    projects, _ = ensure_vote_projects(admin, campaign, [f"{campaign}-victim@example.com"])
    vote_project = projects.by_manager[f"{campaign}-victim@example.com"]
    [vote_task] = admin.projects.import_tasks(
        id=vote_project,
        request=[
            {"text": "x", "submission_id": annotation, "topic": "t", "guideline": "g", "aids": ""}
        ],
        return_task_ids=True,
    ).task_ids
    ballot = [
        {
            "from_name": "decision",
            "to_name": "sentence",
            "type": "choices",
            "value": {"choices": ["drop"]},
        }
    ]
    answer = call(thief_token, "POST", f"/api/tasks/{vote_task}/annotations/", {"result": ballot})
    assert answer.status_code == 403 and "only the manager" in answer.text
    assert (
        call(
            victim_token, "POST", f"/api/tasks/{vote_task}/annotations/", {"result": ballot}
        ).status_code
        == 201
    )

    # the admin is not held back
    assert (
        call(
            ls.api_key,
            "PATCH",
            f"/api/tasks/{tasks[2]}/",
            {"data": {**admin.tasks.get(id=tasks[2]).data, "note": "admin"}},
        ).status_code
        == 200
    )


def test_only_the_validator_answers_in_their_own_validation_project(guarded_label_studio, campaign):
    """A writer who answers first in a validator's project (maximum_annotations=1) would take
    the validator's one slot on the task of their own sentence: the guard refuses it."""
    from apeach_ls.labelstudio.validation_round import ensure_validation_projects

    ls = guarded_label_studio
    admin = ls.client()
    validator, writer = f"{campaign}-v1@example.com", f"{campaign}-w1@example.com"
    validator_token = sign_up(ls.url, admin, validator, "validator-pass-123")
    writer_token = sign_up(ls.url, admin, writer, "writer-pass-123")
    projects, _ = ensure_validation_projects(admin, campaign, [validator])
    admin.projects.import_tasks(
        id=projects[validator],
        request=[
            {"data": {"submission_id": 1, "topic": "x", "text": "문장", "label": "혐오 표현"}}
        ],
    )
    (task,) = [t.id for t in admin.tasks.list(project=projects[validator], fields="task_only")]
    answer = [
        {
            "from_name": "answer",
            "to_name": "sentence",
            "type": "choices",
            "value": {"choices": ["right"]},
        }
    ]

    def post(token):
        return requests.post(
            f"{ls.url}/api/tasks/{task}/annotations/",
            json={"result": answer},
            timeout=30,
            headers={"Authorization": f"Token {token}"},
        )

    refused = post(writer_token)
    assert refused.status_code == 403 and "apeach-ls guard" in refused.text, refused.text
    assert post(validator_token).status_code == 201
