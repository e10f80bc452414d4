"""Kill a payout at every step it reports, re-run it, and check: nothing paid twice, nothing
lost, and every batch's files match the ledger. On SQLite and on a real PostgreSQL server.

The steps are not listed here: a first run to the end logs every step the payout reports
(through its ``on_step`` observer), then a run on a fresh campaign is killed at each of
them in turn (tests/step_kills.py)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ledger_outcomes import accepted, dropped
from sqlalchemy import func, select
from step_kills import NEVER, logged_steps

from apeach_ls.atomic import FILE_WRITTEN, FOLDER_IN_PLACE, FOLDER_SYNCED
from apeach_ls.database import open_database
from apeach_ls.database.schema import earnings, payout_batches, payout_items
from apeach_ls.errors import ApeachError
from apeach_ls.rewards.batches import BATCH_MARKED_COMMITTED, rewrite_batch, verify_batch
from apeach_ls.rewards.ledger import record_outcomes
from apeach_ls.rewards.model import SubmissionOutcome
from apeach_ls.rewards.payout import BATCH_INSERTED, BATCH_RECORDED, PLANNED, commit_payout
from apeach_ls.rewards.policy import load_policy
from apeach_ls.rewards.roster import Accounts, import_roster

HERE = Path(__file__).resolve().parent
CHILD = HERE / "rewards_crash_child.py"
PLATFORM = {1: ("prolific", "5f1a2b3c4d5e6f7a8b9c0d11"), 2: ("mturk", "A2WORKER")}


@dataclass(frozen=True)
class Campaign:
    url: str  # its ledger
    policy: Path
    out: Path  # where payout batches are written
    log: Path  # where a child logs the payout's steps


def seed(url: str, folder: Path) -> Campaign:
    """A ledger with two writers on the roster, one without, and recorded outcomes
    (owed: writer 1 5.00 USD, writer 2 3.50 USD; writer 3 1.50 USD but held back)."""
    policy_path = folder / "campaign.toml"
    policy_path.write_text(
        "[rewards]\nper_accepted = 150\ncurrency = 'USD'\nfooled_bonus = 50\n", encoding="utf-8"
    )
    (folder / "roster.csv").write_text(
        f"ls_user,platform,platform_id\n1,{','.join(PLATFORM[1])}\n"
        f"w2@example.com,{','.join(PLATFORM[2])}\n",
        encoding="utf-8",
    )
    engine = open_database(url)
    import_roster(
        engine, folder / "roster.csv", Accounts({1: "w1@example.com", 2: "w2@example.com"})
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
    return Campaign(url, policy_path, folder / "out", folder / "steps.log")


@pytest.fixture(params=["sqlite", "postgresql"])
def campaigns(request, tmp_path) -> Iterator[Callable[[], Campaign]]:
    """Makes fresh campaigns, each with a new ledger: SQLite files, or PostgreSQL databases
    (dropped after the test)."""
    server = request.getfixturevalue("postgres_server") if request.param == "postgresql" else None
    made: list[str] = []

    def make() -> Campaign:
        folder = tmp_path / f"campaign-{len(made)}"
        folder.mkdir()
        url = server.create_database() if server else f"sqlite:///{folder / 'ledger.sqlite'}"
        made.append(url)
        return seed(url, folder)

    yield make
    for url in made:
        if server:
            server.drop_database(url)


@pytest.fixture
def campaign(campaigns) -> Campaign:
    return campaigns()


def run_child(c: Campaign, kill_at: str = NEVER) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHILD), c.url, str(c.policy), str(c.out), str(c.log), kill_at],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )


def steps_to_the_end(c: Campaign) -> list[str]:
    """Run a payout to the end in a child; the steps it reported."""
    done = run_child(c)
    assert done.returncode == 0, done.stderr
    return logged_steps(c.log)


def crash(c: Campaign, kill_at: str) -> list[str]:
    """Run a payout in a child killed at ``kill_at``; the steps it reported."""
    done = run_child(c, kill_at)
    steps = logged_steps(c.log)
    assert done.returncode == -9, f"step {kill_at!r} was not reached: {steps} {done.stderr}"
    return steps


def pay(c: Campaign) -> dict:
    """A payout in this process, to the end."""
    engine = open_database(c.url)
    result = commit_payout(engine, load_policy(c.policy), c.out)
    engine.dispose()
    return {
        "batch_id": result.batch_id,
        "finished": list(result.finished_batches),
        "total": result.plan.total,
    }


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
    ]  # nothing left of a killed run's temporary folders
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


def test_a_payout_reports_its_steps_through_every_layer(campaign):
    steps = steps_to_the_end(campaign)
    reported = {PLANNED, BATCH_INSERTED, BATCH_RECORDED, FOLDER_SYNCED, FOLDER_IN_PLACE}
    assert reported | {FILE_WRITTEN, BATCH_MARKED_COMMITTED} <= set(steps)
    folder = campaign.out / "batch-000001"
    assert steps.count(FILE_WRITTEN) == sum(1 for p in folder.rglob("*") if p.is_file()) == 5
    assert steps[-1] == BATCH_MARKED_COMMITTED
    assert steps_to_the_end(campaign) == [PLANNED]  # nothing left to pay: planned, and done


def test_kill_at_every_step_then_rerun(campaigns):
    steps = steps_to_the_end(campaigns())
    for index, step in enumerate(steps):
        c = campaigns()
        assert crash(c, str(index)) == steps[: index + 1]  # killed right at that step
        try:
            pay(c)
            assert_consistent(c.url, c.out, paid={1: 500, 2: 350})
            assert pay(c) == {"batch_id": None, "finished": [], "total": 0}
            assert_consistent(c.url, c.out, paid={1: 500, 2: 350})
        except AssertionError as exc:
            exc.add_note(f"killed at step {index} ({step}) of {steps}")
            raise


def test_kill_during_a_later_payout_while_new_work_arrives(campaigns):
    def first_payout_then_new_work() -> Campaign:
        c = campaigns()
        assert pay(c)["batch_id"] == 1
        engine = open_database(c.url)
        new_work = [dropped(10, 1), accepted(13, 1), accepted(14, 1), accepted(23, 2)]
        record_outcomes(engine, new_work, load_policy(c.policy))
        engine.dispose()
        return c

    steps = steps_to_the_end(first_payout_then_new_work())
    outcomes = set()
    for index, step in enumerate(steps):
        c = first_payout_then_new_work()
        reached = crash(c, str(index))
        engine = open_database(c.url)
        record_outcomes(engine, [accepted(24, 2)], load_policy(c.policy))  # between kill and re-run
        engine.dispose()
        result = pay(c)
        try:
            found = (result["finished"], result["batch_id"], result["total"])
            if BATCH_MARKED_COMMITTED in reached:  # batch 2 was written: the new work is batch 3
                assert found == ([], 3, 150)
            elif BATCH_RECORDED in reached:  # batch 2 is completed with exactly its own items
                assert found == ([2], 3, 150)
            else:  # nothing was recorded: one new batch with everything (PostgreSQL may have
                # used up id 2 in the transaction that was killed)
                assert (found[0], found[2]) == ([], 400) and found[1] in (2, 3)
            assert_consistent(c.url, c.out, paid={1: 500 - 200 + 300, 2: 350 + 300})
        except AssertionError as exc:
            exc.add_note(f"killed at step {index} ({step}) of {steps}")
            raise
        outcomes.add(str(found[::2]))
    assert len(outcomes) == 3  # killed before batch 2 was recorded, while written, after


def test_a_tampered_folder_stops_completion_and_a_lost_one_is_rewritten(campaign):
    url, policy_path, out = campaign.url, campaign.policy, campaign.out
    crash(campaign, FOLDER_IN_PLACE)  # the folder is in place, the batch not marked committed
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
    c = campaign
    children = [
        subprocess.Popen(
            [sys.executable, str(CHILD), c.url, str(c.policy), str(c.out), str(c.log)],
            cwd=HERE.parent,
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
    assert_consistent(c.url, c.out, paid={1: 500, 2: 350})
