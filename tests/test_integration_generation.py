"""The writers' flow through Label Studio's own endpoints, with the backend under gunicorn."""

from __future__ import annotations

import time

import pytest
import requests
from ls_users import sign_up
from verdicts import TEST_SECRET

from apeach_ls.correction import Flag
from apeach_ls.labelstudio.projects import MLConnection, setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.labelstudio.submissions import read_submissions
from apeach_ls.prompts import default_prompts
from apeach_ls.receipts import ReceiptKey

pytestmark = pytest.mark.integration

HATEFUL = "이 사람들 정말 싫어 다 꺼져 버려라"


@pytest.fixture
def project(label_studio, ml_backend, campaign):
    client = label_studio.client()
    report = setup_generation(client, campaign, MLConnection(url=ml_backend.url))
    import_prompts(client, report.project_id, default_prompts()[:2], 2)
    tasks = list(client.tasks.list(project=report.project_id, fields="task_only"))
    [ml] = client.ml.list(project=report.project_id)
    return client, report.project_id, [t.id for t in tasks], ml.id


def interactive(label_studio, ml_id, task_id, result):
    return requests.post(
        f"{label_studio.url}/api/ml/{ml_id}/interactive-annotating",
        headers={"Authorization": f"Token {label_studio.api_key}"},
        json={"task": task_id, "context": {"result": result}},
        timeout=10,
    )


def test_label_studio_gets_a_verdict_with_a_score_in_well_under_a_second(label_studio, project):
    client, pid, task_ids, ml_id = project
    result = [
        {
            "value": {"choices": ["hate"]},
            "id": "a1",
            "from_name": "intent",
            "to_name": "prompt",
            "type": "choices",
            "origin": "manual",
        },
        {
            "value": {"text": [HATEFUL]},
            "id": "a2",
            "from_name": "text",
            "to_name": "prompt",
            "type": "textarea",
            "origin": "manual",
        },
    ]
    interactive(label_studio, ml_id, task_ids[0], result)  # warm-up (connection pools)
    started = time.perf_counter()
    r = interactive(label_studio, ml_id, task_ids[0], result)
    elapsed = time.perf_counter() - started
    data = r.json()["data"]
    verdict = next(i for i in data["result"] if i["from_name"] == "verdict")
    assert verdict["value"]["choices"] == ["hate"]
    assert 0.5 <= verdict["score"] <= 1.0 and verdict["readonly"] is True
    assert data["model_version"].startswith("ngram-")
    assert elapsed < 1.0, f"verdict took {elapsed:.3f} s"

    # the empty-context call Label Studio makes after a submit is a quiet no-op
    r = interactive(label_studio, ml_id, task_ids[0], [])
    assert r.json() == {"data": {"result": []}}


def test_submitted_annotations_yield_the_corrected_label_and_forged_verdicts_count_for_nothing(
    label_studio, ml_backend, project, campaign, tmp_path
):
    client, pid, task_ids, ml_id = project
    admin_writer = client.users.create(
        username=f"w{pid}", email=f"writer{pid}@example.com", first_name="W"
    )
    writer_token = sign_up(label_studio.url, client, f"forger{pid}@example.com", "forger-pass-123")
    as_writer = {"Authorization": f"Token {writer_token}"}

    def verdict_from_backend(task_id, text, intent):
        """What the labeling UI gets when the writer presses Enter: verdict, score, receipt."""
        context = [
            {
                "from_name": "intent",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [intent]},
            },
            {
                "from_name": "text",
                "to_name": "prompt",
                "type": "textarea",
                "value": {"text": [text]},
            },
        ]
        data = interactive(label_studio, ml_id, task_id, context).json()["data"]
        return context + [i for i in data["result"] if i["from_name"] != "agreement"]

    def submit(task_id, result, agreement):
        result = result + [
            {
                "from_name": "agreement",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [agreement]},
            }
        ]
        return client.annotations.create(
            id=task_id, result=result, completed_by=admin_writer.id, lead_time=9.5
        )

    honest = verdict_from_backend(task_ids[0], HATEFUL, "hate")
    hate_verdict = next(i for i in honest if i["from_name"] == "verdict")["value"]["choices"][0]
    confirmed = submit(task_ids[0], honest, "confirm")
    flipped = submit(task_ids[1], verdict_from_backend(task_ids[1], HATEFUL, "not_hate"), "flip")
    # the sentence edited after its verdict (through the API): the receipt no longer matches
    edited_result = [
        i if i["from_name"] != "text" else {**i, "value": {"text": ["오늘 날씨가 좋네요"]}}
        for i in verdict_from_backend(task_ids[2], HATEFUL, "hate")
    ]
    edited = submit(task_ids[2], edited_result, "confirm")

    def as_the_writer(task_id, intent, text, verdict, receipt, agreement):
        """What a writer's own token can post straight to Label Studio, bypassing the UI."""
        result = [
            {
                "from_name": "intent",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [intent]},
            },
            {
                "from_name": "text",
                "to_name": "prompt",
                "type": "textarea",
                "value": {"text": [text]},
            },
            {
                "from_name": "agreement",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [agreement]},
            },
        ]
        if verdict:
            result.append(
                {
                    "from_name": "verdict",
                    "to_name": "prompt",
                    "type": "choices",
                    "value": {"choices": [verdict[0]]},
                    "score": verdict[1],
                    "readonly": True,
                }
            )
        if receipt:
            result.append(
                {
                    "from_name": "verdict_receipt",
                    "to_name": "prompt",
                    "type": "textarea",
                    "value": {"text": [receipt]},
                }
            )
        answer = requests.post(
            f"{label_studio.url}/api/tasks/{task_id}/annotations",
            headers=as_writer,
            timeout=30,
            json={"result": result},
        )
        assert answer.status_code == 201, answer.text  # Label Studio stores whatever a member sends
        return answer

    # a made-up verdict (not_hate, 0.99) with a junk receipt, and a flip: the "fooled" claim
    forged = as_the_writer(
        task_ids[3],
        "hate",
        "아무 문장이나 써 봅니다",
        ("not_hate", 0.99),
        "v1.eyJmYWtlIjoxfQ.AAAA",
        "flip",
    )
    # submitted without pressing Enter (no verdict at all)
    blank = as_the_writer(task_ids[3], "not_hate", "판정 없이 낸 문장", None, None, "confirm")

    key = ReceiptKey(TEST_SECRET)
    subs = {s.submission_id: s.corrected for s in read_submissions(client, pid, key)}
    assert subs[confirmed.id].label == hate_verdict and not subs[confirmed.id].fooled
    assert subs[confirmed.id].model_version.startswith("ngram-") and not subs[
        confirmed.id
    ].flags - {Flag.INTENT_MISMATCH}
    assert subs[flipped.id].label != hate_verdict and subs[flipped.id].fooled
    for annotation_id, intent in ((edited.id, "hate"), (forged.json()["id"], "hate")):
        assert Flag.VERDICT_UNVERIFIED in subs[annotation_id].flags
        assert subs[annotation_id].label == intent and not subs[annotation_id].fooled
        assert subs[annotation_id].verdict is None
    assert (
        Flag.NO_VERDICT in subs[blank.json()["id"]].flags
        and subs[blank.json()["id"]].label == "not_hate"
    )

    # `submissions export` checks the receipts without any model (no APEACH_LS_MODEL), in a file training reads
    from click.testing import CliRunner

    from apeach_ls.classifier.data import read_labeled
    from apeach_ls.cli import cli

    out = tmp_path / "submissions.csv"
    env = {
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": label_studio.api_key,
        "APEACH_LS_MODEL": None,
    }
    result = CliRunner().invoke(
        cli, ["submissions", "export", "--campaign", campaign, "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    rows = {r.text: r.label for r in read_labeled(out)}
    assert (
        rows["오늘 날씨가 좋네요"] == "hate"
    )  # the writer's intent: the edited verdict does not count
    text = out.read_text(encoding="utf-8")
    assert (
        text.count("verdict_unverified") == 2
        and "the sentence was changed after its verdict was issued" in text
    )

    # with the campaign config (as votes and payouts take it) it exports the config's campaign,
    # whatever APEACH_CAMPAIGN says; a --campaign naming another one is refused
    config = tmp_path / "campaign.toml"
    config.write_text(f'[campaign]\nname = "{campaign}"\n', encoding="utf-8")
    by_config = tmp_path / "by-config.csv"
    result = CliRunner().invoke(
        cli,
        ["submissions", "export", "--config", str(config), "--out", str(by_config)],
        env={**env, "APEACH_CAMPAIGN": "some-other-campaign"},
    )
    assert result.exit_code == 0, result.output
    assert by_config.read_bytes() == out.read_bytes()
    refused = CliRunner().invoke(
        cli,
        [
            "submissions",
            "export",
            "--config",
            str(config),
            "--campaign",
            "other",
            "--out",
            str(by_config),
        ],
        env=env,
    )
    assert refused.exit_code == 1 and f"is not the campaign of {config}" in refused.output
    assert by_config.read_bytes() == out.read_bytes()  # nothing written over

    # without the secret, nothing is checked silently: a clear error
    missing = CliRunner().invoke(
        cli,
        ["submissions", "export", "--campaign", campaign, "--out", str(out)],
        env={**env, "APEACH_VERDICT_SECRET": None, "APEACH_LS_HOME": str(tmp_path)},
    )
    assert (
        missing.exit_code == 1
        and "No verdict secret: set APEACH_VERDICT_SECRET_FILE" in missing.output
    )

    # the backend's webhook saw them too (Label Studio sends in-process without Redis)
    log = ml_backend.log_path.read_text()
    assert f"annotation {flipped.id}: label=" in log
    assert (
        f"annotation {forged.json()['id']}: label=hate fooled=False flags=verdict_unverified" in log
    )
