"""Kill a payout at every step, re-run it, and check: nothing paid twice, nothing lost, and
every batch's files match the ledger. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from ledger_outcomes import accepted, dropped
from sqlalchemy import func, select

from apeach_ls.database import open_database
from apeach_ls.database.schema import earnings, payout_batches, payout_items
from apeach_ls.errors import ApeachError
from apeach_ls.rewards.batches import rewrite_batch, verify_batch
from apeach_ls.rewards.durable import CRASH_ENV
from apeach_ls.rewards.ledger import record_outcomes
from apeach_ls.rewards.model import SubmissionOutcome
from apeach_ls.rewards.payout import CRASH_STEPS, commit_payout
from apeach_ls.rewards.policy import load_policy
from apeach_ls.rewards.roster import Accounts, import_roster

HERE = Path(__file__).resolve().parent
CHILD = HERE / "rewards_crash_child.py"
PACKAGE = HERE.parent / "apeach_ls" / "rewards"
PLATFORM = {1: ("prolific", "5f1a2b3c4d5e6f7a8b9c0d11"), 2: ("mturk", "A2WORKER")}


@pytest.fixture
def campaign(ledger_url, tmp_path):
    """A ledger with two writers on the roster, one without, and recorded outcomes
    (owed: writer 1 5.00 USD, writer 2 3.50 USD; writer 3 1.50 USD but held back)."""
    policy_path = tmp_path / "campaign.toml"
    policy_path.write_text(
        "[rewards]\nper_accepted = 150\ncurrency = 'USD'\nfooled_bonus = 50\n", encoding="utf-8"
    )
    (tmp_path / "roster.csv").write_text(
        f"ls_user,platform,platform_id\n1,{','.join(PLATFORM[1])}\n"
        f"w2@example.com,{','.join(PLATFORM[2])}\n",
        encoding="utf-8",
    )
    engine = open_database(ledger_url)
    import_roster(
        engine, tmp_path / "roster.csv", Accounts({1: "w1@example.com", 2: "w2@example.com"})
    )
    record_outcomes(
        engine,
        [
            accepted(10, 1, fooled=True),
            accepted(11, 1),
            accepted(12, 1),
            accepted(20, 2, email="w2@example.com"),
            accepted(21, 2, True, "w2@example.com"),
            dropped(22, 2),
            accepted(30, 3),
            SubmissionOutcome(31, 3, None, "pending", True),
        ],
        load_policy(policy_path),
    )
    engine.dispose()
    return ledger_url, policy_path, tmp_path / "out"


def run_child(
    url: str, policy: Path, out: Path, crash_at: str | None = None
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.run(
        [sys.executable, str(CHILD), url, str(policy), str(out)],
        env=env,
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )


def run_ok(url: str, policy: Path, out: Path) -> dict:
    done = run_child(url, policy, out)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def crash(url: str, policy: Path, out: Path, step: str) -> None:
    done = run_child(url, policy, out, crash_at=step)
    assert done.returncode == -signal.SIGKILL, (
        f"step {step!r} was not reached: {done.returncode} {done.stderr}"
    )


def assert_consistent(url: str, out: Path, paid: dict[int, int]) -> None:
    """Paid once, nothing lost, files match the ledger."""
    engine = open_database(url)
    with engine.connect() as conn:
        batches = conn.execute(
            select(payout_batches.c.id, payout_batches.c.status).order_by(payout_batches.c.id)
        ).all()
        assert [b.status for b in batches] == ["committed"] * len(batches)
        twice = conn.execute(
            select(payout_items.c.earning_id)
            .group_by(payout_items.c.earning_id)
            .having(func.count() > 1)
        ).all()
        assert twice == []
        rows = conn.execute(
            select(earnings.c.writer_ls_id, earnings.c.amount, payout_items.c.batch_id).outerjoin(
                payout_items, payout_items.c.earning_id == earnings.c.id
            )
        ).all()
    engine_paid = Counter()
    for row in rows:
        if row.batch_id is None:
            assert row.writer_ls_id == 3, f"an entry of writer {row.writer_ls_id} was never paid"
        else:
            engine_paid[row.writer_ls_id] += row.amount
    assert dict(engine_paid) == paid
    assert sorted(p.name for p in out.iterdir()) == [
        f"batch-{b.id:06d}" for b in batches
    ]  # no .partial left
    files = {
        "prolific": Counter(),
        "mturk": Counter(),
    }  # each writer in their own platform's file only
    tokens = []
    for batch in batches:
        assert verify_batch(engine, batch.id) == []
        folder = out / f"batch-{batch.id:06d}"
        if (folder / "prolific-bonuses.csv").exists():
            for participant, amount in csv.reader((folder / "prolific-bonuses.csv").open()):
                files["prolific"][participant] += round(
                    float(amount) * 100
                )  # parse check only; the ledger is integer
        if (folder / "mturk-bonuses.csv").exists():
            for line in csv.DictReader((folder / "mturk-bonuses.csv").open()):
                files["mturk"][line["worker_id"]] += int(line["amount"].replace(".", ""))
                tokens.append(line["unique_request_token"])
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["batch_id"] == batch.id
    for platform, found in files.items():
        assert dict(found) == {
            PLATFORM[w][1]: amount for w, amount in paid.items() if PLATFORM[w][0] == platform
        }
    assert len(tokens) == len(set(tokens))
    engine.dispose()


def test_every_crash_point_is_a_listed_step():
    names = set()
    for path in PACKAGE.glob("*.py"):
        names |= set(re.findall(r'crash_point\("([a-z_]+)"\)', path.read_text()))
    assert names == set(CRASH_STEPS)


@pytest.mark.parametrize("step", CRASH_STEPS)
def test_kill_at_every_step_then_rerun(campaign, step):
    url, policy, out = campaign
    crash(url, policy, out, step)
    run_ok(url, policy, out)
    assert_consistent(url, out, paid={1: 500, 2: 350})
    again = run_ok(url, policy, out)
    assert (again["batch_id"], again["finished"], again["total"]) == (None, [], 0)
    assert_consistent(url, out, paid={1: 500, 2: 350})


@pytest.mark.parametrize(
    "step", ["planned", "batch_recorded", "provider_files_written", "dir_renamed"]
)
def test_kill_during_a_later_payout_while_new_work_arrives(campaign, step):
    url, policy_path, out = campaign
    policy = load_policy(policy_path)
    assert run_ok(url, policy_path, out)["batch_id"] == 1
    engine = open_database(url)
    record_outcomes(
        engine, [dropped(10, 1), accepted(13, 1), accepted(14, 1), accepted(23, 2)], policy
    )
    engine.dispose()
    crash(url, policy_path, out, step)
    engine = open_database(url)
    record_outcomes(engine, [accepted(24, 2)], policy)  # new work between the crash and the re-run
    engine.dispose()
    result = run_ok(url, policy_path, out)
    if step == "planned":
        assert (result["finished"], result["batch_id"], result["total"]) == ([], 2, 400)
    else:  # batch 2 is completed with exactly its own items; the new work goes into batch 3
        assert (result["finished"], result["batch_id"], result["total"]) == ([2], 3, 150)
    assert_consistent(url, out, paid={1: 500 - 200 + 300, 2: 350 + 300})


def test_a_tampered_folder_stops_completion_and_a_lost_one_is_rewritten(campaign):
    url, policy_path, out = campaign
    crash(url, policy_path, out, "dir_renamed")
    folder = out / "batch-000001"
    original = (folder / "prolific-bonuses.csv").read_bytes()
    (folder / "prolific-bonuses.csv").write_text("P1,500.00\n")
    engine = open_database(url)
    assert verify_batch(engine, 1) == [
        f"{folder / 'prolific-bonuses.csv'}: differs from the ledger"
    ]
    with pytest.raises(
        ApeachError, match="does not match payout batch 1 in the ledger; move the folder away"
    ):
        commit_payout(engine, load_policy(policy_path), out)
    (folder / "prolific-bonuses.csv").write_bytes(original)
    assert commit_payout(engine, load_policy(policy_path), out).finished_batches == (1,)
    files = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    for path in files:
        path.unlink()
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir()
    folder.rmdir()
    assert verify_batch(engine, 1) == [f"{folder}: missing"]
    rewrite_batch(engine, 1)
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files
    engine.dispose()


def test_concurrent_payouts_pay_once(campaign):
    url, policy, out = campaign
    children = [
        subprocess.Popen(
            [sys.executable, str(CHILD), url, str(policy), str(out)],
            cwd=HERE.parent,
            env={k: v for k, v in os.environ.items() if k != CRASH_ENV},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = []
    for child in children:
        stdout, stderr = child.communicate(timeout=180)
        assert child.returncode == 0, stderr
        results.append(json.loads(stdout)["batch_id"])
    assert sorted(results, key=str) == [1, None, None]
    assert_consistent(url, out, paid={1: 500, 2: 350})
