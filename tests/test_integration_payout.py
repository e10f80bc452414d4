"""Writers' rewards end to end on a real Label Studio: submissions, manager votes, tally,
payout; amounts equal the policy applied by hand; nothing is ever paid twice."""

from __future__ import annotations

import csv

import pytest
from campaign_seed import seed_campaign, sign_up_managers, vote, vote_tasks, write_config
from click.testing import CliRunner
from sqlalchemy import select

from apeach_ls.cli import cli
from apeach_ls.database import open_database
from apeach_ls.database.schema import earnings
from apeach_ls.labelstudio.projects import find_project

pytestmark = pytest.mark.integration


def test_payout_round_trip(label_studio, campaign, tmp_path):
    admin = label_studio.client()
    users = {
        name: admin.users.create(
            username=f"{campaign}-{name}", email=f"{campaign}-{name}@example.com"
        ).id
        for name in ("a", "b")
    }
    managers = sign_up_managers(label_studio, campaign)
    sentences = [
        ("appearance", "키 작은 남자는 다 루저야", users["a"]),  # s0 accepted, fooled
        ("diets", "고기 안 먹는 사람은 유난이다", users["a"]),  # s1 accepted
        ("racism", "이건 그냥 인터넷에서 복사한 긴 문장입니다 정말로", users["a"]),  # s2 dropped
        ("education", "학벌로 사람 판단하지 말자", users["b"]),  # s3 accepted, forged "fooled"
        ("origin-and-residence", "그 동네 사람들은 다 그래", users["b"]),  # s4 pending
        ("age-and-social-status", "키 작은 남자는  다 루저야", users["b"]),
    ]  # s5 accepted: a copy of s0
    # s3: writer b posted a flip of a verdict the backend never issued (no receipt): no fooled bonus
    client, _, subs = seed_campaign(label_studio, campaign, sentences, fooled={0, 3}, forged={3})
    config = write_config(tmp_path / "campaign.toml", campaign, [m.email for m in managers])
    with open(config, "a", encoding="utf-8") as fh:
        fh.write('\n[rewards]\nper_accepted = 500\ncurrency = "KRW"\nfooled_bonus = 100\n')
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"ls_user,platform,platform_id,age,gender\n{campaign}-a@example.com,manual,P-A,37,female\n"
        f"{users['b']},manual,P-B,19,male\n",
        encoding="utf-8",
    )
    env = {
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": label_studio.api_key,
        "APEACH_CAMPAIGN_CONFIG": str(config),
    }
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    def refused(*args):
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        return result.output

    bad = tmp_path / "bad.csv"  # accounts Label Studio does not have, and managers, are refused
    bad.write_text(
        f"ls_user,platform,platform_id\nnobody-{campaign}@example.com,manual,P-X\n",
        encoding="utf-8",
    )
    assert f"no Label Studio account has the e-mail nobody-{campaign}@example.com" in refused(
        "writers", "import", str(bad)
    )
    bad.write_text(f"ls_user,platform,platform_id\n{managers[1].id},manual,P-M\n", encoding="utf-8")
    assert f"{campaign}-m2@example.com is a manager of this campaign" in refused(
        "writers", "import", str(bad)
    )
    bad.write_text(f"ls_user,platform,platform_id\n{users['a']},mturk,A1WORKER\n", encoding="utf-8")
    assert "MTurk pays in USD only, but the campaign's [rewards] currency is KRW" in refused(
        "writers", "import", str(bad)
    )
    assert "2 writers added" in run("writers", "import", str(roster))
    assert "1 updated" not in run("writers", "import", str(roster))  # a re-import changes nothing
    run("votes", "create")
    tasks = {
        m.email: vote_tasks(client, find_project(client, campaign, "vote", m.email).id)
        for m in managers
    }
    forged_task = client.tasks.get(id=tasks[managers[0].email][subs[3]])
    assert forged_task.data["aid_flags"] == ["verdict_unverified"]  # managers see the hint
    plan = {0: "kkk", 1: "kkk", 2: "ddd", 3: "kkd", 4: "kd", 5: "kkk"}
    for index, decisions in plan.items():
        for manager, decision in zip(managers, decisions):
            ballot = vote("keep") if decision == "k" else vote("drop", "copied")
            manager.client.annotations.create(id=tasks[manager.email][subs[index]], result=ballot)
    assert "6 submissions: 4 accepted, 1 dropped, 1 pending" in run("votes", "tally")

    preview = run("payout", "--dry-run")
    assert (
        f"{campaign}-a@example.com: 1100 KRW (2 accepted, 1 fooled_bonus) to manual P-A" in preview
    )
    assert (
        f"{campaign}-b@example.com: 500 KRW (1 accepted) to manual P-B" in preview
    )  # s3's forged fooled claim and s5's copy earn nothing
    assert "total payable: 1600 KRW" in preview and "dry run: nothing was written" in preview
    out = run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert "batch 1: files written to" in out and "payout confirm 1 --yes" in out
    assert sorted(p.name for p in (tmp_path / "payouts" / "batch-000001").iterdir()) == [
        "manual-transfers.csv",
        "statements",
        "summary.json",
    ]  # KRW: no Prolific or MTurk file
    with open(
        tmp_path / "payouts" / "batch-000001" / "manual-transfers.csv", encoding="utf-8"
    ) as fh:
        sheet = sorted(
            (row["platform_id"], row["amount"], row["currency"]) for row in csv.DictReader(fh)
        )
    assert sheet == [("P-A", "1100", "KRW"), ("P-B", "500", "KRW")]
    assert "nothing new to pay" in run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert "batch 1 (files written)" in run("payout", "status")
    assert "batch 1 confirmed paid" in run("payout", "confirm", "1", "--yes")

    # the managers drop a sentence that was already paid: one adjustment, however often re-run
    for manager in managers:
        [own] = manager.client.annotations.list(id=tasks[manager.email][subs[1]])
        manager.client.annotations.update(id=own.id, result=vote("drop", "off_topic"))
    assert "3 accepted, 2 dropped, 1 pending" in run("votes", "tally")
    run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    engine = open_database(tmp_path / "campaign.db")
    with engine.connect() as conn:
        rows = conn.execute(
            select(earnings.c.submission_id, earnings.c.kind, earnings.c.amount)
        ).all()
    adjustments = [r for r in rows if r.kind == "adjustment"]
    assert [(r.submission_id, r.amount) for r in adjustments] == [(subs[1], -500)]
    assert subs[5] not in {r.submission_id for r in rows}  # the copy never earned

    # a paid sentence deleted in Label Studio (to be written again): its earnings are reversed
    client.annotations.delete(id=subs[3])
    out = runner.invoke(cli, ["payout", "--dry-run"], env=env)
    assert (
        out.exit_code == 0
        and f"are gone from Label Studio (deleted); their earnings are reversed: {subs[3]}"
        in out.output
    ), out.output
    status = run("payout", "status")
    assert "paid 1600 KRW" in status
    assert "batch 1 (paid)" in status
    assert "P-A" in run("payout", "show", "1")
