"""`apeach-ls setup` and `prompts import` against a real Label Studio."""

from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner

from apeach_ls.cli import cli
from apeach_ls.labelstudio.projects import find_project

pytestmark = pytest.mark.integration


def env_for(label_studio, ml=None, **extra):
    env = {
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": label_studio.api_key,
        "APEACH_ML_URL": ml.url if ml else "",
    }
    env.update(extra)
    return env


def run(args, env):
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_setup_is_idempotent_and_sets_the_flow_options(label_studio, ml_backend, campaign):
    code, out = run(["setup", "--campaign", campaign], env_for(label_studio, ml_backend))
    assert code == 0, out
    assert "generation project: created" in out and "ML backend: created" in out
    assert "ML webhook: created (id " in out and ", by Label Studio with the backend)" in out
    client = label_studio.client()
    project = client.projects.get(id=find_project(client, campaign, "generation").id)
    assert project.show_collab_predictions is False
    assert project.evaluate_predictions_automatically is False
    assert project.maximum_annotations == 1
    assert 'smartonly="true"' in project.label_config
    [ml] = client.ml.list(project=project.id)
    assert ml.is_interactive and ml.url == ml_backend.url

    code, out = run(["setup", "--campaign", campaign], env_for(label_studio, ml_backend))
    assert code == 0 and "nothing changed" in out, out
    assert "created" not in out and "updated" not in out
    assert len(client.ml.list(project=project.id)) == 1

    # a drifted option is put back, and only that
    client.projects.update(id=project.id, show_collab_predictions=True)
    code, out = run(["setup", "--campaign", campaign], env_for(label_studio, ml_backend))
    assert f"generation project: updated (id {project.id}: show_collab_predictions)" in out


def test_campaigns_live_side_by_side(label_studio, campaign):
    env = env_for(label_studio)
    run(["setup", "--campaign", campaign + "-a"], env)
    run(["setup", "--campaign", campaign + "-b"], env)
    client = label_studio.client()
    a, b = (
        find_project(client, campaign + "-a", "generation"),
        find_project(client, campaign + "-b", "generation"),
    )
    assert a.id != b.id


def test_prompts_import_never_duplicates(label_studio, campaign, tmp_path):
    env = env_for(label_studio)
    code, out = run(["prompts", "import", "--campaign", campaign, "--per-topic", "2"], env)
    assert code == 1 and f"Run: apeach-ls setup --campaign {campaign}" in out
    run(["setup", "--campaign", campaign], env)
    code, out = run(["prompts", "import", "--campaign", campaign, "--per-topic", "2"], env)
    assert code == 0 and "20 tasks added, 0 already there" in out, out
    code, out = run(["prompts", "import", "--campaign", campaign, "--per-topic", "3"], env)
    assert "10 tasks added, 20 already there" in out
    code, out = run(["prompts", "import", "--campaign", campaign, "--per-topic", "3"], env)
    assert "0 tasks added, 30 already there" in out
    client = label_studio.client()
    pid = find_project(client, campaign, "generation").id
    tasks = list(client.tasks.list(project=pid, fields="task_only"))
    assert len(tasks) == 30 and len({t.data["prompt_id"] for t in tasks}) == 30
    assert {"topic", "topic_eng", "guideline", "prompt_id"} <= set(tasks[0].data)

    # a malformed topics file: a clear error, and nothing stored changes
    bad = tmp_path / "topics.csv"
    bad.write_text("topic,topic_eng,guideline\n주제,Work,안내\n,Other,안내\n", encoding="utf-8")
    code, out = run(["prompts", "import", "--campaign", campaign, "--topics", str(bad)], env)
    assert code == 1 and "topics.csv, row 3, field 'topic': is empty" in out
    assert len(list(client.tasks.list(project=pid, fields="task_only"))) == 30
    good = tmp_path / "topics.json"
    good.write_text(
        json.dumps([{"topic": "직장", "topic_eng": "Workplace", "guideline": "안내"}]),
        encoding="utf-8",
    )
    code, out = run(
        ["prompts", "import", "--campaign", campaign, "--topics", str(good), "--per-topic", "2"],
        env,
    )
    assert "2 tasks added" in out


@pytest.mark.parametrize(
    "env_change,message",
    [
        ({"LABEL_STUDIO_URL": ""}, "Set LABEL_STUDIO_URL"),
        ({"LABEL_STUDIO_API_KEY": ""}, "Set LABEL_STUDIO_API_KEY"),
        ({"LABEL_STUDIO_API_KEY": "0" * 40}, "rejected the API key (401)"),
        ({"LABEL_STUDIO_URL": "http://127.0.0.1:9"}, "cannot reach Label Studio"),
        ({"APEACH_ML_BASIC_AUTH_USER": "u"}, "Set both APEACH_ML_BASIC_AUTH_USER"),
    ],
)
def test_setup_configuration_errors_are_one_line(label_studio, campaign, env_change, message):
    env = env_for(label_studio, **env_change)
    env["APEACH_ML_URL"] = env["APEACH_ML_URL"] or "http://127.0.0.1:9"
    code, out = run(["setup", "--campaign", campaign], env)
    assert code == 1 and message in out and "Traceback" not in out
    assert find_project(label_studio.client(), campaign, "generation") is None


def test_bad_campaign_name(label_studio):
    code, out = run(["setup", "--campaign", "no spaces!"], env_for(label_studio))
    assert code == 1 and "Campaign name 'no spaces!' is not valid" in out


def test_basic_auth_backend_and_its_webhook_carry_credentials(
    label_studio, default_model_dir, tmp_path, campaign
):
    from conftest import start_backend

    process, backend = start_backend(tmp_path, default_model_dir, auth=("mluser", "mlpass-123"))
    try:
        env = env_for(
            label_studio,
            backend,
            APEACH_ML_BASIC_AUTH_USER="mluser",
            APEACH_ML_BASIC_AUTH_PASSWORD="mlpass-123",
        )
        code, out = run(["setup", "--campaign", campaign], env)
        assert code == 0, out
        assert "ML backend: created" in out and "ML webhook: updated" in out
        assert "mlpass-123" not in out
        client = label_studio.client()
        pid = find_project(client, campaign, "generation").id
        [hook] = [h for h in client.webhooks.list(project=pid) if h.url.endswith("/webhook")]
        assert (
            hook.headers["Authorization"]
            == "Basic " + base64.b64encode(b"mluser:mlpass-123").decode()
        )
        code, out = run(["setup", "--campaign", campaign], env)
        assert "nothing changed" in out, out
        assert "mlpass-123" not in process.log_path.read_text()
    finally:
        process.stop()


def test_a_personal_access_token_from_a_file_works_too(label_studio, campaign, tmp_path):
    pat = label_studio.client().tokens.create()
    token = pat.model_dump()["token"]
    assert token.count(".") == 2  # a JWT, not the legacy token
    key_file = tmp_path / "ls-key"
    key_file.write_text(token + "\n", encoding="utf-8")
    env = env_for(label_studio, LABEL_STUDIO_API_KEY="", LABEL_STUDIO_API_KEY_FILE=str(key_file))
    code, out = run(["setup", "--campaign", campaign], env)
    assert code == 0 and "generation project: created" in out, out
    assert token not in out


def test_commands_name_the_missing_campaign(label_studio, campaign):
    code, out = run(["submissions", "export", "--campaign", campaign], env_for(label_studio))
    assert code == 1 and f"Campaign {campaign!r} has no generation project" in out
