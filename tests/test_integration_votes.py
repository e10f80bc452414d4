"""The managers' vote round on a real Label Studio: 3 managers, signed up with their own
accounts, vote through their own tokens, each in their own vote project; the aids flag the
right sentences and the tally decides as expected. Votes that another account changed or
made in a manager's name, votes in another manager's project and votes on one's own
sentence are not counted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from campaign_seed import seed_campaign, sign_up_managers, vote, vote_tasks, write_config
from click.testing import CliRunner
from ls_users import sign_up
from step_kills import logged_steps

from apeach_ls import label_config
from apeach_ls.cli import cli
from apeach_ls.database import open_database
from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
from apeach_ls.labelstudio.projects import find_project, marker
from apeach_ls.votes.store import load_tallies

pytestmark = pytest.mark.integration
HERE = Path(__file__).resolve().parent


def manager_projects(client, campaign, managers):
    """{manager e-mail: {submission id: vote task id}} of each manager's own vote project."""
    return {
        m.email: vote_tasks(client, find_project(client, campaign, "vote", m.email).id)
        for m in managers
    }


def test_vote_round_end_to_end(label_studio, campaign, tmp_path, beep_dir):
    admin = label_studio.client()
    managers = sign_up_managers(label_studio, campaign)
    writer = admin.users.create(
        username=f"{campaign}-w", email=f"{campaign}-w@example.com", first_name="W"
    ).id
    copied = next(
        line
        for line in (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()
        if len(line) > 40
    )
    sentences = [
        ("appearance", "뚱뚱한 사람은 게을러서 살이 찐 거야", writer),  # clean: kept
        ("gender-stereotypes", "여자는 운전을 못한다는 말은 편견이야", writer),  # clean: kept
        ("racism", copied, writer),  # copied from the web
        (
            "nationality",
            "010-1234-5678 로 전화하면 그 외국인 만날 수 있음",
            writer,
        ),  # a private person's phone
        ("racism", "오늘 점심은 김치찌개랑 계란말이 먹어야지 맛있겠다", writer),  # off topic
        ("education", "지방대 나온 사람은 일을 못한다", managers[0].id),  # a manager's own sentence
    ]
    client, gen_pid, subs = seed_campaign(label_studio, campaign, sentences)
    config = write_config(
        tmp_path / "campaign.toml",
        campaign,
        [m.email for m in managers],
        [beep_dir / "unlabeled_comments_5.txt"],
    )
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key}
    runner = CliRunner()

    out = runner.invoke(cli, ["managers", "--config", str(config)], env=env).output
    assert out.count("has an account") == 3 and "invite link" not in out

    res = runner.invoke(cli, ["votes", "create", "--config", str(config)], env=env)
    assert res.exit_code == 0, res.output
    for m in managers:
        assert f"vote project of {m.email}: created" in res.output
        assert f"{m.email}: 6 vote tasks added, 0 already there" in res.output
    assert "warning" not in res.output
    projects = manager_projects(client, campaign, managers)
    for m in managers:
        project = client.projects.get(id=find_project(client, campaign, "vote", m.email).id)
        assert (
            project.maximum_annotations == 1
            and marker(campaign, "vote", m.email) in project.description
        )
        assert set(projects[m.email]) == set(
            subs
        )  # every submission, once, in every manager's project
    tasks = {sid: client.tasks.get(id=tid) for sid, tid in projects[managers[1].email].items()}
    flags = {sid: set(t.data["aid_flags"]) for sid, t in tasks.items()}
    assert (
        "copy_paste" in flags[subs[2]]
        and "personal_info" in flags[subs[3]]
        and "off_topic" in flags[subs[4]]
    )
    assert not flags[subs[0]] & {"copy_paste", "personal_info", "off_topic"}
    assert "hate" not in str(tasks[subs[0]].data) and "verdict" not in tasks[subs[0]].data
    assert "010-1234-5678" in tasks[subs[3]].data["aids"]
    again = runner.invoke(cli, ["votes", "create", "--config", str(config)], env=env).output
    assert again.count("0 vote tasks added, 6 already there") == 3 and "created" not in again

    ballots = {  # manager index -> {submission index: vote}
        0: {
            0: vote("keep"),
            1: vote("keep"),
            2: vote("drop", "copied"),
            3: vote("drop", "private_person"),
            4: vote("drop", "off_topic"),
            5: vote("keep"),
        },  # 5 is m1's own sentence: not counted
        1: {
            0: vote("keep"),
            1: vote("drop", "other"),
            2: vote("drop", "copied"),
            3: vote("drop", "private_person"),
            4: vote("drop", "off_topic", "other"),
            5: vote("keep"),
        },
        2: {
            0: vote("keep"),
            1: vote("keep"),
            2: vote("keep"),
            3: vote("drop", "private_person"),
            4: vote("drop", "off_topic"),
            5: vote("keep"),
        },
    }
    for index, manager in enumerate(managers):
        for sub_index, ballot in ballots[index].items():
            manager.client.annotations.create(
                id=projects[manager.email][subs[sub_index]], result=ballot
            )
    res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
    assert res.exit_code == 0, res.output
    assert "6 submissions: 2 accepted, 3 dropped, 1 pending" in res.output
    assert "votes not counted: own_sentence 1\n" in res.output and "Fleiss' kappa" in res.output
    stored = load_tallies(open_database(tmp_path / "campaign.db"))
    assert [stored[s].outcome for s in subs] == [
        "accepted",
        "accepted",
        "dropped",
        "dropped",
        "dropped",
        "pending",
    ]
    assert stored[subs[2]].reasons == ("copied",)
    assert stored[subs[3]].reasons == ("private_person",)
    assert stored[subs[4]].reasons == ("off_topic",)

    # a manager changes their mind: re-tallying updates the stored outcome
    m3 = managers[2]
    [own] = m3.client.annotations.list(id=projects[m3.email][subs[2]])
    m3.client.annotations.update(id=own.id, result=vote("drop", "copied"))
    res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
    assert "2 accepted, 3 dropped, 1 pending" in res.output
    assert load_tallies(open_database(tmp_path / "campaign.db"))[subs[2]].drops == 3

    # the report's agreement reads the same managers' projects
    res = runner.invoke(
        cli, ["report", "--config", str(config), "--out", str(tmp_path / "report")], env=env
    )
    assert res.exit_code == 0, res.output
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "<td>keep/drop</td>" in html and "no vote data" not in html


def test_a_vote_changed_by_another_manager_is_not_counted(label_studio, campaign, tmp_path):
    a, b, c = sign_up_managers(label_studio, campaign)
    writer = (
        label_studio.client()
        .users.create(username=f"{campaign}-w", email=f"{campaign}-w@example.com")
        .id
    )
    client, _, subs = seed_campaign(
        label_studio, campaign, [("appearance", "외모로 사람을 판단하지 마", writer)]
    )
    config = write_config(tmp_path / "campaign.toml", campaign, [a.email, b.email, c.email])
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key}
    runner = CliRunner()
    assert runner.invoke(cli, ["votes", "create", "--config", str(config)], env=env).exit_code == 0
    projects = manager_projects(client, campaign, [a, b, c])
    a_vote, _, _ = [
        m.client.annotations.create(id=projects[m.email][subs[0]], result=vote("keep"))
        for m in (a, b, c)
    ]
    res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
    assert (
        "1 submissions: 1 accepted, 0 dropped, 0 pending" in res.output
        and "not counted" not in res.output
    )

    b.client.annotations.update(
        id=a_vote.id, result=vote("drop", "copied")
    )  # b changes a's vote in a's project
    assert client.annotations.get(id=a_vote.id).updated_by == b.id  # what Label Studio records
    res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
    assert res.exit_code == 0, res.output
    assert (
        "1 submissions: 0 accepted, 0 dropped, 1 pending" in res.output
    )  # two honest keeps of k=3
    assert "votes not counted: changed_by_other 1\n" in res.output

    a.client.annotations.update(id=a_vote.id, result=vote("keep"))  # a puts their own vote back
    res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
    assert (
        "1 submissions: 1 accepted, 0 dropped, 0 pending" in res.output
        and "not counted" not in res.output
    )


def test_votes_made_in_a_managers_name_or_in_another_managers_project_are_not_counted(
    label_studio, campaign, tmp_path
):
    admin = label_studio.client()
    a, b, c = sign_up_managers(label_studio, campaign)
    writer_email = f"{campaign}-w@example.com"
    writer = connect(
        LabelStudioSettings(
            url=label_studio.url,
            api_key=sign_up(label_studio.url, admin, writer_email, "writer-pass-123"),
        )
    )
    writer_id = writer.users.whoami().id
    sentences = [
        ("appearance", "키 작은 남자는 다 루저야", writer_id),
        ("diets", "고기 안 먹는 사람은 유난이다", writer_id),
        ("education", "학벌로 사람 판단하지 말자", writer_id),
    ]
    client, _, subs = seed_campaign(label_studio, campaign, sentences)
    config = write_config(tmp_path / "campaign.toml", campaign, [a.email, b.email, c.email])
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key}
    runner = CliRunner()

    def tally():
        res = runner.invoke(cli, ["votes", "tally", "--config", str(config)], env=env)
        assert res.exit_code == 0, res.output
        return res.output, load_tallies(open_database(tmp_path / "campaign.db"))

    assert runner.invoke(cli, ["votes", "create", "--config", str(config)], env=env).exit_code == 0
    projects = manager_projects(client, campaign, [a, b, c])
    for m in (a, b, c):  # s0 and s1: three honest keeps
        for sid in subs[:2]:
            m.client.annotations.create(id=projects[m.email][sid], result=vote("keep"))
    b.client.annotations.create(id=projects[b.email][subs[2]], result=vote("drop", "copied"))
    c.client.annotations.create(id=projects[c.email][subs[2]], result=vote("keep"))

    # the writer, with their own token, drops s2 in a's name in a's project: it would decide (2 drops of 3)
    forged = writer.annotations.create(
        id=projects[a.email][subs[2]], result=vote("drop", "copied"), completed_by=a.id
    )
    assert (
        client.annotations.get(id=forged.id).completed_by,
        client.annotations.get(id=forged.id).updated_by,
    ) == (a.id, writer_id)
    # ... and an admin does the same for s1, where a has voted already
    admin.annotations.create(
        id=projects[a.email][subs[1]], result=vote("drop", "copied"), completed_by=a.id
    )
    # the writer also votes as themselves, and b votes as b in a's project
    writer.annotations.create(id=projects[a.email][subs[0]], result=vote("drop", "other"))
    b.client.annotations.create(id=projects[a.email][subs[0]], result=vote("drop", "other"))
    out, stored = tally()
    assert "3 submissions: 2 accepted, 0 dropped, 1 pending" in out
    assert "votes not counted: changed_by_other 2, not_a_manager 1, not_own_project 1\n" in out
    assert [stored[s].outcome for s in subs] == ["accepted", "accepted", "pending"]

    a.client.annotations.create(
        id=projects[a.email][subs[2]], result=vote("keep")
    )  # a's own vote counts
    out, stored = tally()
    assert "3 submissions: 3 accepted, 0 dropped, 0 pending" in out
    assert (stored[subs[2]].keeps, stored[subs[2]].drops) == (2, 1)

    # a campaign's old shared vote project is named, and its votes are not read
    legacy = admin.projects.create(
        title=f"{campaign} · old vote",
        description=f"old {marker(campaign, 'vote')}",
        label_config=label_config.load("vote"),
    )
    old_data = {"submission_id": subs[0], "text": "x", "topic": "t", "guideline": "g", "aids": ""}
    admin.projects.import_tasks(id=legacy.id, request=[{"data": old_data}])
    [old_task] = client.tasks.list(project=legacy.id, fields="task_only")
    for m in (a, b, c):
        m.client.annotations.create(id=old_task.id, result=vote("drop", "copied"))
    out, stored = tally()
    assert f"warning: vote project {legacy.id} is the campaign's old shared vote project" in out
    assert "3 submissions: 3 accepted, 0 dropped, 0 pending" in out


def test_votes_create_killed_at_every_step_then_rerun_leaves_one_vote_task_each(
    label_studio, campaign, tmp_path
):
    """Each run of ``votes create`` is killed at the first step it reports (every step
    changes something in Label Studio), so the runs are killed after each project set-up
    and each imported batch in turn, until a run has nothing left to do."""
    writer = (
        label_studio.client()
        .users.create(username=f"{campaign}-kw", email=f"{campaign}-kw@example.com")
        .id
    )
    sentences = [
        ("appearance", f"외모로 사람을 판단하는 문장 번호 {i} 입니다", writer) for i in range(23)
    ]
    client, _, subs = seed_campaign(label_studio, campaign, sentences)
    managers = ["m@example.com", "n@example.com"]
    config = write_config(tmp_path / "campaign.toml", campaign, managers, k=1)
    env = dict(
        os.environ, LABEL_STUDIO_URL=label_studio.url, LABEL_STUDIO_API_KEY=label_studio.api_key
    )
    log = tmp_path / "steps.log"
    argv = [sys.executable, str(HERE / "cli_child.py"), str(log), "0"]
    argv += ["votes", "create", "--config", str(config), "--batch-size", "12"]

    def state() -> tuple[int, int]:
        """(vote projects, vote tasks in them)"""
        projects = [find_project(client, campaign, "vote", m) for m in managers]
        found = [p for p in projects if p is not None]
        tasks = sum(1 for p in found for _ in client.tasks.list(project=p.id, fields="task_only"))
        return len(found), tasks

    kills, before = [], state()
    for _ in range(20):
        run = subprocess.run(argv, env=env, cwd=HERE.parent, capture_output=True, text=True)
        steps = logged_steps(log)
        if run.returncode == 0:
            assert steps == [], steps  # nothing left to do, nothing reported
            break
        assert run.returncode == -signal.SIGKILL, run.stderr
        after = state()
        assert len(steps) == 1 and after > before, (steps, before, after)  # killed right after
        kills.append(steps[0])
        before = after
    batches = -(-len(subs) // 12)
    assert len(kills) == len(managers) * (1 + batches), kills  # each project, each batch
    for manager in managers:  # exactly one vote task per submission in each manager's project
        vote_pid = find_project(client, campaign, "vote", manager).id
        ids = [
            t.data["submission_id"] for t in client.tasks.list(project=vote_pid, fields="task_only")
        ]
        assert sorted(ids) == sorted(subs), manager
