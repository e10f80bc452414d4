"""The managers' vote round on a real Label Studio: 3 managers vote through the API with
their own accounts; the aids flag the right sentences and the tally decides as expected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from apeach_ls.cli import cli
from apeach_ls.labelstudio.campaign import find_project
from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
from apeach_ls.rewards.db import open_ledger
from apeach_ls.votes.store import load_tallies
from campaign_seed import seed_campaign, vote, write_config
from ls_users import sign_up

pytestmark = pytest.mark.integration

def test_vote_round_end_to_end(label_studio, campaign, tmp_path, beep_dir):
    admin = label_studio.client()
    managers = [f"{campaign}-m{i}@example.com" for i in range(1, 4)]
    tokens = [sign_up(label_studio.url, admin, m, "manager-pass-123") for m in managers]
    manager_ids = {m: admin.users.whoami().id for m in []}  # filled below
    for user in admin.users.list():
        if user.email in managers:
            manager_ids[user.email] = user.id
    writer = admin.users.create(username=f"{campaign}-w", email=f"{campaign}-w@example.com", first_name="W").id
    copied = next(line for line in (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()
                  if len(line) > 40)
    sentences = [
        ("appearance", "뚱뚱한 사람은 게을러서 살이 찐 거야", writer),  # clean: kept
        ("gender-stereotypes", "여자는 운전을 못한다는 말은 편견이야", writer),  # clean: kept
        ("racism", copied, writer),  # copied from the web
        ("nationality", "010-1234-5678 로 전화하면 그 외국인 만날 수 있음", writer),  # a private person's phone
        ("racism", "오늘 점심은 김치찌개랑 계란말이 먹어야지 맛있겠다", writer),  # off topic
        ("education", "지방대 나온 사람은 일을 못한다", manager_ids[managers[0]]),  # a manager's own sentence
    ]
    client, gen_pid, subs = seed_campaign(label_studio, campaign, sentences)
    config = write_config(tmp_path / "campaign.toml", campaign, managers, [beep_dir / "unlabeled_comments_5.txt"])
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key}
    runner = CliRunner()

    out = runner.invoke(cli, ["managers", "--config", str(config)], env=env).output
    assert out.count("has an account") == 3 and "invite link" not in out

    res = runner.invoke(cli, ["votes", "create", "--config", str(config)], env=env)
    assert res.exit_code == 0, res.output
    assert "6 vote tasks added, 0 already there" in res.output
    vote_pid = find_project(client, campaign, "vote").id
    tasks = {t.data["submission_id"]: t for t in client.tasks.list(project=vote_pid, fields="task_only")}
    assert set(tasks) == set(subs)
    flags = {sid: set(t.data["aid_flags"]) for sid, t in tasks.items()}
    assert "copy_paste" in flags[subs[2]] and "personal_info" in flags[subs[3]] and "off_topic" in flags[subs[4]]
    assert not flags[subs[0]] & {"copy_paste", "personal_info", "off_topic"}
    assert "hate" not in str(tasks[subs[0]].data) and "verdict" not in tasks[subs[0]].data
    assert "010-1234-5678" in tasks[subs[3]].data["aids"]
    assert runner.invoke(cli, ["votes", "create", "--config", str(config)], env=env).output.count(
        "0 vote tasks added, 6 already there") == 1

    ballots = {  # manager index -> {submission index: vote}
        0: {0: vote("keep"), 1: vote("keep"), 2: vote("drop", "copied"), 3: vote("drop", "private_person"),
            4: vote("drop", "off_topic"), 5: vote("keep")},  # 5 is m1's own sentence: not counted
        1: {0: vote("keep"), 1: vote("drop", "other"), 2: vote("drop", "copied"), 3: vote("drop", "private_person"),
            4: vote("drop", "off_topic", "other"), 5: vote("keep")},
        2: {0: vote("keep"), 1: vote("keep"), 2: vote("keep"), 3: vote("drop", "private_person"),
            4: vote("drop", "off_topic"), 5: vote("keep")},
    }
    for index, token in enumerate(tokens):
        manager_client = connect(LabelStudioSettings(url=label_studio.url, api_key=token))
        for sub_index, ballot in ballots[index].items():
            manager_client.annotations.create(id=tasks[subs[sub_index]].id, result=ballot)
    res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
    assert res.exit_code == 0, res.output
    assert "6 submissions: 2 accepted, 3 dropped, 1 pending" in res.output
    assert "own_sentence 1" in res.output and "Fleiss' kappa" in res.output
    stored = load_tallies(open_ledger(tmp_path / "campaign.db"))
    assert [stored[s].outcome for s in subs] == ["accepted", "accepted", "dropped", "dropped", "dropped", "pending"]
    assert stored[subs[2]].reasons == ("copied",)
    assert stored[subs[3]].reasons == ("private_person",)
    assert stored[subs[4]].reasons == ("off_topic",)

    # a manager changes their mind: re-tallying updates the stored outcome
    manager_client = connect(LabelStudioSettings(url=label_studio.url, api_key=tokens[2]))
    [own] = [a for a in manager_client.annotations.list(id=tasks[subs[2]].id) if a.completed_by == manager_ids[managers[2]]]
    manager_client.annotations.update(id=own.id, result=vote("drop", "copied"))
    res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
    assert "2 accepted, 3 dropped, 1 pending" in res.output
    assert load_tallies(open_ledger(tmp_path / "campaign.db"))[subs[2]].drops == 3


def test_votes_create_killed_at_any_point_then_rerun_leaves_one_vote_task_each(label_studio, campaign, tmp_path):
    writer = label_studio.client().users.create(username=f"{campaign}-kw", email=f"{campaign}-kw@example.com").id
    sentences = [("appearance", f"외모로 사람을 판단하는 문장 번호 {i} 입니다", writer) for i in range(23)]
    client, _, subs = seed_campaign(label_studio, campaign, sentences)
    config = write_config(tmp_path / "campaign.toml", campaign, ["m@example.com"], k=1)
    env = dict(os.environ, LABEL_STUDIO_URL=label_studio.url, LABEL_STUDIO_API_KEY=label_studio.api_key)
    argv = [sys.executable, "-m", "apeach_ls.cli", "votes", "create", "--config", str(config), "--batch-size", "5"]

    # killed by its own crash hook right after the first batch was imported
    crashed = subprocess.run(argv, env=dict(env, APEACH_CRASH_AT="vote-batch-imported"), capture_output=True)
    assert crashed.returncode == -signal.SIGKILL
    # killed from outside at arbitrary moments
    for delay in (0.5, 1.5, 3.0):
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.kill()
        process.wait()
    final = subprocess.run(argv, env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    vote_pid = find_project(client, campaign, "vote").id
    ids = [t.data["submission_id"] for t in client.tasks.list(project=vote_pid, fields="task_only")]
    assert sorted(ids) == sorted(subs)  # exactly one vote task per submission


def test_a_vote_changed_by_another_manager_is_not_counted(label_studio, campaign, tmp_path):
    admin = label_studio.client()
    managers = [f"{campaign}-m{i}@example.com" for i in range(1, 4)]
    clients = [connect(LabelStudioSettings(url=label_studio.url, api_key=sign_up(label_studio.url, admin, m,
                                                                                   "manager-pass-123")))
               for m in managers]
    writer = admin.users.create(username=f"{campaign}-w", email=f"{campaign}-w@example.com").id
    client, _, subs = seed_campaign(label_studio, campaign, [("appearance", "외모로 사람을 판단하지 마", writer)])
    config = write_config(tmp_path / "campaign.toml", campaign, managers)
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key}
    runner = CliRunner()
    assert runner.invoke(cli, ["votes", "create", "--config", str(config)], env=env).exit_code == 0
    [task] = client.tasks.list(project=find_project(client, campaign, "vote").id, fields="task_only")
    a_vote, _, _ = [c.annotations.create(id=task.id, result=vote("keep")) for c in clients]

    clients[1].annotations.update(id=a_vote.id, result=vote("drop", "copied"))  # manager 2 changes manager 1's vote
    res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
    assert res.exit_code == 0, res.output
    assert "1 submissions: 0 accepted, 0 dropped, 1 pending" in res.output  # two honest keeps of k=3
    assert "changed_by_other 1" in res.output
