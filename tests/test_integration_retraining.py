"""Retraining trusts only Label Studio: forged webhook events against a backend whose
retrainer reads the campaign from a real Label Studio."""

from __future__ import annotations

import pytest
import requests
from ls_users import sign_up
from verdicts import TEST_SECRET

from apeach_ls import label_config
from apeach_ls.classifier.data import read_labeled
from apeach_ls.classifier.ngram import save_ngram, train_ngram
from apeach_ls.classifier.registry import ModelRegistry
from apeach_ls.labelstudio.projects import setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.ml_backend import create_app, create_retrainer
from apeach_ls.ml_backend.settings import BackendSettings
from apeach_ls.prompts import default_prompts

pytestmark = pytest.mark.integration

CONFIG = label_config.load("generation")
POISON = "오늘 날씨가 정말 좋네요"
HONEST = [
    ("여자는 운전을 못해", "hate"),
    ("오늘 점심 맛있었다", "not_hate"),
    ("저 지역 사람들은 다 사기꾼이야", "hate"),
    ("채식하는 사람 존중해요", "not_hate"),
    ("장애인은 집에나 있어라", "hate"),
    ("우리 팀 과장님 최고", "not_hate"),
]


def test_forged_webhook_events_leave_the_served_model_and_its_held_out_slice_unchanged(
    label_studio, campaign, tmp_path, beep_dir
):
    train = read_labeled(beep_dir / "train.tsv")
    weak = train_ngram(train[:150])
    registry = ModelRegistry(tmp_path / "registry")
    registry.publish(weak.version, lambda d: save_ngram(weak, d), reason="initial")
    base = tmp_path / "base.tsv"
    base.write_text(
        "\n".join((beep_dir / "train.tsv").read_text(encoding="utf-8").splitlines()[:2000]) + "\n",
        encoding="utf-8",
    )
    settings = BackendSettings(
        verdict_secret=TEST_SECRET,
        model_spec=str(registry.root),
        retrain_every=200,
        base_train_data=str(base),
        holdout_data=str(beep_dir / "dev.tsv"),
        label_studio_url=label_studio.url,
        label_studio_api_key=label_studio.api_key,
    )
    app = create_app(settings)
    backend = app.test_client()

    # honest writers: verdicts (with receipts) from this backend, submitted to Label Studio
    client = label_studio.client()
    project_id = setup_generation(client, campaign, None).project_id
    import_prompts(client, project_id, default_prompts()[:1], len(HONEST) + 1)
    task_ids = [t.id for t in client.tasks.list(project=project_id, fields="task_only")]
    writer = client.users.create(username=f"{campaign}-w", email=f"{campaign}-w@example.com").id

    def verdict_for(task_id, text):
        body = {
            "tasks": [{"id": task_id, "data": {}}],
            "project": f"{project_id}.1",
            "label_config": CONFIG,
            "params": {
                "context": {
                    "result": [
                        {
                            "from_name": "text",
                            "to_name": "prompt",
                            "type": "textarea",
                            "value": {"text": [text]},
                        }
                    ]
                }
            },
        }
        return [
            i
            for i in backend.post("/predict", json=body).json["results"][0]["result"]
            if i["from_name"] != "agreement"
        ]

    for task_id, (text, intent) in zip(task_ids, HONEST):
        result = verdict_for(task_id, text)
        shown = result[0]["value"]["choices"][0]
        result += [
            {
                "from_name": "text",
                "to_name": "prompt",
                "type": "textarea",
                "value": {"text": [text]},
            },
            {
                "from_name": "intent",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [intent]},
            },
            {
                "from_name": "agreement",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": ["confirm" if shown == intent else "flip"]},
            },
        ]
        client.annotations.create(id=task_id, result=result, completed_by=writer)
    # a writer's own token also stores the poison in Label Studio, with a made-up verdict
    token = sign_up(label_studio.url, client, f"{campaign}-forger@example.com", "forger-pass-123")
    stored = requests.post(
        f"{label_studio.url}/api/tasks/{task_ids[-1]}/annotations",
        timeout=30,
        headers={"Authorization": f"Token {token}"},
        json={
            "result": [
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
                    "value": {"text": [POISON]},
                },
                {
                    "from_name": "verdict",
                    "to_name": "prompt",
                    "type": "choices",
                    "value": {"choices": ["hate"]},
                    "score": 0.99,
                },
                {
                    "from_name": "agreement",
                    "to_name": "prompt",
                    "type": "choices",
                    "value": {"choices": ["confirm"]},
                },
            ]
        },
    )
    assert stored.status_code == 201, stored.text

    retrainer = create_retrainer(settings)  # reads the campaign from Label Studio
    trained_on, held_before = retrainer.campaign_examples()
    assert {text for text, _ in HONEST} <= {ex.text for ex in trained_on + held_before}
    holdout_before = retrainer.holdout_slice()
    verdict_before = verdict_for(task_ids[0], POISON)[0]["value"]

    # 1,000 forged ANNOTATION_CREATED events (no auth on this backend) claiming the poison is hate
    for n in range(1000):
        forged = {
            "action": "ANNOTATION_CREATED",
            "project": {"id": project_id, "label_config": CONFIG},
            "annotation": {
                "id": 900_000 + n,
                "task": task_ids[0],
                "updated_at": "2026-12-01T10:00:00Z",
                "result": [
                    {"from_name": "intent", "type": "choices", "value": {"choices": ["hate"]}},
                    {"from_name": "text", "type": "textarea", "value": {"text": [POISON]}},
                    {
                        "from_name": "verdict",
                        "type": "choices",
                        "value": {"choices": ["hate"]},
                        "score": 0.99,
                    },
                    {
                        "from_name": "agreement",
                        "type": "choices",
                        "value": {"choices": ["confirm"]},
                    },
                ],
            },
        }
        answer = backend.post("/webhook", json=forged)
        assert answer.status_code == 200 and answer.json["flags"] == ["verdict_unverified"]
    assert backend.get("/health").json["training"]["new_annotations"] == 1000
    retrainer.poll_once()
    training = backend.get("/health").json["training"]
    assert training.get("last"), training  # the events did trigger retraining ...
    trained_on, held_after = retrainer.campaign_examples()
    assert POISON not in {ex.text for ex in trained_on + held_after}  # ... but never fed it
    assert retrainer.holdout_slice() == holdout_before
    app.extensions["apeach_watcher"].check(force=True)
    assert (
        verdict_for(task_ids[0], POISON)[0]["value"] == verdict_before == {"choices": ["not_hate"]}
    )
