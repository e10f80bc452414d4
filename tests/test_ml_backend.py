"""The ML backend's wire contract, in process with Flask's test client.

The classifier here is a deterministic keyword stand-in (the protocol is what is tested);
the real model is exercised under gunicorn in tests/test_integration_generation.py.
"""

from __future__ import annotations

import base64
import logging

import pytest
from backend_requests import CONFIG, INTENT, KeywordClassifier, interactive, text_item
from verdicts import KEY, TEST_SECRET, context, generation_result

from apeach_ls.labels import Verdict
from apeach_ls.ml_backend import create_app
from apeach_ls.ml_backend.settings import BackendSettings
from apeach_ls.receipts import verify


@pytest.fixture
def classifier():
    return KeywordClassifier()


@pytest.fixture
def client(classifier):
    return create_app(
        BackendSettings(verdict_secret=TEST_SECRET, max_text_chars=200, max_tasks=50), classifier
    ).test_client()


def test_health_and_setup(client):
    assert client.get("/health").json == {
        "status": "UP",
        "model_class": "KeywordClassifier",
        "model_version": "keyword-v1",
    }
    r = client.post(
        "/setup",
        json={
            "project": "2.17",
            "schema": CONFIG,
            "hostname": "http://x",
            "access_token": "secret-token",
            "extra_params": None,
        },
    )
    assert r.status_code == 200 and r.json == {"model_version": "keyword-v1"}


@pytest.mark.parametrize(
    "context",
    [
        [INTENT, text_item("이 사람들 정말 싫어 꺼져")],
        [text_item("이 사람들 정말 싫어 꺼져")],
        [
            text_item("이 사람들 정말 싫어 꺼져"),
            {**INTENT, "from_name": "verdict", "score": 0.3},
            INTENT,
        ],
    ],
)
def test_interactive_verdict_finds_the_sentence_among_other_results(client, classifier, context):
    r = client.post("/predict", json=interactive(context))
    assert r.status_code == 200
    [prediction] = r.json["results"]
    verdict, score, receipt, agreement = prediction["result"]
    assert verdict == {
        "from_name": "verdict",
        "to_name": "prompt",
        "type": "choices",
        "value": {"choices": ["hate"]},
        "score": 0.9,
        "readonly": True,
    }
    assert score["from_name"] == "verdict_score" and score["value"] == {"text": ["확신도 0.90"]}
    # a new verdict clears an agreement ticked for an earlier one
    assert agreement == {
        "from_name": "agreement",
        "to_name": "prompt",
        "type": "choices",
        "value": {"choices": []},
    }
    assert prediction["model_version"] == "keyword-v1" and prediction["score"] == 0.9
    assert classifier.calls == [["이 사람들 정말 싫어 꺼져"]]
    # the receipt, hidden from the writer, verifies for this project, task and sentence only
    assert receipt["from_name"] == "verdict_receipt" and receipt["readonly"] is True
    [token] = receipt["value"]["text"]
    check = verify(
        KEY, [token], project_id=2, task_id=2, text="이 사람들 정말 싫어 꺼져", shown_label="hate"
    )
    assert (
        check.signed.verdict == Verdict("hate", 0.9) and check.signed.model_version == "keyword-v1"
    )
    assert (
        verify(
            KEY,
            [token],
            project_id=2,
            task_id=3,
            text="이 사람들 정말 싫어 꺼져",
            shown_label="hate",
        ).signed
        is None
    )
    assert (
        verify(
            KEY, [token], project_id=2, task_id=2, text="이 사람들 정말 싫어", shown_label="hate"
        ).signed
        is None
    )


def test_an_interactive_verdict_needs_the_task_id_and_project_its_receipt_names(client):
    body = interactive([text_item("좋아요")])
    body["tasks"][0]["id"] = "2"
    r = client.post("/predict", json=body)
    assert r.status_code == 400 and "'id' must be the task's integer id" in r.json["error"]
    body = interactive([text_item("좋아요")])
    del body["project"]
    r = client.post("/predict", json=body)
    assert r.status_code == 400 and "'project' is required" in r.json["error"]


def test_empty_context_after_submit_gets_a_no_op(client, classifier):
    r = client.post("/predict", json=interactive([]))
    assert r.status_code == 200 and r.json["results"] == [{"result": []}]
    assert classifier.calls == []


def test_non_interactive_batch_gives_one_prediction_per_task(client, classifier):
    tasks = [
        {"id": i, "data": {}, "annotations": ([{"result": [text_item(t)]}] if t else [])}
        for i, t in enumerate(["싫어 진짜", None, "좋은 하루"])
    ]
    r = client.post("/predict", json={"tasks": tasks, "project": "2.1", "label_config": CONFIG})
    results = r.json["results"]
    assert len(results) == 3
    assert results[0]["result"][0]["value"] == {"choices": ["hate"]}
    assert results[1]["result"] == []
    assert results[2]["result"][0]["value"] == {"choices": ["not_hate"]}
    assert classifier.calls == [["싫어 진짜", "좋은 하루"]]  # one batched call


def test_project_known_from_setup_needs_no_label_config(client):
    body = interactive([text_item("좋아요")])
    del body["label_config"]
    assert client.post("/predict", json=body).status_code == 404
    client.post("/setup", json={"project": "2.1795410492", "schema": CONFIG})
    assert client.post("/predict", json=body).json["results"][0]["result"][0]["value"] == {
        "choices": ["not_hate"]
    }


BAD_INPUTS = [
    ("/predict", b"not json", 400, "the body must be JSON"),
    ("/predict", [], 400, "the body must be a JSON object"),
    ("/predict", {}, 400, "'tasks' must be a non-empty list"),
    ("/predict", {"tasks": "x"}, 400, "'tasks' must be a non-empty list"),
    ("/predict", {"tasks": [1]}, 400, "tasks[0] must be an object"),
    ("/predict", {"tasks": [{}] * 51}, 413, "too many tasks in one request (51 > 50)"),
    ("/predict", {"tasks": [{}], "label_config": 5}, 400, "'label_config' must be a string"),
    (
        "/predict",
        {"tasks": [{}], "project": "abc"},
        400,
        "'project' must start with a numeric project id",
    ),
    ("/predict", {"tasks": [{}], "project": "9.1"}, 404, "unknown project '9'"),
    (
        "/predict",
        {"tasks": [{}], "params": {"context": "x"}, "label_config": CONFIG},
        400,
        "'params.context' must be an object",
    ),
    ("/predict", interactive([text_item(["a", 1])]), 400, "'value.text' must be a list of strings"),
    ("/predict", interactive([text_item("   ")]), 422, "the sentence is empty"),
    (
        "/predict",
        interactive([text_item("가" * 201)]),
        413,
        "the sentence is 201 characters; the limit is 200",
    ),
    (
        "/predict",
        interactive([text_item("x")], label_config="<View>"),
        422,
        "Label config is not valid XML",
    ),
    (
        "/predict",
        interactive([text_item("x")], label_config="<View/>"),
        422,
        "exactly one TextArea",
    ),
    ("/setup", {"project": "1.2"}, 400, "'schema' must be the project's labeling config"),
    ("/setup", {"schema": "<View><Text name='t' value='$t'/></View>"}, 422, "exactly one TextArea"),
    ("/webhook", {}, 400, "'action' must name the event"),
    ("/webhook", {"action": "ANNOTATION_CREATED"}, 400, "'annotation' must be an object"),
    (
        "/webhook",
        {"action": "ANNOTATION_CREATED", "annotation": {"id": "7", "result": []}},
        400,
        "'annotation.id' must be an integer",
    ),
    (
        "/webhook",
        {"action": "ANNOTATION_UPDATED", "annotation": {"id": 7, "result": {}}},
        400,
        "'annotation.result' must be a list",
    ),
    (
        "/webhook",
        {
            "action": "ANNOTATION_CREATED",
            "annotation": {"id": 7, "result": []},
            "project": {"id": 99},
        },
        404,
        "unknown project '99'",
    ),
    (
        "/webhook",
        {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": "x"}]},
        400,
        "integer 'id'",
    ),
]


@pytest.mark.parametrize("path,body,status,reason", BAD_INPUTS)
def test_bad_input_gets_a_4xx_with_a_reason_and_changes_nothing(client, path, body, status, reason):
    client.post("/setup", json={"project": "2.1", "schema": CONFIG})
    kwargs = (
        {"data": body, "content_type": "application/json"}
        if isinstance(body, bytes)
        else {"json": body}
    )
    r = client.post(path, **kwargs)
    assert r.status_code == status, r.json
    assert reason in r.json["error"]
    assert "Traceback" not in r.get_data(as_text=True)
    # the backend still works and its state is intact
    ok = client.post("/predict", json=interactive([text_item("좋아요")]))
    assert ok.status_code == 200
    assert client.post("/predict", json={"tasks": [{}], "project": "2.1"}).status_code == 200


def test_wrong_method_and_unknown_route_are_json_4xx(client):
    assert client.get("/predict").status_code == 405
    r = client.get("/nope")
    assert r.status_code == 404 and "error" in r.json


def test_webhook_checks_the_receipt_of_the_final_text_and_deduplicates(client):
    result = generation_result(
        "싫어 정말", "not_hate", ("hate", 0.9), "flip", project_id=2, task_id=5
    )
    honest = {
        "action": "ANNOTATION_CREATED",
        "project": {"id": 2, "label_config": CONFIG},
        "annotation": {"id": 6, "task": 5, "updated_at": "2026-11-23T10:00:00Z", "result": result},
    }
    assert client.post("/webhook", json=honest).json == {
        "status": "ok",
        "action": "ANNOTATION_CREATED",
        "annotation": 6,
        "label": "not_hate",
        "fooled": True,
        "flags": [],
    }
    edited = [item if item["from_name"] != "text" else text_item("좋은 하루") for item in result]
    annotation = {"id": 7, "task": 5, "updated_at": "2026-11-23T10:00:00Z", "result": edited}
    body = {
        "action": "ANNOTATION_CREATED",
        "annotation": annotation,
        "project": {"id": 2, "label_config": CONFIG},
    }
    first = client.post(
        "/webhook", json=body
    ).json  # edited after the verdict: the receipt no longer matches
    assert first == {
        "status": "ok",
        "action": "ANNOTATION_CREATED",
        "annotation": 7,
        "label": "not_hate",
        "fooled": False,
        "flags": ["verdict_unverified"],
    }
    assert client.post("/webhook", json=body).json["status"] == "duplicate"
    older = {
        **body,
        "action": "ANNOTATION_UPDATED",
        "annotation": {**annotation, "updated_at": "2026-11-23T09:00:00Z"},
    }
    assert client.post("/webhook", json=older).json["status"] == "duplicate"
    deleted = client.post(
        "/webhook", json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 7}]}
    )
    assert deleted.json["deleted"] == [7]
    training = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 2}}).json
    assert training["status"] == "ignored" and "retraining is off" in training["reason"]
    assert client.post("/webhook", json={"action": "TASKS_CREATED"}).json["status"] == "ignored"


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_basic_auth_guards_every_route_and_never_logs_secrets(classifier, caplog):
    settings = BackendSettings(
        verdict_secret=TEST_SECRET, basic_auth_user="mluser", basic_auth_password="mlpass"
    )
    client = create_app(settings, classifier).test_client()
    caplog.set_level(logging.DEBUG)
    for method, path in [
        ("get", "/health"),
        ("post", "/setup"),
        ("post", "/predict"),
        ("post", "/webhook"),
    ]:
        assert getattr(client, method)(path).status_code == 401
        assert getattr(client, method)(path, headers=basic("mluser", "wrong")).status_code == 401
        assert (
            getattr(client, method)(path, headers={"Authorization": "Basic !!!"}).status_code == 401
        )
    ok = client.post(
        "/setup",
        headers=basic("mluser", "mlpass"),
        json={"project": "3.1", "schema": CONFIG, "access_token": "ls-token-123"},
    )
    assert ok.status_code == 200
    bad = client.post(
        "/setup",
        headers=basic("mluser", "mlpass"),
        json={"project": "3.1", "schema": "<View/>", "access_token": "ls-token-123"},
    )
    assert bad.status_code == 422
    assert "mlpass" not in caplog.text and "ls-token-123" not in caplog.text
    assert "mlpass" not in repr(settings)


def test_receipts_need_no_state_any_replica_or_model_swap_verifies_them(classifier):
    """Two backends (replicas, or gunicorn workers) with the same secret, and a model swap in
    between: every receipt verifies from the annotation alone."""
    from apeach_ls.correction import correct

    class Other(KeywordClassifier):
        version = "keyword-v2"

    replicas = [
        create_app(BackendSettings(verdict_secret=TEST_SECRET), c) for c in (classifier, Other())
    ]
    results = []
    for app in replicas:
        prediction = (
            app.test_client()
            .post("/predict", json=interactive([text_item("싫어 정말")]))
            .json["results"][0]
        )
        results.append(prediction["result"])
    replicas[0].extensions["apeach_verdicts"].swap(
        Other()
    )  # the model changes after the first verdict
    for result, version in zip(results, ("keyword-v1", "keyword-v2")):
        stored = [
            INTENT,
            text_item("싫어 정말"),
            *[i for i in result if i["from_name"] != "agreement"],
            {"from_name": "agreement", "type": "choices", "value": {"choices": ["confirm"]}},
        ]
        checked = correct(stored, receipts=context(project_id=2, task_id=2))
        assert (
            checked.verdict == Verdict("hate", 0.9)
            and checked.model_version == version
            and not checked.flags
        )
