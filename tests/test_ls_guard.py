"""The Label Studio guard's policy: which writes a non-admin member may make."""

from __future__ import annotations

import pytest

from apeach_ls.labelstudio.guard import TaskSlots, project_manager, refusal

ME, OTHER = 7, 8
OWNERS = {100: ME, 200: OTHER}


def why(method, path, body=None, admin=False, action=None):
    return refusal(method, path, body, ME, admin, OWNERS.get, action)


@pytest.mark.parametrize(
    "method,path,body,action",
    [
        ("GET", "/api/projects/3", None, None),
        ("GET", "/api/annotations/200", None, None),
        ("POST", "/api/tasks/5/annotations/", {"result": []}, None),
        ("POST", "/api/tasks/5/annotations/", {"result": [], "completed_by": ME}, None),
        ("PATCH", "/api/annotations/100/", {"result": []}, None),
        ("DELETE", "/api/annotations/100", None, None),
        ("POST", "/api/tasks/5/drafts", {"result": []}, None),
        ("PATCH", "/api/drafts/9", {"result": []}, None),
        ("POST", "/api/ml/2/interactive-annotating", {"task": 5}, None),
        ("POST", "/api/dm/actions", {}, "next_task"),
        ("POST", "/api/dm/views/", {"project": 3}, None),
        ("PATCH", f"/api/users/{ME}/", {"first_name": "x"}, None),
    ],
)
def test_what_writers_and_managers_need_is_allowed(method, path, body, action):
    assert why(method, path, body, action=action) is None


@pytest.mark.parametrize(
    "method,path,body,action,reason",
    [
        (
            "POST",
            "/api/labels/bulk",
            {"project": 3, "old_label": ["drop"], "new_label": ["keep"]},
            None,
            "admins only",
        ),
        ("PATCH", "/api/tasks/5/", {"data": {"text": "x"}}, None, "tasks is for admins only"),
        ("POST", "/api/tasks/", {"project": 3, "data": {}}, None, "tasks is for admins only"),
        (
            "POST",
            "/api/projects/3/import",
            [{"data": {}, "annotations": [{"completed_by": 8}]}],
            None,
            "admins only",
        ),
        ("PATCH", "/api/projects/3/", {"label_config": "<View/>"}, None, "admins only"),
        (
            "POST",
            "/api/projects/",
            {"title": "[apeach-ls campaign=x role=generation]"},
            None,
            "admins only",
        ),
        ("POST", "/api/webhooks/", {"url": "http://attacker"}, None, "admins only"),
        ("DELETE", "/api/webhooks/4/", None, None, "admins only"),
        ("POST", "/api/ml", {"url": "http://attacker"}, None, "ML backends"),
        ("PATCH", "/api/ml/2", {"url": "http://attacker"}, None, "ML backends"),
        (
            "POST",
            "/api/dm/actions",
            {},
            "delete_tasks_annotations",
            "'delete_tasks_annotations' is for admins",
        ),
        (
            "POST",
            "/api/tasks/5/annotations/",
            {"result": [], "completed_by": OTHER},
            None,
            "in your own name",
        ),
        (
            "POST",
            "/api/tasks/5/annotations/",
            {"result": [], "completed_by": {"id": OTHER}},
            None,
            "in your own name",
        ),
        ("PATCH", "/api/annotations/200/", {"result": []}, None, "only the annotation's author"),
        ("DELETE", "/api/annotations/200", None, None, "only the annotation's author"),
        (
            "POST",
            "/api/annotations/200/convert-to-draft",
            None,
            None,
            "only the annotation's author",
        ),
        ("PATCH", "/api/annotations/100/", {"completed_by": OTHER}, None, "cannot be handed"),
        ("PATCH", f"/api/users/{OTHER}/", {"email": "x"}, None, "other users"),
        ("POST", "/api/users/", {"email": "x"}, None, "other users"),
    ],
)
def test_writes_that_could_change_labels_votes_or_money_unseen_are_refused(
    method, path, body, action, reason
):
    refused = why(method, path, body, action=action)
    assert refused is not None and reason in refused
    assert why(method, path, body, admin=True, action=action) is None  # admins may


def test_a_task_takes_no_more_annotations_than_its_project_allows():
    full = TaskSlots(annotations=1, maximum=1, manager=None)
    refused = refusal(
        "POST",
        "/api/tasks/5/annotations/",
        {"result": []},
        ME,
        False,
        OWNERS.get,
        slots_of=lambda task_id: full,
    )
    assert refused is not None and "already has its 1 annotation" in refused
    free = TaskSlots(annotations=0, maximum=1, manager=None)
    assert (
        refusal(
            "POST",
            "/api/tasks/5/annotations/",
            {"result": []},
            ME,
            False,
            OWNERS.get,
            slots_of=lambda task_id: free,
        )
        is None
    )


def test_only_the_manager_votes_in_their_own_vote_project():
    mine = TaskSlots(annotations=0, maximum=1, manager="m1@example.org")
    assert (
        refusal(
            "POST",
            "/api/tasks/5/annotations/",
            {"result": []},
            ME,
            False,
            OWNERS.get,
            slots_of=lambda task_id: mine,
            user_email="M1@Example.org",
        )
        is None
    )
    refused = refusal(
        "POST",
        "/api/tasks/5/annotations/",
        {"result": []},
        ME,
        False,
        OWNERS.get,
        slots_of=lambda task_id: mine,
        user_email="writer@example.org",
    )
    assert refused is not None and "only the manager" in refused


def test_the_manager_is_read_from_the_vote_projects_marker():
    from apeach_ls.labelstudio.projects import marker

    assert (
        project_manager(f"k=3 managers ... {marker('c1', 'vote', 'm1@example.org')}")
        == "m1@example.org"
    )
    assert (
        project_manager(marker("c1", "vote")) is None
        and project_manager(marker("c1", "generation")) is None
    )
    assert project_manager(None) is None


def test_a_form_body_cannot_slip_past_the_checks():
    from apeach_ls.labelstudio.guard import NOT_JSON

    for path in ("/api/tasks/5/annotations/", "/api/annotations/100/"):
        refused = why("POST" if "tasks" in path else "PATCH", path, NOT_JSON)
        assert refused is not None and "as JSON" in refused
    assert why("POST", f"/api/users/{ME}/avatar", NOT_JSON) is None  # an avatar upload is a file


def test_webhooks_are_not_even_readable_they_carry_the_backends_credentials():
    refused = why("GET", "/api/webhooks/")
    assert refused is not None and "admins only" in refused
    assert why("GET", "/api/webhooks/", admin=True) is None


def test_only_a_drafts_author_changes_or_deletes_it():
    owners = {1: ME, 2: OTHER}
    for method in ("PATCH", "DELETE"):
        assert (
            refusal(
                method,
                "/api/drafts/1/",
                {"result": []},
                ME,
                False,
                OWNERS.get,
                draft_owner_of=owners.get,
            )
            is None
        )
        refused = refusal(
            method,
            "/api/drafts/2/",
            {"result": []},
            ME,
            False,
            OWNERS.get,
            draft_owner_of=owners.get,
        )
        assert refused is not None and "draft's author" in refused


@pytest.mark.parametrize(
    "method,path,body,reason",
    [
        ("POST", "/api/predictions.json", {"task": 3, "result": []}, "admins only"),
        ("POST", "/api/labels.json", [], "admins only"),
        ("POST", "/api/jwt/settings", {"legacy_api_tokens_enabled": False}, "admins only"),
        ("PATCH", "/api/session-policy/", {"max_session_age": 1}, "admins only"),
        ("POST", "/api/label_links/", {}, "admins only"),
        ("PATCH", "/api/annotations/100/", {"task": 10}, "task cannot be set"),
        ("PATCH", "/api/annotations/100/", {"project": 2, "result": []}, "project cannot be set"),
        ("POST", "/api/tasks/5/annotations/", {"result": [], "task": 9}, "task cannot be set"),
        ("PATCH", "/api/annotations/100/", {"was_cancelled": False}, "cannot be brought back"),
        ("POST", "/api/tasks/5/annotations/200/drafts", {"result": []}, "draft changes"),
    ],
)
def test_bypasses_found_by_the_second_review_are_closed(method, path, body, reason):
    refused = why(method, path, body)
    assert refused is not None and reason in refused


def test_a_writer_still_skips_and_drafts_their_own():
    assert why("POST", "/api/tasks/5/annotations/", {"result": [], "was_cancelled": True}) is None
    assert why("POST", "/api/tasks/5/annotations/100/drafts", {"result": []}) is None


def test_the_validator_is_read_from_the_validation_projects_marker():
    """A validation project (maximum_annotations=1) belongs to one validator like a vote
    project to its manager: without this, a writer's annotation takes the validator's one
    slot on the task of their own sentence, and the validator can no longer answer."""
    from apeach_ls.labelstudio.validation_round import validation_options

    description = validation_options("c1", "v1@example.org")["description"]
    assert project_manager(description) == "v1@example.org"


def test_only_the_validator_answers_in_their_own_validation_project():
    from apeach_ls.labelstudio.validation_round import validation_options

    owner = project_manager(validation_options("c1", "v1@example.org")["description"])
    theirs = TaskSlots(annotations=0, maximum=1, manager=owner)
    refused = refusal(
        "POST",
        "/api/tasks/5/annotations/",
        {"result": []},
        ME,
        False,
        OWNERS.get,
        slots_of=lambda task_id: theirs,
        user_email="writer@example.org",
    )
    assert refused is not None and "belongs to" in refused
    assert (
        refusal(
            "POST",
            "/api/tasks/5/annotations/",
            {"result": []},
            ME,
            False,
            OWNERS.get,
            slots_of=lambda task_id: theirs,
            user_email="v1@example.org",
        )
        is None
    )
