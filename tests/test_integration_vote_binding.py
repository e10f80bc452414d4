"""A manager's vote is about the sentence its vote task showed, on a real Label Studio.

A writer may rewrite their own submission (PATCH their annotation with their own token) after
the managers accepted it. The old votes must not accept the new sentence: it is not paid and
not released until the managers vote on the new version; ``votes create`` adds one vote task
per new version; money already paid is never paid twice, and is reversed if the managers drop
the new version.
"""

from __future__ import annotations

import json

import pytest
from campaign_seed import seed_campaign, sign_up_managers, vote, write_config
from click.testing import CliRunner
from ls_users import sign_up
from sqlalchemy import select
from verdicts import generation_result

from apeach_ls.cli import cli
from apeach_ls.database import open_database
from apeach_ls.database.schema import earnings
from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
from apeach_ls.labelstudio.projects import find_project
from apeach_ls.votes.store import load_tallies

pytestmark = pytest.mark.integration


def tasks_by_text(client, campaign, manager):
    """{(submission id, text): the newest vote task id} of a manager's own vote project."""
    project = find_project(client, campaign, "vote", manager.email).id
    tasks: dict[tuple[int, str], int] = {}
    for t in client.tasks.list(project=project, fields="task_only"):
        key = (t.data["submission_id"], t.data["text"])
        tasks[key] = max(tasks.get(key, 0), t.id)
    return tasks


def test_a_sentence_rewritten_after_the_vote_is_neither_paid_nor_released(
    label_studio, campaign, tmp_path
):
    admin = label_studio.client()
    managers = sign_up_managers(label_studio, campaign)
    email = f"{campaign}-w@example.com"
    writer = connect(
        LabelStudioSettings(
            url=label_studio.url, api_key=sign_up(label_studio.url, admin, email, "writer-pass-1")
        )
    )
    writer_id = next(u.id for u in admin.users.list() if u.email == email)
    texts = [
        "외모로 사람을 판단하지 마",
        "고기 안 먹는 사람은 유난이다",
        "학벌로 사람 판단하지 말자",
    ]
    client, project, subs = seed_campaign(
        label_studio,
        campaign,
        [("appearance", texts[0], writer_id), ("diets", texts[1], writer_id)]
        + [("education", texts[2], writer_id)],
    )
    config = write_config(tmp_path / "campaign.toml", campaign, [m.email for m in managers])
    with open(config, "a", encoding="utf-8") as fh:
        fh.write('\n[rewards]\nper_accepted = 500\ncurrency = "KRW"\nfooled_bonus = 100\n')
    roster = tmp_path / "roster.csv"
    roster.write_text(f"ls_user,platform,platform_id\n{email},manual,P-W\n", encoding="utf-8")
    env = {
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": label_studio.api_key,
        "APEACH_CAMPAIGN_CONFIG": str(config),
        "APEACH_DATABASE_URL": None,
    }
    runner = CliRunner()

    def run(*args):
        outcome = runner.invoke(cli, list(args), env=env)
        assert outcome.exit_code == 0, outcome.output
        return outcome.output

    def cast(decisions):
        """Each manager votes on every listed (submission index, text) not voted on yet."""
        for manager in managers:
            tasks = tasks_by_text(client, campaign, manager)
            for (index, text), decision in decisions.items():
                ballot = vote("keep") if decision == "keep" else vote("drop", "off_topic")
                manager.client.annotations.create(id=tasks[(subs[index], text)], result=ballot)

    def rewrite(index, text, intent="hate", verdict=("hate", 0.8), agreement="confirm"):
        """The writer edits their own submission with their own token; the backend's receipt
        is valid for the new sentence (the worst case: nothing looks forged)."""
        task = client.annotations.get(id=subs[index]).task
        items = generation_result(text, intent, verdict, agreement, project, task)
        writer.annotations.update(id=subs[index], result=items)
        return text

    def released():
        out = tmp_path / "release"
        run("export", "--out", str(out), "--replace")
        lines = (out / "extended.jsonl").read_text(encoding="utf-8").splitlines()
        return {json.loads(line)["annotation_id"]: json.loads(line)["text"] for line in lines}

    def paid():
        with open_database(tmp_path / "campaign.db").connect() as conn:
            rows = conn.execute(select(earnings.c.submission_id, earnings.c.amount)).all()
        return sorted((r.submission_id, r.amount) for r in rows)

    run("writers", "import", str(roster))
    run("votes", "create")
    cast({(i, texts[i]): "keep" for i in range(3)})
    assert "3 submissions: 3 accepted, 0 dropped, 0 pending" in run("votes", "tally")

    # the writer rewrites s0's text and s1's label (intent not_hate, "fooled") after the vote
    new0 = rewrite(0, "외모로 사람 판단하는 놈들은 다 쓰레기야")
    rewrite(1, texts[1], intent="not_hate", verdict=("hate", 0.8), agreement="flip")

    # before any new tally: the stored acceptances are of the old versions, so not taken
    preview = run("payout", "--dry-run")
    assert f"{email}: 500 KRW (1 accepted) to manual P-W" in preview, preview
    assert "2 submission(s) were rewritten by their writer since the managers' vote" in preview
    assert released() == {subs[2]: texts[2]}

    # the tally does not count the old votes on the new versions
    out = run("votes", "tally")
    assert "3 submissions: 1 accepted, 0 dropped, 2 pending" in out
    assert "votes not counted: sentence_changed 6" in out
    assert "6 votes not counted as sentence_changed" in out
    stored = load_tallies(open_database(tmp_path / "campaign.db"))
    assert [stored[s].outcome for s in subs] == ["pending", "pending", "accepted"]
    assert len({stored[s].sentence_version for s in subs}) == 3

    # votes create adds one task per new version, once
    out = run("votes", "create")
    assert out.count("2 vote tasks added (2 for a rewritten sentence), 1 already there") == 3
    assert run("votes", "create").count("0 vote tasks added, 3 already there") == 3
    cast({(0, new0): "keep", (1, texts[1]): "drop"})  # the new s1 task shows the same text
    assert "3 submissions: 2 accepted, 1 dropped, 0 pending" in run("votes", "tally")
    assert released() == {subs[0]: new0, subs[2]: texts[2]}
    run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert paid() == sorted([(subs[0], 500), (subs[2], 500)])

    # rewritten again after it was paid: not paid twice; pending keeps the money until the
    # managers decide; dropped, the earning is reversed (as for any sentence dropped after pay)
    new0b = rewrite(0, "외모 얘기는 그만하자")
    assert "nothing new to pay" in run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert subs[0] not in released()
    run("votes", "create")
    cast({(0, new0b): "keep"})
    assert "3 submissions: 2 accepted, 1 dropped, 0 pending" in run("votes", "tally")
    assert "nothing new to pay" in run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert paid() == sorted([(subs[0], 500), (subs[2], 500)])  # accepted again: paid once
    new0c = rewrite(0, "외모 비하는 이제 그만")
    run("votes", "create")
    cast({(0, new0c): "drop"})
    assert "3 submissions: 1 accepted, 2 dropped, 0 pending" in run("votes", "tally")
    run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert paid() == sorted([(subs[0], 500), (subs[0], -500), (subs[2], 500)])
