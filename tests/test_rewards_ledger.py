"""The ledger and payouts, on SQLite and PostgreSQL: exact amounts, idempotency, reversals,
caps and budget, held writers, and the named migrations."""

from __future__ import annotations

import csv
import io
import json

import pytest
from ledger_outcomes import accepted, dropped
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from apeach_ls.database import migrations, open_database
from apeach_ls.database.schema import earnings, payout_batches, payout_items
from apeach_ls.errors import ApeachError, ConfigError
from apeach_ls.rewards import ledger as ledger_module
from apeach_ls.rewards.ledger import record_outcomes, writer_balances
from apeach_ls.rewards.model import SubmissionOutcome
from apeach_ls.rewards.payout import (
    commit_payout,
    payout_status,
    plan_payout,
    preview_payout,
    show_batch,
)
from apeach_ls.rewards.policy import RewardPolicy
from apeach_ls.rewards.providers import FakeProvider, MTurkProvider
from apeach_ls.rewards.roster import Accounts, import_roster

USD = RewardPolicy(per_accepted=150, currency="USD", fooled_bonus=50)
# Label Studio's accounts, as `writers import` reads them (user id -> e-mail)
ACCOUNTS = Accounts(
    {1: "w1@example.com", 2: "w2@example.com", 3: "w3@example.com", 7: "new@example.com"}
)


@pytest.fixture
def engine(ledger_url, tmp_path):
    engine = open_database(ledger_url)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "ls_user,platform,platform_id,age,gender\n1,manual,P1,30,female\n2,manual,P2,41,male\n"
        "w3@example.com,manual,P3,,\n",
        encoding="utf-8",
    )
    import_roster(engine, roster, ACCOUNTS)
    yield engine
    engine.dispose()


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def manual_lines(batch_dir) -> dict[str, str]:
    """platform_id -> amount in a batch's manual-transfer sheet."""
    rows = csv.DictReader(
        io.StringIO((batch_dir / "manual-transfers.csv").read_text(encoding="utf-8"))
    )
    return {row["platform_id"]: row["amount"] for row in rows}


def test_amounts_equal_the_policy_applied_by_hand(engine, tmp_path):
    outcomes = [
        accepted(10, 1, fooled=True),
        accepted(11, 1),
        accepted(12, 1, fooled=True),
        accepted(20, 2),
        dropped(21, 2),
        SubmissionOutcome(22, 2, None, "pending", True),
        accepted(30, 3, email="W3@example.com", fooled=True),
    ]
    report = record_outcomes(engine, outcomes, USD)
    assert (report.count("recorded"), report.amount("recorded")) == (
        8,
        3 * 150 + 2 * 50 + 150 + 150 + 50,
    )
    by_hand = {1: 3 * 150 + 2 * 50, 2: 150, 3: 150 + 50}
    assert {b.writer_id: b.earned for b in writer_balances(engine)} == by_hand

    result = commit_payout(engine, USD, tmp_path / "out")
    assert result.batch_id == 1 and result.plan.total == 900
    assert manual_lines(result.directory) == {"P1": "5.50", "P2": "1.50", "P3": "2.00"}
    assert {b.writer_id: (b.in_batches, b.paid, b.balance) for b in writer_balances(engine)} == {
        1: (550, 0, 0),
        2: (150, 0, 0),
        3: (200, 0, 0),
    }
    statement = (result.directory / "statements" / "writer-1.csv").read_text().splitlines()
    assert statement[0] == "earning_id,submission_id,kind,amount,amount_minor,currency,reason"
    assert [line.split(",")[1:4] for line in statement[1:]] == [
        ["10", "accepted", "1.50"],
        ["10", "fooled_bonus", "0.50"],
        ["11", "accepted", "1.50"],
        ["12", "accepted", "1.50"],
        ["12", "fooled_bonus", "0.50"],
    ]


def test_recording_again_changes_nothing_and_second_payout_pays_nothing(engine, tmp_path):
    outcomes = [accepted(10, 1, fooled=True), accepted(20, 2)]
    record_outcomes(engine, outcomes, USD)
    again = record_outcomes(engine, outcomes, USD)
    assert (again.count("recorded"), again.count("unchanged")) == (0, 3)
    assert count(engine, earnings) == 3
    first = commit_payout(engine, USD, tmp_path / "out")
    second = commit_payout(engine, USD, tmp_path / "out")
    assert (first.batch_id, second.batch_id, second.plan.total, second.files) == (1, None, 0, ())
    assert count(engine, payout_batches) == 1 and count(engine, payout_items) == 3
    record_outcomes(engine, outcomes + [accepted(21, 2)], USD)
    third = commit_payout(engine, USD, tmp_path / "out")
    assert third.batch_id == 2 and manual_lines(third.directory) == {"P2": "1.50"}


def test_dropping_a_paid_sentence_gives_exactly_one_adjustment(engine, tmp_path):
    record_outcomes(engine, [accepted(10, 1, fooled=True), accepted(11, 1)], USD)
    commit_payout(engine, USD, tmp_path / "out")
    report = record_outcomes(engine, [dropped(10, 1), accepted(11, 1)], USD)
    [line] = [entry for entry in report.lines if entry.action == "reversed"]
    assert (line.submission_id, line.kind, line.amount) == (10, "adjustment", -200)
    assert line.reason == "dropped after acceptance: reverses accepted+fooled_bonus"
    for _ in range(2):
        again = record_outcomes(engine, [dropped(10, 1)], USD)
        assert [(line.action, line.amount) for line in again.lines] == [("unchanged", -200)]
    with engine.connect() as conn:
        rows = conn.execute(
            select(earnings.c.kind, earnings.c.amount)
            .where(earnings.c.submission_id == 10)
            .order_by(earnings.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("accepted", 150),
        ("fooled_bonus", 50),
        ("adjustment", -200),
    ]

    plan = plan_payout(engine, USD)  # the writer now owes 2.00: carried forward, not paid
    [writer] = plan.writers
    assert (writer.amount, writer.payable) == (-200, False)
    assert (
        writer.held_reason
        == "net -2.00 USD: nothing to pay; reversals are set against later earnings"
    )
    assert commit_payout(engine, USD, tmp_path / "out").batch_id is None

    record_outcomes(engine, [accepted(12, 1), accepted(13, 1), accepted(14, 1)], USD)
    result = commit_payout(engine, USD, tmp_path / "out")
    assert manual_lines(result.directory) == {"P1": "2.50"}  # 4.50 - 2.00
    reaccepted = record_outcomes(engine, [accepted(10, 1)], USD)
    assert [(line.action, line.reason) for line in reaccepted.lines] == [
        (
            "ignored",
            "accepted again after it was reversed; a reversed sentence is not credited again",
        )
    ]


def test_dropped_before_payout_nets_to_zero_and_unrecorded_drops_do_nothing(engine, tmp_path):
    record_outcomes(engine, [accepted(10, 1), accepted(11, 2)], USD)
    report = record_outcomes(engine, [dropped(10, 1), dropped(99, 2)], USD)
    assert [(line.submission_id, line.action, line.amount) for line in report.lines] == [
        (10, "reversed", -150)
    ]
    result = commit_payout(engine, USD, tmp_path / "out")
    assert [w.writer_id for w in result.plan.payable] == [2]
    assert [(w.writer_id, w.amount) for w in result.plan.held] == [(1, 0)]


def test_cap_and_budget_hold_entries_until_there_is_room(engine, tmp_path):
    policy = RewardPolicy(
        per_accepted=1000, fooled_bonus=500, per_writer_cap=2000, campaign_budget=3000
    )
    report = record_outcomes(
        engine,
        [
            accepted(1, 1, fooled=True),
            accepted(2, 1),
            accepted(3, 2),
            accepted(4, 2),
            accepted(5, 2),
        ],
        policy,
    )
    assert [(line.submission_id, line.kind, line.action) for line in report.lines] == [
        (1, "accepted", "recorded"),
        (1, "fooled_bonus", "recorded"),
        (2, "accepted", "held"),
        (3, "accepted", "recorded"),
        (4, "accepted", "held"),
        (5, "accepted", "held"),
    ]
    assert [line.reason for line in report.lines if line.action == "held"] == [
        "per_writer_cap 2000 KRW reached (writer has 1500 KRW)",
        "campaign_budget 3000 KRW reached (ledger has 2500 KRW)",
        "campaign_budget 3000 KRW reached (ledger has 2500 KRW)",
    ]
    assert {b.writer_id: b.earned for b in writer_balances(engine)} == {1: 1500, 2: 1000}

    raised = RewardPolicy(
        per_accepted=1000, fooled_bonus=500, per_writer_cap=3000, campaign_budget=6000
    )
    again = record_outcomes(engine, [accepted(2, 1), accepted(5, 2)], raised)
    assert [(line.submission_id, line.action) for line in again.lines] == [
        (2, "recorded"),
        (5, "recorded"),
    ]
    assert {b.writer_id: b.earned for b in writer_balances(engine)} == {1: 2500, 2: 2000}

    record_outcomes(engine, [dropped(1, 1)], raised)  # a reversal frees room under the cap
    room = record_outcomes(engine, [accepted(6, 1), accepted(7, 1), accepted(8, 1)], raised)
    assert [(line.submission_id, line.action) for line in room.lines] == [
        (6, "recorded"),
        (7, "recorded"),
        (8, "held"),
    ]


def test_payout_checks_budget_and_cap_before_writing_anything(engine, tmp_path):
    record_outcomes(
        engine, [accepted(1, 1), accepted(2, 2), accepted(3, 2)], RewardPolicy(per_accepted=1000)
    )
    lowered = RewardPolicy(per_accepted=1000, campaign_budget=2500)
    with pytest.raises(ApeachError) as caught:
        commit_payout(engine, lowered, tmp_path / "out")
    assert str(caught.value) == (
        "this payout of 3000 KRW would bring the campaign's payments to 3000 KRW, over campaign_budget 2500 KRW; "
        "nothing was paid or written. Raise campaign_budget or hold writers back"
    )
    assert count(engine, payout_batches) == 0 and not (tmp_path / "out").exists()

    capped = RewardPolicy(per_accepted=1000, per_writer_cap=1500)
    result = commit_payout(engine, capped, tmp_path / "out")
    assert [w.writer_id for w in result.plan.payable] == [1]
    assert result.plan.held[0].held_reason == (
        "would bring the writer's payments to 2000 KRW, over per_writer_cap 1500 KRW"
    )


def test_writers_without_a_roster_entry_are_held_then_paid(engine, tmp_path):
    record_outcomes(engine, [accepted(1, 1), accepted(2, 7, email="new@example.com")], USD)
    first = commit_payout(engine, USD, tmp_path / "out")
    [held] = first.plan.held
    assert held.held_reason == (
        "no roster entry for Label Studio user 7 (new@example.com): "
        "import a roster row with their platform and platform id"
    )
    (tmp_path / "more.csv").write_text(
        "ls_user,platform,platform_id\nnew@example.com,manual,P7\n", encoding="utf-8"
    )
    import_roster(engine, tmp_path / "more.csv", ACCOUNTS)
    second = commit_payout(engine, USD, tmp_path / "out")
    assert manual_lines(second.directory) == {"P7": "1.50"}
    status = payout_status(engine)
    assert (
        status.earned,
        status.paid,
        status.awaiting,
        status.owed,
        status.unfinished_batches,
    ) == (300, 0, 300, 0, ())
    assert [(b.id, b.state, b.writers, b.total) for b in status.batches] == [
        (1, "files written", 1, 150),
        (2, "files written", 1, 150),
    ]
    view = show_batch(engine, 2)
    assert (view.total, view.problems, [i.platform_id for i in view.items]) == (150, (), ["P7"])


def test_the_preview_pays_and_holds_exactly_what_the_commit_then_does(engine, tmp_path):
    record_outcomes(engine, [accepted(1, 1), accepted(2, 1)], RewardPolicy(per_accepted=1000))
    capped = RewardPolicy(
        per_accepted=1000, per_writer_cap=1500
    )  # writer 1 earned 2000 before the cap
    outcomes = [accepted(3, 2), accepted(4, 7, email="new@example.com")]
    report, preview = preview_payout(engine, outcomes, capped)
    assert report.dry_run and report.count("recorded") == 2
    assert count(engine, earnings) == 2 and count(engine, payout_batches) == 0  # nothing written
    record_outcomes(engine, outcomes, capped)
    paid = commit_payout(engine, capped, tmp_path / "out").plan

    def summary(plan):  # entries compared without their ids and times, which the commit sets anew
        return (
            plan.total,
            plan.problem,
            [
                (
                    w.writer_id,
                    w.amount,
                    w.platform_id,
                    w.held_reason,
                    [(e.submission_id, e.kind, e.amount) for e in w.entries],
                )
                for w in plan.writers
            ],
        )

    assert summary(preview) == summary(paid)
    assert [w.writer_id for w in paid.payable] == [2]
    assert {w.writer_id: w.held_reason.split(":")[0] for w in paid.held} == {
        1: "would bring the writer's payments to 2000 KRW, over per_writer_cap 1500 KRW",
        7: "no roster entry for Label Studio user 7 (new@example.com)",
    }


def test_dry_run_and_one_transaction(engine, monkeypatch):
    report = record_outcomes(engine, [accepted(1, 1), accepted(2, 2)], USD, dry_run=True)
    assert report.count("recorded") == 2 and count(engine, earnings) == 0
    real_insert, calls = ledger_module._insert, []

    def failing_insert(conn, earning, policy):
        calls.append(earning.submission_id)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_insert(conn, earning, policy)

    monkeypatch.setattr(ledger_module, "_insert", failing_insert)
    with pytest.raises(RuntimeError):
        record_outcomes(engine, [accepted(1, 1), accepted(2, 2)], USD)
    assert count(engine, earnings) == 0


def test_input_and_currency_errors(engine):
    with pytest.raises(ApeachError, match="submission 1 is given twice with different outcomes"):
        record_outcomes(engine, [accepted(1, 1), dropped(1, 1)], USD)
    with pytest.raises(ApeachError, match="submission 1: unknown outcome 'kept'"):
        record_outcomes(engine, [SubmissionOutcome(1, 1, None, "kept", False)], USD)  # type: ignore[arg-type]
    record_outcomes(engine, [accepted(1, 1)], USD)
    with pytest.raises(ConfigError, match="the ledger is kept in USD but the policy says KRW"):
        record_outcomes(engine, [accepted(2, 1)], RewardPolicy(per_accepted=1500))
    with pytest.raises(
        ApeachError, match="w1@example.com is on manual, which this payout does not pay"
    ):
        commit_payout(engine, USD, "unused", providers=[MTurkProvider()])


def test_the_database_enforces_once_only(engine, tmp_path):
    record_outcomes(engine, [accepted(1, 1)], USD)
    row = dict(
        submission_id=1,
        kind="accepted",
        writer_ls_id=1,
        amount=150,
        currency="USD",
        reason="x",
        recorded_at="now",
    )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(earnings).values(**row))
    with (
        pytest.raises(IntegrityError),
        engine.begin() as conn,
    ):  # adjustments are negative, earnings positive
        conn.execute(insert(earnings).values(**{**row, "submission_id": 2, "amount": -5}))
    fake = FakeProvider()
    commit_payout(engine, USD, tmp_path / "out", providers=[fake])
    assert fake.calls == [(1, [("P1", 150)])]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(payout_items).values(batch_id=1, earning_id=1, platform_id="P1"))


def test_migrations_are_named_recorded_and_applied_once(ledger_url):
    """(tests/test_database_schema.py compares the migrated schema with the one schema.)"""
    engine = open_database(ledger_url)
    assert migrations.applied_migrations(engine) == [m.name for m in migrations.MIGRATIONS]
    assert migrations.migrate(engine) == []
    engine.dispose()


def test_a_failing_migration_leaves_no_trace(ledger_url, monkeypatch):
    def half_done(conn):
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        migrations.MIGRATIONS + (migrations.Migration("9999_x", half_done),),
    )
    with pytest.raises(RuntimeError, match="interrupted"):
        open_database(ledger_url)
    monkeypatch.undo()
    engine = open_database(ledger_url)
    assert migrations.applied_migrations(engine) == [m.name for m in migrations.MIGRATIONS]
    with engine.connect() as conn:
        assert not conn.dialect.has_table(conn, "half_done")
    engine.dispose()


def test_a_writer_known_by_email_is_found_from_earlier_entries(engine, tmp_path):
    record_outcomes(engine, [accepted(1, 3, email="w3@example.com")], USD)
    commit_payout(engine, USD, tmp_path / "out")
    record_outcomes(engine, [accepted(2, 3)], USD)  # this time without an e-mail
    result = commit_payout(engine, USD, tmp_path / "out")
    assert manual_lines(result.directory) == {"P3": "1.50"}


def test_krw_amounts_have_no_decimals_and_only_the_writers_platform_file_is_written(
    engine, tmp_path
):
    krw = RewardPolicy(per_accepted=1500, fooled_bonus=500)
    record_outcomes(engine, [accepted(1, 1, fooled=True), accepted(2, 2)], krw)
    result = commit_payout(engine, krw, tmp_path / "out")
    assert manual_lines(result.directory) == {"P1": "2000", "P2": "1500"}
    assert sorted(p.name for p in result.files) == [
        "manual-transfers.csv",
        "summary.json",
        "writer-1.csv",
        "writer-2.csv",
    ]
    summary = (result.directory / "summary.json").read_text()
    assert '"total": "3500"' in summary and '"total_minor": 3500' in summary


def test_a_foreign_folder_in_the_way_stops_the_payout_before_anything_is_recorded(engine, tmp_path):
    record_outcomes(engine, [accepted(1, 1)], USD)
    (tmp_path / "out" / "batch-000001").mkdir(parents=True)
    with pytest.raises(
        ApeachError, match=r"batch-000001 already exists but is not batch 1 of this ledger"
    ):
        commit_payout(engine, USD, tmp_path / "out")
    assert count(engine, payout_batches) == 0 and count(engine, payout_items) == 0


def test_open_database_names_the_database_it_cannot_open(tmp_path):
    from apeach_ls.database.connection import database_url as to_url

    assert to_url(tmp_path / "l.sqlite") == f"sqlite:///{tmp_path / 'l.sqlite'}"
    assert to_url("postgresql://u:secret@db/apeach") == "postgresql+psycopg://u:secret@db/apeach"
    with pytest.raises(
        ConfigError, match=r"cannot open the ledger database sqlite:////nonexistent-dir/l.sqlite"
    ):
        open_database("sqlite:////nonexistent-dir/l.sqlite")
    from apeach_ls.processes import free_port

    with pytest.raises(ConfigError) as caught:
        open_database(f"postgresql://u:secret@127.0.0.1:{free_port()}/apeach")
    assert "cannot open the ledger database postgresql+psycopg://u:***@127.0.0.1:" in str(
        caught.value
    )
    assert "secret" not in str(caught.value)


def mturk_rows(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_the_mturk_file_carries_each_workers_assignment_id_as_planned(engine, tmp_path):
    (tmp_path / "assignments.csv").write_text(
        "ls_user,platform,platform_id,assignment_id\n"
        "1,mturk,A1WORKER1,3AAAAAAAAAAAAAAAAAAAAAAAAAAAA1\n"
        "2,mturk,A2WORKER2,\n",
        encoding="utf-8",
    )
    import_roster(engine, tmp_path / "assignments.csv", ACCOUNTS)
    record_outcomes(engine, [accepted(10, 1), accepted(20, 2)], USD)
    _, preview = preview_payout(engine, [], USD)
    assert [w.writer_id for w in preview.without_assignment_id] == [2]

    result = commit_payout(engine, USD, tmp_path / "out")
    mturk = result.directory / "mturk-bonuses.csv"
    rows = mturk_rows(mturk)
    assert rows[0] == ["worker_id", "assignment_id", "amount", "reason", "unique_request_token"]
    assert [row[:3] for row in rows[1:]] == [
        ["A1WORKER1", "3AAAAAAAAAAAAAAAAAAAAAAAAAAAA1", "1.50"],
        ["A2WORKER2", "", "1.50"],
    ]
    summary = json.loads((result.directory / "summary.json").read_text(encoding="utf-8"))
    assert [w["assignment_id"] for w in summary["writers"]] == [
        "3AAAAAAAAAAAAAAAAAAAAAAAAAAAA1",
        None,
    ]

    # the batch keeps what was planned: a later roster change does not alter its files
    before = mturk.read_bytes()
    (tmp_path / "assignments.csv").write_text(
        "ls_user,platform_id,assignment_id\n1,A1WORKER1,3BBB\n2,A2WORKER2,3CCC\n", encoding="utf-8"
    )
    import_roster(engine, tmp_path / "assignments.csv", ACCOUNTS)
    assert show_batch(engine, result.batch_id).problems == ()
    assert mturk.read_bytes() == before


def test_batches_made_before_assignment_ids_keep_their_file_layout(
    ledger_url, tmp_path, monkeypatch
):
    """A ledger from before migration 0003, with a committed batch: after the upgrade the batch
    reads as file format 1, so it renders the old MTurk layout and its files still verify."""
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
    old = open_database(ledger_url)
    with old.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO writers (ls_user_id, platform_id, updated_at) VALUES (1, 'P1', 'then')"
        )
        conn.exec_driver_sql(
            "INSERT INTO earnings (submission_id, kind, writer_ls_id, amount, currency, reason, "
            "recorded_at) VALUES (10, 'accepted', 1, 150, 'USD', 'accepted', 'then')"
        )
        conn.exec_driver_sql(
            "INSERT INTO payout_batches (status, currency, providers, directory, created_at) "
            "VALUES ('preparing', 'USD', 'mturk', '', 'then')"
        )
        conn.exec_driver_sql(
            "INSERT INTO payout_items (batch_id, earning_id, platform_id) VALUES (1, 1, 'P1')"
        )
    old.dispose()
    monkeypatch.undo()
    engine = open_database(ledger_url)
    assert migrations.applied_migrations(engine)[-1] == migrations.MIGRATIONS[-1].name
    with engine.begin() as conn:
        conn.execute(
            update(payout_batches).values(directory=str(tmp_path / "out" / "batch-000001"))
        )
    commit_payout(
        engine, USD, tmp_path / "out", providers=[MTurkProvider()]
    )  # finishes the old batch
    rows = mturk_rows(tmp_path / "out" / "batch-000001" / "mturk-bonuses.csv")
    assert rows[0] == ["worker_id", "amount", "reason", "unique_request_token"]
    assert rows[1][:2] == ["P1", "1.50"]
    assert "assignment_id" not in (tmp_path / "out" / "batch-000001" / "summary.json").read_text(
        encoding="utf-8"
    )
    assert show_batch(engine, 1).problems == ()
    engine.dispose()


def test_the_payout_command_names_the_writers_mturk_could_not_be_paid_for(capsys):
    from apeach_ls.cli.rewards import print_missing_assignment_ids
    from apeach_ls.rewards.model import WriterPayout
    from apeach_ls.rewards.payout import PayoutPlan

    writers = (
        WriterPayout(1, "a@example.com", "A1", 150, (), assignment_id="3A", platform="mturk"),
        WriterPayout(2, None, "A2", 150, (), platform="mturk"),
        WriterPayout(3, None, None, 150, (), held_reason="no roster entry"),
        WriterPayout(4, None, "P4", 150, (), platform="manual"),
    )  # not on MTurk: needs none
    print_missing_assignment_ids(PayoutPlan("USD", writers, 0, None, ()), committed=False)
    note = capsys.readouterr().err
    assert note.startswith(
        "note: 1 payable mturk worker(s) have no assignment_id in the roster (user 2)"
    )
    assert "add an assignment_id column to the roster and import it again before --commit" in note
    print_missing_assignment_ids(
        PayoutPlan("USD", writers[:1] + writers[2:], 0, None, ()), committed=True
    )
    assert capsys.readouterr().err == ""
