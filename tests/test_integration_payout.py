"""Writers' rewards end to end on a real Label Studio: submissions, manager votes, tally,
payout; amounts equal the policy applied by hand; nothing is ever paid twice."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from apeach_ls.cli import cli
from apeach_ls.labelstudio.campaign import find_project
from apeach_ls.rewards.db import earnings, open_ledger
from campaign_seed import seed_campaign, sign_up_managers, vote, vote_tasks, write_config

pytestmark = pytest.mark.integration


def test_payout_round_trip(label_studio, campaign, tmp_path):
    admin = label_studio.client()
    users = {name: admin.users.create(username=f"{campaign}-{name}", email=f"{campaign}-{name}@example.com").id
             for name in ("a", "b")}
    managers = sign_up_managers(label_studio, campaign)
    sentences = [("appearance", "키 작은 남자는 다 루저야", users["a"]),          # s0 accepted, fooled
                 ("diets", "고기 안 먹는 사람은 유난이다", users["a"]),            # s1 accepted
                 ("racism", "이건 그냥 인터넷에서 복사한 긴 문장입니다 정말로", users["a"]),  # s2 dropped
                 ("education", "학벌로 사람 판단하지 말자", users["b"]),           # s3 accepted
                 ("origin-and-residence", "그 동네 사람들은 다 그래", users["b"])]  # s4 pending
    client, _, subs = seed_campaign(label_studio, campaign, sentences, fooled={0})
    config = write_config(tmp_path / "campaign.toml", campaign, [m.email for m in managers])
    with open(config, "a", encoding="utf-8") as fh:
        fh.write('\n[rewards]\nper_accepted = 500\ncurrency = "KRW"\nfooled_bonus = 100\n')
    roster = tmp_path / "roster.csv"
    roster.write_text(f"ls_user,platform_id,age,gender\n{campaign}-a@example.com,P-A,37,female\n"
                      f"{users['b']},P-B,19,male\n", encoding="utf-8")
    env = {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": label_studio.api_key,
           "APEACH_CAMPAIGN_CONFIG": str(config)}
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "2 writers added" in run("writers", "import", str(roster))
    assert "1 updated" not in run("writers", "import", str(roster))  # a re-import changes nothing
    run("votes", "create")
    tasks = {m.email: vote_tasks(client, find_project(client, campaign, "vote", m.email).id) for m in managers}
    plan = {0: "kkk", 1: "kkk", 2: "ddd", 3: "kkd", 4: "kd"}
    for index, decisions in plan.items():
        for manager, decision in zip(managers, decisions):
            ballot = vote("keep") if decision == "k" else vote("drop", "copied")
            manager.client.annotations.create(id=tasks[manager.email][subs[index]], result=ballot)
    assert "5 submissions: 3 accepted, 1 dropped, 1 pending" in run("votes", "tally")

    preview = run("payout", "--dry-run")
    assert f"{campaign}-a@example.com: 1100 KRW (2 accepted, 1 fooled_bonus) to P-A" in preview
    assert f"{campaign}-b@example.com: 500 KRW (1 accepted) to P-B" in preview
    assert "total payable: 1600 KRW" in preview and "dry run: nothing was written" in preview
    out = run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert "batch 1 committed" in out
    prolific = sorted((tmp_path / "payouts").glob("*/prolific*.csv"))
    assert len(prolific) == 1
    assert sorted(prolific[0].read_text(encoding="utf-8").split()) == ["P-A,1100", "P-B,500"]
    assert "nothing new to pay" in run("payout", "--commit", "--out", str(tmp_path / "payouts"))

    # the managers drop a sentence that was already paid: one adjustment, however often re-run
    for manager in managers:
        [own] = manager.client.annotations.list(id=tasks[manager.email][subs[1]])
        manager.client.annotations.update(id=own.id, result=vote("drop", "off_topic"))
    assert "2 accepted, 2 dropped, 1 pending" in run("votes", "tally")
    run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    engine = open_ledger(tmp_path / "campaign.db")
    with engine.connect() as conn:
        rows = conn.execute(select(earnings.c.submission_id, earnings.c.kind, earnings.c.amount)).all()
    adjustments = [r for r in rows if r.kind == "adjustment"]
    assert [(r.submission_id, r.amount) for r in adjustments] == [(subs[1], -500)]
    status = run("payout", "status")
    assert "paid 1600 KRW" in status
    assert "batch 1 (committed)" in status
    assert "P-A" in run("payout", "show", "1")
