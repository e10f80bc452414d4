"""Two rounds against a real Label Studio, with the model retrained between them: writers
get verdicts (with receipts) from the backend and submit with their own tokens, managers
vote with theirs, and `rounds metrics`, `report` and the card of `export` show MER and
vMER per round equal to the counts made here by hand (issue 14)."""

from __future__ import annotations

import json

import pytest
import requests
from campaign_seed import sign_up_managers, vote, vote_tasks, write_config
from click.testing import CliRunner
from ls_users import sign_up
from verdicts import TEST_SECRET

from apeach_ls import label_config
from apeach_ls.classifier.data import read_labeled
from apeach_ls.classifier.ngram import save_ngram, train_ngram
from apeach_ls.classifier.registry import ModelRegistry
from apeach_ls.cli import cli
from apeach_ls.labels import opposite
from apeach_ls.labelstudio.projects import find_project, setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.ml_backend import create_app
from apeach_ls.ml_backend.settings import BackendSettings
from apeach_ls.prompts import default_prompts

pytestmark = pytest.mark.integration

CONFIG = label_config.load("generation")
# (sentence, the writer fools the model?, the managers' decision: keep / drop / None = no votes)
ROUND_1 = [
    ("여자들은 운전을 너무 못해", True, "keep"),
    ("그 동네 사람들은 다 사기꾼이지", True, "drop"),
    ("오늘 회의 정말 유익했어요", False, "keep"),
    ("노인들은 키오스크도 못 쓰면서 왜 나와", False, "drop"),
    ("채식하는 친구를 존중합니다", True, "keep"),
]
ROUND_2 = [
    ("외국인 노동자들 때문에 일자리가 없어", True, "keep"),
    ("장애인 주차구역은 꼭 지켜야 해요", True, None),  # never voted on: pending
    ("우리 팀 막내가 일을 참 잘해", False, "keep"),
    ("시골 출신은 촌스러워서 티가 나", False, "drop"),
]


def by_hand(plan):
    """(submitted, fooled, verified fooled, dropped) counted from the plan itself."""
    return (
        len(plan),
        sum(1 for _, fools, _ in plan if fools),
        sum(1 for _, fools, decision in plan if fools and decision == "keep"),
        sum(1 for _, _, decision in plan if decision == "drop"),
    )


def pct(n, d):
    return f"{100 * n / d:.1f}%"


def test_two_rounds_with_a_retrained_model_mer_and_vmer_per_round(
    label_studio, campaign, tmp_path, beep_dir
):
    train = read_labeled(beep_dir / "train.tsv")
    registry = ModelRegistry(tmp_path / "registry")
    first = train_ngram(train[:300])
    registry.publish(first.version, lambda d: save_ngram(first, d), reason="round 1")
    backend_app = create_app(
        BackendSettings(verdict_secret=TEST_SECRET, model_spec=str(registry.root))
    )
    backend = backend_app.test_client()

    admin = label_studio.client()
    project_id = setup_generation(admin, campaign, None).project_id
    import_prompts(admin, project_id, default_prompts()[:3], 3)
    free_tasks = [t.id for t in admin.tasks.list(project=project_id, fields="task_only")]
    writers = [
        sign_up(label_studio.url, admin, f"{campaign}-w{i}@example.com", "writer-pass-123")
        for i in range(2)
    ]
    managers = sign_up_managers(label_studio, campaign)
    config = write_config(tmp_path / "campaign.toml", campaign, [m.email for m in managers])
    env = {
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": label_studio.api_key,
        "APEACH_DATABASE_URL": None,
        "APEACH_LS_MODEL": None,
    }
    runner = CliRunner()

    def apeach(*args):
        run = runner.invoke(cli, [*args, "--config", str(config)], env=env)
        assert run.exit_code == 0, run.output
        return run.output

    def write(index, text, fools):
        """A writer asks the backend for a verdict, then flips it (fools) or confirms it."""
        task_id = free_tasks.pop()
        asked = backend.post(
            "/predict",
            json={
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
            },
        )
        shown_items = [
            i for i in asked.json["results"][0]["result"] if i["from_name"] != "agreement"
        ]
        verdict = next(i for i in shown_items if i["from_name"] == "verdict")
        shown = verdict["value"]["choices"][0]
        intent = opposite(shown) if fools else shown

        def choice(name, value):
            return {
                "from_name": name,
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [value]},
            }

        result = [
            *shown_items,
            {
                "from_name": "text",
                "to_name": "prompt",
                "type": "textarea",
                "value": {"text": [text]},
            },
            choice("intent", intent),
            choice("agreement", "flip" if fools else "confirm"),
        ]
        stored = requests.post(
            f"{label_studio.url}/api/tasks/{task_id}/annotations",
            headers={"Authorization": f"Token {writers[index % 2]}"},
            json={"result": result},
            timeout=30,
        )
        assert stored.status_code == 201, stored.text
        return stored.json()["id"]

    # round 1: the first model in the loop
    round_1 = [write(i, text, fools) for i, (text, fools, _) in enumerate(ROUND_1)]
    # between the rounds: a new round, the model retrained (on more data) and pinned
    assert "round round-2 started at" in apeach("rounds", "start", "round-2")
    second = train_ngram(train[:1500])
    assert second.version != first.version
    registry.publish(second.version, lambda d: save_ngram(second, d), reason="round 2")
    assert backend_app.extensions["apeach_watcher"].check(force=True)
    apeach("rounds", "pin", "round-1", first.version)
    apeach("rounds", "pin", "round-2", second.version)
    listed = apeach("rounds", "list").splitlines()
    assert listed[0].startswith("round-1\t") and listed[0].endswith(f"models: {first.version}")
    assert listed[1].startswith("round-2\t") and listed[1].endswith(f"models: {second.version}")
    # round 2: the retrained model in the loop
    round_2 = [write(i, text, fools) for i, (text, fools, _) in enumerate(ROUND_2)]

    # the managers' vote, each with their own token in their own vote project
    apeach("votes", "create")
    decisions = dict(zip(round_1 + round_2, [d for *_, d in ROUND_1 + ROUND_2]))
    for manager in managers:
        tasks = vote_tasks(admin, find_project(admin, campaign, "vote", manager.email).id)
        for submission_id, decision in decisions.items():
            if decision is not None:
                ballot = vote("drop", "copied") if decision == "drop" else vote("keep")
                manager.client.annotations.create(id=tasks[submission_id], result=ballot)
    assert "9 submissions: 5 accepted, 3 dropped, 1 pending" in apeach("votes", "tally")

    expected = {}
    for name, plan in (("round-1", ROUND_1), ("round-2", ROUND_2)):
        submitted, fooled, verified, dropped = by_hand(plan)
        expected[name] = (
            str(submitted),
            str(fooled),
            pct(fooled, submitted),
            str(verified),
            pct(verified, submitted),
            str(dropped),
        )
    assert expected == {  # the hand count, spelled out
        "round-1": ("5", "3", "60.0%", "2", "40.0%", "2"),
        "round-2": ("4", "2", "50.0%", "1", "25.0%", "1"),
    }

    # the command
    table = {
        line.split()[0]: tuple(line.split()[1:])
        for line in apeach("rounds", "metrics").splitlines()[1:]
    }
    assert table["round-1"] == expected["round-1"] and table["round-2"] == expected["round-2"]
    assert table["all"] == ("9", "5", "55.6%", "3", "33.3%", "3")
    versions = {
        line.split()[0]: tuple(line.split()[1:])
        for line in apeach("rounds", "metrics", "--by", "model_version").splitlines()[1:]
    }
    assert versions[first.version] == expected["round-1"]
    assert versions[second.version] == expected["round-2"]
    writers_table = apeach("rounds", "metrics", "--by", "writer")
    assert (
        f"{campaign}-w0@example.com" in writers_table
        and f"{campaign}-w1@example.com" in writers_table
    )

    # the card and the extended files of the release
    out = tmp_path / "release"
    apeach("export", "--out", str(out))
    card = (out / "README.md").read_text(encoding="utf-8")
    for name, cells in expected.items():
        assert f"| {name} | {' | '.join(cells)} |" in card
    extended = [
        json.loads(line)
        for line in (out / "extended.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    released = {e["annotation_id"]: e for e in extended}
    assert set(released) == {sid for sid, d in decisions.items() if d == "keep"}
    for sid, (_, fools, _) in zip(round_1 + round_2, ROUND_1 + ROUND_2):
        if sid in released:
            e = released[sid]
            in_round_1 = sid in round_1
            assert e["round"] == ("round-1" if in_round_1 else "round-2")
            assert e["model_version"] == (first.version if in_round_1 else second.version)
            assert e["fooled"] is fools and e["verified"] is fools
    header = (out / "apeach.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "text,user_age,user_gender,text_topic,class,age,text_topic_eng"

    # the report
    page = tmp_path / "report"
    apeach("report", "--out", str(page))
    html = (page / "report.html").read_text(encoding="utf-8")
    per_round = html[html.index('<table class="per-round">') :]
    per_round = per_round[: per_round.index("</table>")]
    for name, cells in expected.items():
        assert f"<td>{name}</td>" + "".join(f"<td>{c}</td>" for c in cells) in per_round
    assert 'id="fig-rounds"' in html and (page / "figures" / "rounds.png").stat().st_size > 0
