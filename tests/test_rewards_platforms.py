"""Payouts by platform (issue 12, case 8), on SQLite and PostgreSQL: each writer is in their
own platform's file only; each platform's currency and id rules are checked before anything
is recorded; KRW goes to a manual-transfer sheet; a batch is "files written" until the
operator confirms it paid."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from ledger_outcomes import accepted
from sqlalchemy import func, select, update

from apeach_ls.database import migrations, open_database
from apeach_ls.database.schema import earnings, payout_batches, writers
from apeach_ls.errors import ApeachError
from apeach_ls.rewards.batches import confirm_batch, verify_batch
from apeach_ls.rewards.ledger import record_outcomes, writer_balances
from apeach_ls.rewards.payout import check_payout, commit_payout, payout_status, show_batch
from apeach_ls.rewards.policy import RewardPolicy
from apeach_ls.rewards.roster import Accounts, import_roster

USD = RewardPolicy(per_accepted=150, currency="USD")
KRW = RewardPolicy(per_accepted=1500, currency="KRW")
PROLIFIC_ID = "5f1a2b3c4d5e6f7a8b9c0d1e"
ACCOUNTS = Accounts({1: "p@example.com", 2: "t@example.com", 3: "m@example.com"})


def rows(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture
def engine(ledger_url, tmp_path):
    engine = open_database(ledger_url)
    yield engine
    engine.dispose()


def roster(engine, tmp_path, text, currency=None):
    path = tmp_path / "roster.csv"
    path.write_text("ls_user,platform,platform_id,assignment_id\n" + text, encoding="utf-8")
    return import_roster(engine, path, ACCOUNTS, currency)


def test_each_writer_is_written_into_their_own_platforms_file_only(engine, tmp_path):
    roster(
        engine, tmp_path, f"1,prolific,{PROLIFIC_ID},\n2,mturk,A2WORKER,3ASSIGN\n3,manual,BANK-3,\n"
    )
    record_outcomes(
        engine, [accepted(10, 1), accepted(11, 1), accepted(20, 2), accepted(30, 3)], USD
    )
    result = commit_payout(engine, USD, tmp_path / "out")
    folder = result.directory
    assert sorted(p.name for p in folder.iterdir()) == [
        "manual-transfers.csv",
        "mturk-bonuses.csv",
        "prolific-bonuses.csv",
        "statements",
        "summary.json",
    ]
    assert rows(folder / "prolific-bonuses.csv") == [[PROLIFIC_ID, "3.00"]]
    assert [r[:3] for r in rows(folder / "mturk-bonuses.csv")] == [
        ["worker_id", "assignment_id", "amount"],
        ["A2WORKER", "3ASSIGN", "1.50"],
    ]
    manual = rows(folder / "manual-transfers.csv")
    assert manual[0] == [
        "writer_ls_id",
        "writer_email",
        "platform_id",
        "amount",
        "currency",
        "reference",
        "reason",
    ]
    assert manual[1][:5] == ["3", "", "BANK-3", "1.50", "USD"] and manual[1][5].startswith(
        "APEACH-"
    )
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert [(w["writer_ls_id"], w["platform"]) for w in summary["writers"]] == [
        (1, "prolific"),
        (2, "mturk"),
        (3, "manual"),
    ]
    assert summary["providers"] == ["prolific", "mturk", "manual"]
    assert verify_batch(engine, result.batch_id) == []
    assert [(n, a) for n, a in result.plan.by_platform().items()] == [
        ("prolific", (1, 300)),
        ("mturk", (1, 150)),
        ("manual", (1, 150)),
    ]


def test_a_krw_campaign_pays_through_the_manual_sheet_only(engine, tmp_path):
    roster(engine, tmp_path, "1,manual,KIM-1,\n3,manual,LEE-3,\n", "KRW")
    record_outcomes(engine, [accepted(10, 1, email="=cmd@example.com"), accepted(30, 3)], KRW)
    result = commit_payout(engine, KRW, tmp_path / "out")
    assert sorted(p.name for p in result.directory.iterdir()) == [
        "manual-transfers.csv",
        "statements",
        "summary.json",
    ]
    sheet = rows(result.directory / "manual-transfers.csv")
    assert [r[:5] for r in sheet[1:]] == [
        ["1", "'=cmd@example.com", "KIM-1", "1500", "KRW"],
        ["3", "", "LEE-3", "1500", "KRW"],
    ]  # guarded for spreadsheets


@pytest.mark.parametrize(
    "stored, policy, message",
    [
        (
            "mturk",
            KRW,
            "the roster does not fit the payout platforms' rules: 1 writer(s) on mturk (t@example.com): MTurk "
            "pays in USD only, but the campaign's [rewards] currency is KRW; pay these writers with platform "
            "manual (a manual-transfer sheet), or use a USD campaign; nothing was recorded or paid. Fix the "
            "rows and run `apeach-ls writers import` again",
        ),
        (
            "prolific",
            KRW,
            "the roster does not fit the payout platforms' rules: 1 writer(s) on prolific (t@example.com): "
            "Prolific pays in GBP or USD only, but the campaign's [rewards] currency is KRW; pay these "
            "writers with platform manual (a manual-transfer sheet), or use a GBP or USD campaign (and 1 more "
            "problem(s)); nothing was recorded or paid. Fix the rows and run `apeach-ls writers import` "
            "again",
        ),  # the other: A2WORKER is not a Prolific participant id
        (
            "-A2",
            USD,
            "the roster does not fit the payout platforms' rules: t@example.com: '-A2' is not an MTurk worker id "
            "(A followed by upper-case letters and digits, e.g. A1B2C3D4E5F6G7); nothing was recorded or paid. "
            "Fix the rows and run `apeach-ls writers import` again",
        ),
    ],
)
def test_platform_rules_are_checked_before_anything_is_recorded(
    engine, tmp_path, stored, policy, message
):
    """A roster that changed under the campaign (or a config that changed currency): the
    payout refuses before recording or writing anything."""
    roster(engine, tmp_path, "2,mturk,A2WORKER,\n")
    with engine.begin() as conn:
        if stored.startswith("-"):
            conn.execute(update(writers).values(platform_id=stored))
        else:
            conn.execute(update(writers).values(platform=stored))
    with pytest.raises(ApeachError) as caught:
        check_payout(engine, policy, tmp_path / "out")
    assert str(caught.value) == message
    with pytest.raises(ApeachError):
        commit_payout(engine, policy, tmp_path / "out")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(earnings)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(payout_batches)).scalar_one() == 0
    assert not (tmp_path / "out").exists()


def test_a_writer_stored_before_platforms_existed_is_held_not_guessed(engine, tmp_path):
    roster(engine, tmp_path, "1,manual,P1,\n")
    with engine.begin() as conn:
        conn.execute(update(writers).values(platform=None))
    record_outcomes(engine, [accepted(10, 1)], USD)
    result = commit_payout(engine, USD, tmp_path / "out")
    [held] = result.plan.held
    assert result.batch_id is None and held.held_reason == (
        "no payout platform on the roster for Label Studio user 1: import their row again with a platform column "
        "(prolific, mturk, manual)"
    )


def test_files_written_is_not_paid_until_the_operator_confirms(engine, tmp_path):
    roster(engine, tmp_path, "1,manual,P1,\n")
    record_outcomes(engine, [accepted(10, 1)], USD)
    result = commit_payout(engine, USD, tmp_path / "out")
    state = payout_status(engine)
    assert (state.earned, state.paid, state.awaiting, state.owed) == (150, 0, 150, 0)
    assert [b.state for b in state.batches] == ["files written"]
    assert show_batch(engine, 1).batch.state == "files written"

    preview = confirm_batch(engine, 1, dry_run=True)
    assert (preview.already, preview.total) == (False, 150) and payout_status(engine).paid == 0
    (result.directory / "manual-transfers.csv").write_text("tampered\n", encoding="utf-8")
    with pytest.raises(
        ApeachError,
        match=r"differ from payout batch 1 in the ledger, so what was uploaded is not "
        r"what the ledger pays \(1.50 USD\).*nothing was confirmed",
    ):
        confirm_batch(engine, 1)
    assert payout_status(engine).paid == 0
    shutil.rmtree(result.directory)
    done = confirm_batch(
        engine, 1
    )  # uploaded, then the folder was cleaned up: confirmed from the ledger
    assert (done.already, done.missing_files, done.batch.state) == (False, True, "paid")
    state = payout_status(engine)
    assert (state.paid, state.awaiting, [b.state for b in state.batches]) == (150, 0, ["paid"])
    assert [(b.in_batches, b.paid, b.awaiting) for b in writer_balances(engine)] == [(150, 150, 0)]
    again = confirm_batch(engine, 1)
    assert again.already and again.batch.paid_at == done.batch.paid_at
    with pytest.raises(ApeachError, match="payout batch 9 does not exist"):
        confirm_batch(engine, 9)


def test_a_preparing_batch_cannot_be_confirmed(engine, tmp_path):
    roster(engine, tmp_path, "1,manual,P1,\n")
    record_outcomes(engine, [accepted(10, 1)], USD)
    commit_payout(engine, USD, tmp_path / "out")
    with engine.begin() as conn:
        conn.execute(update(payout_batches).values(status="preparing"))
    with pytest.raises(
        ApeachError,
        match="payout batch 1's files are not written yet; run `apeach-ls payout "
        "--commit` to write them, upload them, then confirm",
    ):
        confirm_batch(engine, 1)
    assert payout_status(engine).batches[0].state == "preparing"


def test_batches_of_file_format_2_keep_every_writer_in_every_file(
    ledger_url, tmp_path, monkeypatch
):
    """A batch made before platforms were routed (format 2, providers prolific and mturk):
    after the upgrade it still renders its old layout, so its files match the ledger."""
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:3])
    old = open_database(ledger_url)
    with old.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO writers (ls_user_id, platform_id, updated_at) VALUES (1, 'P1', 'then')"
        )
        conn.exec_driver_sql(
            "INSERT INTO writers (ls_user_id, platform_id, updated_at) VALUES (2, 'P2', 'then')"
        )
        for sid, writer in ((10, 1), (20, 2)):
            conn.exec_driver_sql(
                "INSERT INTO earnings (submission_id, kind, writer_ls_id, amount, currency, reason, "
                f"recorded_at) VALUES ({sid}, 'accepted', {writer}, 150, 'USD', 'accepted', 'then')"
            )
        conn.exec_driver_sql(
            "INSERT INTO payout_batches (status, currency, providers, directory, created_at, "
            f"file_format) VALUES ('preparing', 'USD', 'prolific,mturk', "
            f"'{tmp_path / 'out' / 'batch-000001'}', 'then', 2)"
        )
        for earning, pid in ((1, "P1"), (2, "P2")):
            conn.exec_driver_sql(
                f"INSERT INTO payout_items (batch_id, earning_id, platform_id) VALUES (1, {earning}, "
                f"'{pid}')"
            )
    old.dispose()
    monkeypatch.undo()
    engine = open_database(ledger_url)
    result = commit_payout(
        engine, USD, tmp_path / "out"
    )  # finishes the old batch as it was planned
    assert result.finished_batches == (1,) and result.batch_id is None
    folder = tmp_path / "out" / "batch-000001"
    assert rows(folder / "prolific-bonuses.csv") == [["P1", "1.50"], ["P2", "1.50"]]
    assert [r[0] for r in rows(folder / "mturk-bonuses.csv")] == ["worker_id", "P1", "P2"]
    assert (
        "platform"
        not in json.loads((folder / "summary.json").read_text(encoding="utf-8"))["writers"][0]
    )
    assert show_batch(engine, 1).problems == ()
    engine.dispose()
