"""Validation of fooled sentences and writer holds on a real Label Studio (issue 14).

Three validators with their own accounts and tokens, one of them also a writer: a fooled
sentence validated wrong by two people is not verified, one validated right by two is; the
writer-validator never gets their own sentence, and an answer they slip in on it does not
count. With the fooled bonus on verified fooling only, the payout pays it for the verified
sentence alone. A writer over the quality thresholds is held: their new sentence is not
paid until an admin releases them, then it is paid once."""

from __future__ import annotations

import pytest
from campaign_seed import result, seed_campaign, sign_up_managers, vote, vote_tasks, write_config
from click.testing import CliRunner
from ls_users import sign_up
from sqlalchemy import select

from apeach_ls.cli import cli
from apeach_ls.database import open_database
from apeach_ls.database.schema import earnings
from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
from apeach_ls.labelstudio.projects import find_project
from apeach_ls.validation.store import load_verified

pytestmark = pytest.mark.integration


def answer(value):
    return [
        {
            "from_name": "answer",
            "to_name": "sentence",
            "type": "choices",
            "value": {"choices": [value]},
        }
    ]


def test_validation_and_holds_end_to_end(label_studio, campaign, tmp_path):
    admin = label_studio.client()
    m1, v2, v3 = sign_up_managers(label_studio, campaign)  # m1 votes; v2 and v3 validate
    a_email = f"{campaign}-a@example.com"  # writer a also validates
    a_client = connect(
        LabelStudioSettings(
            url=label_studio.url,
            api_key=sign_up(label_studio.url, admin, a_email, "writer-pass-123"),
        )
    )
    a = {u.email: u.id for u in admin.users.list()}[a_email]
    b = admin.users.create(username=f"{campaign}-b", email=f"{campaign}-b@example.com").id
    sentences = [
        ("appearance", "키 작은 남자는 다 루저야", a),  # s0 fooled: validated wrong
        ("diets", "고기 안 먹는 사람은 유난이다", b),  # s1 fooled: validated right
        ("education", "학벌로 사람 판단하지 말자", b),  # s2 not fooled: no validation
    ]
    client, gen_pid, subs = seed_campaign(label_studio, campaign, sentences, fooled={0, 1})
    config = write_config(tmp_path / "campaign.toml", campaign, [m1.email], k=1)
    base = config.read_text(encoding="utf-8")
    env = {
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": label_studio.api_key,
        "APEACH_CAMPAIGN_CONFIG": str(config),
    }
    runner = CliRunner()

    def run(*args):
        res = runner.invoke(cli, list(args), env=env)
        assert res.exit_code == 0, res.output
        return res.output

    res = runner.invoke(cli, ["validation", "create"], env=env)  # off by default
    assert res.exit_code == 1 and "validation is off" in res.output, res.output

    validators = [a_email, v2.email, v3.email]
    config.write_text(
        base
        + f"[validation]\nenabled = true\nvalidators = {validators!r}\n".replace("'", '"')
        + "[quality]\nmin_sentences = 1\nmax_fooled_rate = 0.5\n"
        + '[rewards]\nper_accepted = 500\ncurrency = "KRW"\nfooled_bonus = 100\n'
        + "fooled_bonus_verified_only = true\n",
        encoding="utf-8",
    )
    out = run("validation", "create")
    assert out.count("validation project of") == 3 and "2 fooled sentences" in out
    projects = {v: find_project(client, campaign, "validation", v).id for v in validators}
    held = {v: vote_tasks(client, pid) for v, pid in projects.items()}  # {sid: task id}
    assert subs[0] not in held[a_email]  # a never gets their own sentence
    assert {v for v in validators if subs[0] in held[v]} == {v2.email, v3.email}
    assert sum(subs[1] in held[v] for v in validators) == 2  # two validators first
    assert not any(subs[2] in held[v] for v in validators)  # not fooled: not validated
    task = client.tasks.get(id=held[v2.email][subs[0]])
    assert task.data["label"] == "혐오 아님" and task.data["text"] == sentences[0][1]
    assert "0 validation tasks added" in run("validation", "create")  # nothing new: nothing added

    # a slips their own sentence into their project and says it is right: not counted
    a_client.projects.import_tasks(
        id=projects[a_email],
        request=[{"data": {"submission_id": subs[0], "topic": "x", "text": "x", "label": "x"}}],
    )
    own_task = vote_tasks(client, projects[a_email])[subs[0]]
    a_client.annotations.create(id=own_task, result=answer("right"))
    users = {v.email: v.client for v in (v2, v3)} | {a_email: a_client}
    for v in (v2.email, v3.email):
        users[v].annotations.create(id=held[v][subs[0]], result=answer("wrong"))
    for v in validators:
        if subs[1] in held[v]:
            users[v].annotations.create(id=held[v][subs[1]], result=answer("right"))
    out = run("validation", "tally")
    assert "2 fooled sentences: 1 verified, 1 rejected, 0 undecided" in out, out
    assert "answers not counted: own_sentence 1" in out
    assert load_verified(open_database(tmp_path / "campaign.db")) == {subs[0]: False, subs[1]: True}
    assert "0 validation tasks added" in run("validation", "create")  # decided: no one else asked

    # quality: a's fooled rate 1.00 > 0.50 -> held from now on; b (0.50) is not
    out = run("writers", "quality")
    assert (
        f"{a_email}: 1 sentences, fooled 1.00" in out
        and "held from now on: fooled rate 1.00 > 0.50" in out
    )
    assert "1 writers" not in out and "2 writers: 1 held now, 0 on hold already" in out
    assert "1 held now" not in run("writers", "quality")  # re-run: no one held twice
    spare = next(  # a writes a new sentence while held
        t.id
        for t in client.tasks.list(project=gen_pid, fields="task_only")
        if not t.total_annotations and t.data["prompt_id"].startswith("appearance")
    )
    s3 = client.annotations.create(
        id=spare,
        result=result("뚱뚱한 사람은 자기관리를 못한 거다", project_id=gen_pid, task_id=spare),
        completed_by=a,
    ).id

    run("votes", "create")
    tasks = vote_tasks(client, find_project(client, campaign, "vote", m1.email).id)
    for sid in (*subs, s3):
        m1.client.annotations.create(id=tasks[sid], result=vote("keep"))
    assert "4 submissions: 4 accepted" in run("votes", "tally")
    # vMER reads the validation: of the 2 fooled (and accepted) sentences 1 is verified
    # (without validation the managers' acceptance would verify both: 50.0%)
    table = {
        line.split()[0]: tuple(line.split()[1:])
        for line in run("rounds", "metrics").splitlines()[1:]
    }
    assert table["round-1"] == ("4", "2", "50.0%", "1", "25.0%", "0"), table
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"ls_user,platform,platform_id\n{a_email},manual,P-A\n{b},manual,P-B\n", encoding="utf-8"
    )
    run("writers", "import", str(roster))
    out = run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert "held: 1 entries, 500 KRW" in out, out
    engine = open_database(tmp_path / "campaign.db")

    def entries():
        with engine.connect() as conn:
            return sorted(
                (r.submission_id, r.kind, r.amount)
                for r in conn.execute(
                    select(earnings.c.submission_id, earnings.c.kind, earnings.c.amount)
                )
            )

    # s0's fooling was validated wrong: no bonus; s1's right: bonus; s3 held
    assert entries() == sorted(
        [
            (subs[0], "accepted", 500),
            (subs[1], "accepted", 500),
            (subs[1], "fooled_bonus", 100),
            (subs[2], "accepted", 500),
        ]
    )
    assert "released" in run("writers", "release", a_email)
    assert "is not on hold" in run("writers", "release", a_email)
    out = run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert "batch 2" in out and "held" not in out, out
    assert "nothing new to pay" in run("payout", "--commit", "--out", str(tmp_path / "payouts"))
    assert [e for e in entries() if e[0] == s3] == [(s3, "accepted", 500)]  # paid once
    out = run("writers", "quality")  # figures count from the release: a is not held again
    assert "0 held now, 0 on hold already" in out and "since" in out
