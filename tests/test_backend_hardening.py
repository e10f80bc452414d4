"""Issue 13, backend items 2-5 and 7: each case an adversarial probe found, in process.

Every bad input gets a 4xx with a reason (never a 500, never a traceback), and the
backend's state is unchanged afterwards. The slow-client, access-log and worker-count
cases need the real server: tests/test_backend_server.py.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from backend_requests import INTENT, KeywordClassifier, interactive, text_item
from verdicts import TEST_SECRET, generation_result

from apeach_ls import label_config
from apeach_ls.errors import ConfigError
from apeach_ls.generation_config import parse_generation_config
from apeach_ls.ml_backend import create_app
from apeach_ls.ml_backend.auth import basic_auth_ok
from apeach_ls.ml_backend.settings import BackendSettings

CONFIG = label_config.load("generation")


@pytest.fixture
def app():
    return create_app(
        BackendSettings(verdict_secret=TEST_SECRET, max_text_chars=200, max_tasks=50),
        KeywordClassifier(),
    )


@pytest.fixture
def client(app):
    return app.test_client()


def post(client, path, body, **kwargs):
    """POST ``body`` as JSON text exactly as given (bytes), or as ASCII JSON (lone surrogates as \\u escapes)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, data=data, content_type="application/json", **kwargs)


def big_config(n_choices: int) -> str:
    """The probe's config: one writer TextArea and N hate/not_hate Choices."""
    choices = "".join(
        f'<Choices name="c{i}" toName="t"><Choice value="hate"/><Choice value="not_hate"/></Choices>'
        for i in range(n_choices)
    )
    return f'<View><Text name="t" value="$t"/><TextArea name="x" toName="t" smartonly="true"/>{choices}</View>'


def annotation_event(
    annotation_id=6, result=None, updated_at="2026-11-23T10:00:00Z", project=None, **extra
):
    result = (
        result
        if result is not None
        else generation_result(
            "싫어 정말", "hate", ("hate", 0.9), "confirm", project_id=2, task_id=5
        )
    )
    annotation = {"id": annotation_id, "task": 5, "result": result, **extra}
    if updated_at is not None:
        annotation["updated_at"] = updated_at
    return {
        "action": "ANNOTATION_CREATED",
        "annotation": annotation,
        "project": project if project is not None else {"id": 2, "label_config": CONFIG},
    }


def deep(n: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * n + b"1" + close * n


def bad_shape(result_item):
    return [text_item("싫어 정말"), result_item]


# -- item 3 (and 2, 4, 7): a table of bad inputs, each a 4xx with its reason ------------

BAD = [
    # item 3: deep JSON was a RecursionError (500)
    ("/predict", deep(100_000), 400, "nested too deeply"),
    ("/webhook", deep(50_000, b'{"a":', b"}"), 400, "nested too deeply"),
    ("/setup", deep(60_000), 400, "nested too deeply"),
    # item 3: a lone surrogate was a UnicodeEncodeError when hashing (500)
    (
        "/predict",
        interactive(
            [text_item("좋아요")], label_config=CONFIG.replace("</View>", "\udc80</View>", 1)
        ),
        422,
        "lone surrogate",
    ),
    ("/setup", {"project": "2.1", "schema": CONFIG + "\udc80"}, 422, "lone surrogate"),
    ("/webhook", {"action": "\udc80"}, 422, "lone surrogate"),
    (
        "/webhook",
        b'{"action": "\xed\xb2\x80"}',
        400,
        "the body must be JSON in UTF-8",
    ),  # a surrogate as raw bytes
    (
        "/predict",
        json.dumps(interactive([text_item("좋아요 \ud83d\ude00")])).encode(),
        200,
        None,
    ),  # a pair is fine
    # item 3: result items of the wrong shape in /webhook were a 500
    ("/webhook", annotation_event(result=["x"]), 400, "annotation.result[0] must be an object"),
    (
        "/webhook",
        annotation_event(result=bad_shape({**INTENT, "value": "hate"})),
        400,
        "annotation.result[1]: 'value' must be an object",
    ),
    (
        "/webhook",
        annotation_event(result=bad_shape({**INTENT, "value": {"choices": 1}})),
        400,
        "annotation.result[1]: 'value.choices' must be a list of strings",
    ),
    (
        "/webhook",
        annotation_event(result=bad_shape({**INTENT, "value": {"choices": [["hate"]]}})),
        400,
        "annotation.result[1]: 'value.choices' must be a list of strings",
    ),
    (
        "/webhook",
        annotation_event(result=bad_shape({**INTENT, "value": {"choices": {"0": "hate"}}})),
        400,
        "annotation.result[1]: 'value.choices' must be a list of strings",
    ),
    (
        "/webhook",
        annotation_event(result=[{**text_item("x"), "value": {"text": 5}}]),
        400,
        "annotation.result[0]: 'value.text' must be a list of strings",
    ),
    (
        "/webhook",
        annotation_event(result=[{**text_item("x"), "from_name": 5}]),
        400,
        "annotation.result[0]: 'from_name' must be a string",
    ),
    # ... and in a non-interactive /predict's annotations
    (
        "/predict",
        {"tasks": [{"id": 1, "annotations": [{"result": ["x"]}]}], "project": "2.1"},
        400,
        "tasks[0].annotations[0].result[0] must be an object",
    ),
    (
        "/predict",
        {
            "tasks": [{"id": 1, "annotations": [{"result": [{**text_item("x"), "value": "x"}]}]}],
            "project": "2.1",
        },
        400,
        "tasks[0].annotations[0].result[0]: 'value' must be an object",
    ),
    (
        "/predict",
        {
            "tasks": [
                {
                    "id": 1,
                    "annotations": [{"result": bad_shape({**INTENT, "value": {"choices": 1}})}],
                }
            ],
            "project": "2.1",
        },
        400,
        "tasks[0].annotations[0].result[1]: 'value.choices' must be a list",
    ),
    (
        "/predict",
        {"tasks": [{"id": 1, "annotations": ["x"]}], "project": "2.1"},
        400,
        "tasks[0].annotations[0] must be an object",
    ),
    (
        "/predict",
        {"tasks": [{"id": 1, "annotations": {"result": []}}], "project": "2.1"},
        400,
        "tasks[0].annotations must be a list",
    ),
    # item 2: a config over the size limit is refused before it is hashed or parsed
    (
        "/predict",
        interactive([text_item("좋아요")], label_config=big_config(2000)),
        413,
        "Label config is 180978 characters; the limit is 100000",
    ),
    ("/setup", {"project": "2.1", "schema": big_config(2000)}, 413, "APEACH_ML_MAX_CONFIG_CHARS"),
    (
        "/webhook",
        annotation_event(project={"id": 2, "label_config": big_config(2000)}),
        413,
        "APEACH_ML_MAX_CONFIG_CHARS",
    ),
    # item 4: the text limit applies to the webhook too
    (
        "/webhook",
        annotation_event(
            result=generation_result("가" * 201, "hate", ("hate", 0.9), "confirm", 2, 5)
        ),
        413,
        "the sentence is 201 characters; the limit is 200",
    ),
    # item 7: invisible sentences get no verdict
    (
        "/predict",
        interactive([text_item("\u200b\u200c\u200d\ufeff")]),
        422,
        "no visible characters",
    ),
    ("/predict", interactive([text_item("\u3164 \u2060")]), 422, "no visible characters"),
    ("/predict", interactive([text_item("\udc80\udc81")]), 422, "lone surrogate"),
    (
        "/webhook",
        annotation_event(
            result=generation_result("\u200b\u200b", "hate", ("hate", 0.9), "confirm", 2, 5)
        ),
        422,
        "no visible characters",
    ),
    # item 7: '²' is a digit to str.isdigit, not a project id (it was a 500 at int())
    (
        "/predict",
        interactive([text_item("좋아요")], project="²"),
        400,
        "'project' must start with a numeric",
    ),
    (
        "/predict",
        interactive([text_item("좋아요")], project="2²"),
        400,
        "'project' must start with a numeric",
    ),
    (
        "/predict",
        interactive([text_item("좋아요")], project="٣.1"),
        400,
        "'project' must start with a numeric",
    ),
    (
        "/predict",
        interactive([text_item("좋아요")], project="1" * 5000),
        400,
        "'project' must start with a numeric",
    ),
    ("/setup", {"project": "²", "schema": CONFIG}, 400, "'project' must start with a numeric"),
    # item 7: the webhook's project.id is validated, whatever the action
    (
        "/webhook",
        annotation_event(project={"id": "²", "label_config": CONFIG}),
        400,
        "'project.id' must be",
    ),
    (
        "/webhook",
        annotation_event(project={"id": True, "label_config": CONFIG}),
        400,
        "'project.id' must be",
    ),
    (
        "/webhook",
        annotation_event(project={"id": -2, "label_config": CONFIG}),
        400,
        "'project.id' must be",
    ),
    (
        "/webhook",
        annotation_event(project={"id": 2.5, "label_config": CONFIG}),
        400,
        "'project.id' must be",
    ),
    ("/webhook", annotation_event(project="2"), 400, "'project' must be an object"),
    (
        "/webhook",
        {"action": "START_TRAINING", "project": {"id": "1\nFAKE LOG LINE"}},
        400,
        "'project.id' must be",
    ),
    (
        "/webhook",
        {"action": "PROJECT_UPDATED", "project": {"id": [2]}},
        400,
        "'project.id' must be",
    ),
    (
        "/webhook",
        {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 1}], "project": {"id": "x"}},
        400,
        "'project.id' must be",
    ),
    # item 5: an id of true is not annotation 1
    (
        "/webhook",
        {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": True}]},
        400,
        "integer 'id'",
    ),
    (
        "/webhook",
        {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 1}] * 51},
        413,
        "too many annotations",
    ),
]


@pytest.mark.parametrize(
    "path,body,status,reason", BAD, ids=[f"{i}-{p}" for i, (p, *_) in enumerate(BAD)]
)
def test_bad_input_gets_a_4xx_with_a_reason_and_changes_nothing(
    app, client, path, body, status, reason
):
    post(client, "/setup", {"project": "2.1", "schema": CONFIG})
    submissions = app.extensions["apeach_submissions"]
    r = post(client, path, body)
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    if reason is not None:
        assert reason in r.json["error"]
    assert "Traceback" not in r.get_data(as_text=True)
    assert len(submissions) == 0  # nothing was counted
    # the backend still works and its state is intact
    assert post(client, "/predict", interactive([text_item("좋아요")])).status_code == 200
    assert post(client, "/webhook", annotation_event(annotation_id=1)).json["status"] == "ok"


# -- item 2: linear parsing, a size limit, failures cached ---------------------------------


def test_label_config_parsing_is_linear():
    """12,000 Choices (1.2 MB) took 6.3 s of CPU when each role's position was a list.index."""
    config = big_config(12_000)
    assert len(config) > 1_000_000
    started = time.process_time()
    with pytest.raises(ConfigError, match="Label config must have"):
        parse_generation_config(config, max_chars=len(config))
    assert time.process_time() - started < 1.5


def test_config_size_limit_is_a_setting():
    assert BackendSettings.from_env({}).max_config_chars == 100_000
    assert BackendSettings.from_env({"APEACH_ML_MAX_CONFIG_CHARS": "5000"}).max_config_chars == 5000
    with pytest.raises(ConfigError, match="APEACH_ML_MAX_CONFIG_CHARS must be a whole number"):
        BackendSettings.from_env({"APEACH_ML_MAX_CONFIG_CHARS": "big"})
    with pytest.raises(ConfigError, match="Label config is 100001 characters; the limit is 100000"):
        parse_generation_config("x" * 100_001)


def test_failed_configs_are_cached_and_the_cache_is_bounded(client, monkeypatch):
    import apeach_ls.ml_backend.verdicts as model

    calls = []
    real = model.parse_generation_config

    def counting(xml, **kwargs):
        calls.append(len(xml))
        return real(xml, **kwargs)

    monkeypatch.setattr(model, "parse_generation_config", counting)
    bad = big_config(300)  # under the size limit; wrong roles
    for _ in range(5):
        r = post(client, "/setup", {"project": "2.1", "schema": bad})
        assert r.status_code == 422 and "Label config must have" in r.json["error"]
    assert len(calls) == 1  # a failure is remembered, not paid again
    for _ in range(3):
        assert post(client, "/setup", {"project": "2.1", "schema": CONFIG}).status_code == 200
    assert len(calls) == 2
    for i in range(model.CONFIG_CACHE_SIZE + 10):  # distinct configs do not grow the cache for ever
        post(client, "/setup", {"project": "2.1", "schema": f"<View>{i}</View>"})
    service = client.application.extensions["apeach_verdicts"]
    assert len(service._tags_by_config) == model.CONFIG_CACHE_SIZE


# -- item 5: webhook times are compared as times ------------------------------------------


@pytest.mark.parametrize(
    "first,second,status",
    [
        (
            "2026-11-23T10:00:00Z",
            "2026-11-23T10:00:00.500000Z",
            "ok",
        ),  # fractional seconds are later
        ("2026-11-23T10:00:00.5Z", "2026-11-23T10:00:00.25Z", "duplicate"),
        ("2026-11-23T10:00:00Z", "2026-11-23T11:30:00+01:00", "ok"),  # 10:30 UTC
        ("2026-11-23T10:00:00Z", "2026-11-23T10:30:00+01:00", "duplicate"),  # 09:30 UTC
        ("2026-11-23T10:00:00+09:00", "2026-11-23T02:00:00Z", "ok"),  # 01:00 UTC then 02:00 UTC
        ("2026-11-23T10:00:00Z", None, "ok"),  # no timestamp: taken as an update
        (None, None, "ok"),
        ("2026-11-23T10:00:00Z", "not a time", "ok"),
        ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00Z", "duplicate"),
    ],
)
def test_a_newer_update_is_never_taken_for_a_duplicate(client, first, second, status):
    assert post(client, "/webhook", annotation_event(updated_at=first)).json["status"] == "ok"
    update = annotation_event(updated_at=second)
    update["action"] = "ANNOTATION_UPDATED"
    assert post(client, "/webhook", update).json["status"] == status


def test_deleting_id_true_does_not_delete_annotation_1(app, client):
    assert (
        post(
            client, "/webhook", {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": True}]}
        ).status_code
        == 400
    )
    assert post(client, "/webhook", annotation_event(annotation_id=1)).json["status"] == "ok"
    assert 1 in app.extensions["apeach_submissions"]


# -- item 7: the auth scheme is case-insensitive -----------------------------------------


@pytest.mark.parametrize("scheme", ["Basic", "basic", "BASIC", "bAsIc"])
def test_the_basic_scheme_is_case_insensitive(scheme):
    token = base64.b64encode(b"mluser:mlpass").decode()
    assert basic_auth_ok(f"{scheme} {token}", "mluser", "mlpass")
    assert basic_auth_ok(f"{scheme}   {token}", "mluser", "mlpass")
    assert not basic_auth_ok(f"{scheme}{token}", "mluser", "mlpass")
    assert not basic_auth_ok(f"Bearer {token}", "mluser", "mlpass")


def test_lowercase_basic_gets_through_the_app():
    settings = BackendSettings(
        verdict_secret=TEST_SECRET, basic_auth_user="mluser", basic_auth_password="mlpass"
    )
    client = create_app(settings, KeywordClassifier()).test_client()
    token = base64.b64encode(b"mluser:mlpass").decode()
    assert client.get("/health", headers={"Authorization": f"basic {token}"}).status_code == 200
