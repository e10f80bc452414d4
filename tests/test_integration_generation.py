"""The writers' flow through Label Studio's own endpoints, with the backend under gunicorn."""

from __future__ import annotations

import time

import pytest
import requests

from apeach_ls.correction import Flag
from apeach_ls.labelstudio.campaign import MLConnection, setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.labelstudio.submissions import read_submissions
from apeach_ls.prompts import default_prompts

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
    return requests.post(f"{label_studio.url}/api/ml/{ml_id}/interactive-annotating",
                         headers={"Authorization": f"Token {label_studio.api_key}"},
                         json={"task": task_id, "context": {"result": result}}, timeout=10)


def test_label_studio_gets_a_verdict_with_a_score_in_well_under_a_second(label_studio, project):
    client, pid, task_ids, ml_id = project
    result = [{"value": {"choices": ["hate"]}, "id": "a1", "from_name": "intent", "to_name": "prompt",
               "type": "choices", "origin": "manual"},
              {"value": {"text": [HATEFUL]}, "id": "a2", "from_name": "text", "to_name": "prompt",
               "type": "textarea", "origin": "manual"}]
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


def test_submitted_annotations_yield_the_corrected_label(label_studio, ml_backend, project, default_model_dir,
                                                         campaign, tmp_path):
    from apeach_ls.classifier import load_classifier

    client, pid, task_ids, ml_id = project
    model = load_classifier(str(default_model_dir))
    writer = client.users.create(username=f"w{pid}", email=f"writer{pid}@example.com", first_name="W")

    def submit(task_id, text, intent, agreement, verdict=None):
        verdict = verdict or model.classify([text])[0]
        result = [
            {"from_name": "intent", "to_name": "prompt", "type": "choices", "value": {"choices": [intent]}},
            {"from_name": "text", "to_name": "prompt", "type": "textarea", "value": {"text": [text]}},
            {"from_name": "verdict", "to_name": "prompt", "type": "choices",
             "value": {"choices": [verdict.label]}, "score": verdict.score, "readonly": True},
            {"from_name": "agreement", "to_name": "prompt", "type": "choices", "value": {"choices": [agreement]}},
        ]
        return client.annotations.create(id=task_id, result=result, completed_by=writer.id, lead_time=9.5)

    confirmed = submit(task_ids[0], HATEFUL, "hate", "confirm")
    flipped = submit(task_ids[1], HATEFUL, "not_hate", "flip")
    from apeach_ls.labels import Verdict
    edited = submit(task_ids[2], "오늘 날씨가 좋네요", "not_hate", "confirm", verdict=Verdict("hate", 0.93))

    subs = {s.annotation_id: s for s in read_submissions(client, pid, classifier=model)}
    hate_verdict = model.classify([HATEFUL])[0].label
    assert subs[confirmed.id].corrected.label == hate_verdict and not subs[confirmed.id].corrected.fooled
    assert subs[flipped.id].corrected.label != hate_verdict and subs[flipped.id].corrected.fooled
    assert Flag.TEXT_CHANGED in subs[edited.id].corrected.flags
    assert subs[confirmed.id].writer_id == writer.id
    assert subs[confirmed.id].prompt["prompt_id"].endswith("-0001")

    # `submissions export` writes them with the corrected labels, in a file training reads
    from click.testing import CliRunner
    from apeach_ls.classifier.data import read_labeled
    from apeach_ls.cli import cli
    out = tmp_path / "submissions.csv"
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key,
           "APEACH_LS_MODEL": str(default_model_dir)}
    result = CliRunner().invoke(cli, ["submissions", "export", "--campaign", campaign, "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    rows = {r.text: r.label for r in read_labeled(out)}
    assert rows["오늘 날씨가 좋네요"] == "hate"  # the (edited) verdict was confirmed
    assert "text_changed" in out.read_text(encoding="utf-8")

    # the backend's webhook saw them too (Label Studio sends in-process without Redis)
    log = ml_backend.log_path.read_text()
    assert f"annotation {flipped.id}: label=" in log
