"""`apeach-ls writers` and `apeach-ls payout` on bad input (issue 13, cases 8, 9, 10, 14;
issue 12, cases 7 and 8): one-line errors that name the fix, nothing stored on failure, a
ledger that always moves on, and re-runs that are safe. Label Studio is patched out."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from apeach_ls.atomic import FOLDER_IN_PLACE, FOLDER_SYNCED
from apeach_ls.campaign import Campaign, payout_outcomes
from apeach_ls.cli import cli
from apeach_ls.cli.common import StepWatcher
from apeach_ls.correction import CorrectedSubmission
from apeach_ls.database import open_database
from apeach_ls.database.schema import earnings, payout_batches, payout_items
from apeach_ls.errors import ApeachError
from apeach_ls.labelstudio.submissions import Submission
from apeach_ls.rewards.batches import BATCH_MARKED_COMMITTED
from apeach_ls.rewards.model import SubmissionOutcome
from apeach_ls.rewards.payout import BATCH_INSERTED, BATCH_RECORDED, PLANNED
from apeach_ls.rewards.roster import Accounts
from apeach_ls.votes.model import ACCEPTED, DROPPED, PENDING
from apeach_ls.votes.store import StoredTally

ACCOUNTS = Accounts(
    {1: "w1@example.com", 2: "w2@example.com", 9: "m1@example.org"},
    managers=frozenset({"m1@example.org"}),
)


def write_config(tmp_path, rewards='per_accepted = 150\ncurrency = "USD"\n', database="ledger.db"):
    path = tmp_path / "campaign.toml"
    path.write_text(
        f'[campaign]\nname = "cli-test"\ndatabase = "{database}"\n'
        f'[votes]\nmanagers = ["m1@example.org"]\nk = 1\n[rewards]\n{rewards}',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def campaign(tmp_path, monkeypatch):
    """A config, a roster of two manual writers, and two accepted submissions (Label Studio patched)."""
    config = write_config(tmp_path)
    monkeypatch.setattr(Campaign, "accounts", lambda self: ACCOUNTS)
    outcomes = [
        SubmissionOutcome(10, 1, "w1@example.com", "accepted", False),
        SubmissionOutcome(20, 2, "w2@example.com", "accepted", False),
    ]
    monkeypatch.setattr(Campaign, "payout_outcomes", lambda self: outcomes)
    (tmp_path / "roster.csv").write_text(
        "ls_user,platform,platform_id\n1,manual,P1\n2,manual,P2\n", encoding="utf-8"
    )
    return config


def run(*args, code=0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def count(url, table):
    engine = open_database(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return n


def test_writers_import_refuses_unknown_accounts_and_managers_in_one_line(campaign, tmp_path):
    (tmp_path / "bad.csv").write_text(
        "ls_user,platform,platform_id\n1,manual,P1\n7,manual,P7\n", encoding="utf-8"
    )
    out = run("writers", "import", tmp_path / "bad.csv", "--config", campaign, code=1)
    assert out == (
        f"Error: {tmp_path / 'bad.csv'}, row 3, field 'ls_user': no Label Studio account has user id 7; "
        "the writer signs up first (or fix the id)\n"
    )
    (tmp_path / "bad.csv").write_text(
        "ls_user,platform,platform_id\nm1@example.org,manual,P9\n", encoding="utf-8"
    )
    assert "m1@example.org is a manager of this campaign" in run(
        "writers", "import", tmp_path / "bad.csv", "--config", campaign, code=1
    )
    assert count(tmp_path / "ledger.db", payout_items) == 0
    assert run("writers", "import", tmp_path / "roster.csv", "--config", campaign) == (
        "2 writers added, 0 updated, 0 unchanged\n"
    )


def test_writers_import_checks_the_campaign_currency(campaign, tmp_path):
    write_config(tmp_path, rewards='per_accepted = 1500\ncurrency = "KRW"\n')
    (tmp_path / "mturk.csv").write_text(
        "ls_user,platform,platform_id\n1,mturk,A1WORKER\n", encoding="utf-8"
    )
    out = run("writers", "import", tmp_path / "mturk.csv", "--config", campaign, code=1)
    assert out == (
        f"Error: {tmp_path / 'mturk.csv'}, row 2, field 'platform': MTurk pays in USD only, but the "
        "campaign's [rewards] currency is KRW; pay these writers with platform manual (a manual-transfer "
        "sheet), or use a USD campaign\n"
    )


def test_writers_remove_previews_then_removes_and_keeps_the_ledger(campaign, tmp_path):
    run("writers", "import", tmp_path / "roster.csv", "--config", campaign)
    run("payout", "--config", campaign, "--commit", "--out", tmp_path / "payouts")
    preview = run("writers", "remove", "w1@example.com", "--config", campaign)
    assert preview == (
        "would remove w1@example.com (manual P1); ledger history kept: earned 1.50 USD, in payout "
        "batches 1.50 USD (confirmed paid 0.00 USD), held from now on 0.00 USD\n"
        "nothing was removed; run again with --yes to remove them\n"
    )
    assert run("writers", "remove", "1", "--config", campaign, "--yes").startswith(
        "removed w1@example.com"
    )
    assert "'1' is not on the roster" in run(
        "writers", "remove", "1", "--config", campaign, "--yes", code=1
    )
    assert count(tmp_path / "ledger.db", earnings) == 2
    assert "w1@example.com: earned 1.50 USD" in run("payout", "--config", campaign, "status")


def test_a_bad_out_records_nothing_and_the_ledger_moves_on(campaign, tmp_path):
    """Issue 13, case 8: --out /dev/null/pay used to leave batch 1 preparing, bound to that
    path, reported as paid, and every later payout failing with a traceback."""
    run("writers", "import", tmp_path / "roster.csv", "--config", campaign)
    out = run("payout", "--config", campaign, "--commit", "--out", "/dev/null/pay", code=1)
    assert out == (
        "Error: --out /dev/null/pay: cannot write payout files there (/dev/null is not a folder); choose a "
        "folder you can write. Nothing was recorded or paid\n"
    )
    assert (
        count(tmp_path / "ledger.db", earnings) == 0
        and count(tmp_path / "ledger.db", payout_batches) == 0
    )
    assert "paid 0.00 USD" in run("payout", "--config", campaign, "status")
    good = run("payout", "--config", campaign, "--commit", "--out", tmp_path / "payouts")
    assert f"batch 1: files written to {tmp_path / 'payouts' / 'batch-000001'}" in good


def test_a_batch_left_bound_to_an_unwritable_folder_is_written_to_the_next_good_out(
    campaign, tmp_path
):
    """The state the probe left: batch 1 preparing, its folder under /dev/null."""
    run("writers", "import", tmp_path / "roster.csv", "--config", campaign)
    run("payout", "--config", campaign, "--commit", "--out", tmp_path / "payouts")
    engine = open_database(tmp_path / "ledger.db")
    with engine.begin() as conn:
        conn.execute(
            update(payout_batches).values(
                status="preparing", committed_at=None, directory="/dev/null/pay/batch-000001"
            )
        )
    engine.dispose()
    import shutil

    shutil.rmtree(tmp_path / "payouts")
    status = run("payout", "--config", campaign, "status")
    assert "batch 1 (preparing)" in status and "paid 0.00 USD" in status
    same = run("payout", "--config", campaign, "--commit", "--out", "/dev/null/pay", code=1)
    assert same.startswith("Error: --out /dev/null/pay: cannot write payout files there")
    moved = run("payout", "--config", campaign, "--commit", "--out", tmp_path / "elsewhere")
    assert (
        "batch 1 could not be written to /dev/null/pay/batch-000001, where its files never were; written to "
        f"{tmp_path / 'elsewhere' / 'batch-000001'} instead"
    ) in moved
    assert "nothing new to pay" in moved
    assert "batch 1 (files written)" in run("payout", "--config", campaign, "status")
    assert run("payout", "--config", campaign, "show", "1").startswith(
        f"batch 1 (files written), {tmp_path / 'elsewhere' / 'batch-000001'}"
    )
    assert "nothing new to pay" in run(
        "payout", "--config", campaign, "--commit", "--out", tmp_path / "elsewhere"
    )


def test_confirming_a_batch_makes_it_paid(campaign, tmp_path):
    run("writers", "import", tmp_path / "roster.csv", "--config", campaign)
    committed = run("payout", "--config", campaign, "--commit", "--out", tmp_path / "payouts")
    assert (
        "not paid yet: upload the platform files (pay the manual transfers), then run: apeach-ls payout "
        "confirm 1 --yes" in committed
    )
    assert (
        "total earned 3.00 USD, paid 0.00 USD, awaiting confirmation 3.00 USD, owed 0.00 USD"
        in run("payout", "--config", campaign, "status")
    )
    assert run("payout", "--config", campaign, "confirm", "1") == (
        "would confirm batch 1 paid: 3.00 USD; nothing was changed; run again with --yes once its files are "
        "uploaded\n"
    )
    assert run("payout", "--config", campaign, "confirm", "1", "--yes").startswith(
        "batch 1 confirmed paid at "
    )
    assert "nothing changed" in run("payout", "--config", campaign, "confirm", "1", "--yes")
    status = run("payout", "--config", campaign, "status")
    assert (
        "batch 1 (paid)" in status
        and "total earned 3.00 USD, paid 3.00 USD, awaiting confirmation 0.00 USD" in status
    )
    assert run("payout", "--config", campaign, "confirm", "2", code=1) == (
        "Error: payout batch 2 does not exist; the payout status lists the batches\n"
    )


def test_a_lost_batch_folder_is_written_again_from_the_ledger(campaign, tmp_path):
    run("writers", "import", tmp_path / "roster.csv", "--config", campaign)
    run("payout", "--config", campaign, "--commit", "--out", tmp_path / "payouts")
    folder = tmp_path / "payouts" / "batch-000001"
    files = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert files
    refused = run("payout", "--config", campaign, "rewrite", "1", code=1)
    assert (
        refused
        == f"Error: {folder} exists; `apeach-ls payout show 1` compares it with the ledger\n"
    )
    shutil.rmtree(folder)
    assert "problem: " in run("payout", "--config", campaign, "show", "1", code=1)
    written = run("payout", "--config", campaign, "rewrite", "1")
    assert written == f"batch 1: {len(files)} file(s) written again from the ledger\n"
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == files
    assert "problem: " not in run("payout", "--config", campaign, "show", "1")


@pytest.mark.parametrize("value", ["10000000000000000000000000000000", "1000000000001"])
def test_an_amount_too_large_for_the_ledger_is_a_config_error_at_dry_run_and_commit(
    campaign, tmp_path, value
):
    """Issue 13, case 9: per_accepted = 10**30 passed --dry-run, then crashed --commit."""
    write_config(tmp_path, rewards=f'per_accepted = {value}\ncurrency = "USD"\n')
    message = (
        f"Error: {campaign}: [rewards] per_accepted: {value} is more than the ledger takes (1000000000000 "
        "minor units of USD, 10000000000.00 USD); amounts are minor units (150 means 1.50 USD)\n"
    )
    for mode in ("--dry-run", "--commit"):
        assert (
            run("payout", "--config", campaign, mode, "--out", tmp_path / "payouts", code=1)
            == message
        )


def test_status_of_a_mistyped_database_creates_nothing_and_says_so(tmp_path):
    """Issue 13, case 10: status on a mistyped path made an empty ledger and reported 0 paid in KRW."""
    config = write_config(tmp_path, database="ledgr.db")
    for args in (("status",), ("show", "1"), ("confirm", "1"), ("--dry-run",), ("--commit",)):
        out = run("payout", "--config", config, *args, code=1)
        assert out == (
            f"Error: there is no ledger database at {tmp_path / 'ledgr.db'}: check [campaign] database in "
            f"{config} (APEACH_DATABASE_URL overrides it); `apeach-ls writers import` creates the ledger\n"
        )
    assert not (tmp_path / "ledgr.db").exists() and not (tmp_path / "payouts").exists()


def test_status_speaks_the_configs_currency_and_refuses_a_different_ledger(campaign, tmp_path):
    run("writers", "import", tmp_path / "roster.csv", "--config", campaign)
    assert run("payout", "--config", campaign, "status") == (
        "total earned 0.00 USD, paid 0.00 USD, awaiting confirmation 0.00 USD, owed 0.00 USD\n"
        f"the ledger {tmp_path / 'ledger.db'} has no entries yet\n"
    )
    run("payout", "--config", campaign, "--commit", "--out", tmp_path / "payouts")
    write_config(tmp_path, rewards='per_accepted = 1500\ncurrency = "KRW"\n')
    assert run("payout", "--config", campaign, "status", code=1) == (
        f"Error: the ledger is kept in USD but {campaign} says KRW; a campaign keeps one currency: check --config\n"
    )


def submission(submission_id, writer_id):
    corrected = CorrectedSubmission(
        text="문장",
        intent="hate",
        verdict=None,
        agreement=None,
        label="hate",
        fooled=False,
        flags=frozenset(),
    )
    return Submission(submission_id, 1, writer_id, {}, "", None, corrected)


def test_a_submission_without_a_writer_is_named_and_never_booked_to_user_0():
    """Issue 13, case 14."""
    tallies = {n: StoredTally(n, "accepted", (), 1, 0, "now") for n in (10, 11)}
    found = payout_outcomes(
        [submission(10, 1), submission(11, None)], tallies, {1: "w1@example.com"}, {}, 1
    )
    assert [(o.submission_id, o.writer_id) for o in found.outcomes] == [(10, 1)]
    assert found.notes == [
        "1 submission(s) have no writer in Label Studio (completed_by is empty); "
        "nothing is recorded for them: 11"
    ]


def test_payout_outcomes_pend_untallied_drop_repeats_and_reverse_vanished_earnings():
    tallies = {n: StoredTally(n, "accepted", (), 3, 0, "now") for n in (10, 12)}
    found = payout_outcomes(
        [submission(10, 1), submission(12, 2), submission(13, 2)],
        tallies,
        {1: "w1@example.com", 2: "w2@example.com"},
        {5: 2, 10: 1},
        1,
        verified={10: True},
        held=lambda s: "on hold" if s.writer_id == 2 else None,
    )
    assert [
        (o.submission_id, o.writer_id, o.outcome, o.verified, o.held) for o in found.outcomes
    ] == [
        (10, 1, ACCEPTED, True, None),
        (12, 2, DROPPED, None, "on hold"),  # the same sentence as 10, accepted later: a repeat
        (13, 2, PENDING, None, "on hold"),  # not tallied yet
        (5, 2, DROPPED, None, None),  # earned, then deleted from Label Studio
    ]
    assert found.notes[0].startswith("1 accepted submission(s) repeat an earlier accepted")
    assert found.notes[0].endswith(": 12 (as 10)")
    assert found.notes[1].endswith("their earnings are reversed: 5")
    with pytest.raises(ApeachError, match="lists no submission in project 7, but the ledger"):
        payout_outcomes([submission(11, None)], {}, {}, {5: 2}, 7)


def test_the_ledger_refuses_an_outcome_without_a_writer(tmp_path):
    from apeach_ls.errors import ApeachError
    from apeach_ls.rewards.ledger import record_outcomes
    from apeach_ls.rewards.policy import RewardPolicy

    engine = open_database(tmp_path / "l.db")
    for writer in (0, None, -3):
        with pytest.raises(
            ApeachError,
            match=f"submission 11 has no writer \\(Label Studio user id {writer!r}\\); "
            "leave it out until Label Studio names who wrote it",
        ):
            record_outcomes(
                engine,
                [SubmissionOutcome(11, writer, None, "accepted", False)],  # type: ignore[arg-type]
                RewardPolicy(per_accepted=1),
            )
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(earnings)).scalar_one() == 0


def test_payout_commit_prints_progress_from_its_steps_and_tells_a_watcher(campaign, tmp_path):
    run("writers", "import", tmp_path / "roster.csv", "--config", campaign)
    steps: list[str] = []
    argv = ["payout", "--config", str(campaign), "--commit", "--out", str(tmp_path / "payouts")]
    result = CliRunner().invoke(cli, argv, obj=StepWatcher(steps.append))
    assert result.exit_code == 0, result.output
    assert steps[:3] == [PLANNED, BATCH_INSERTED, BATCH_RECORDED]
    assert steps[-3:] == [FOLDER_SYNCED, FOLDER_IN_PLACE, BATCH_MARKED_COMMITTED]
    assert result.stderr == (
        "payout batch recorded in the ledger; writing its files ...\n"
        "payout batch files written and marked in the ledger\n"
    )


def test_a_sentence_made_before_a_hold_and_edited_during_it_waits(tmp_path):
    """A held writer must not dodge the hold by rewriting a sentence they made before it:
    what they write during the hold waits, whenever the annotation was first created."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from apeach_ls.campaign_config import load_config
    from apeach_ls.rewards.holds import add_holds

    config = write_config(tmp_path)
    engine = open_database(tmp_path / "held.db")
    add_holds(
        engine, "cli-test", {1: "drop rate 0.90 > 0.50"}, datetime(2026, 12, 1, 9, tzinfo=UTC)
    )
    before = "2026-12-01T08:00:00Z"
    kept = replace(submission(10, 1), created_at=before, updated_at=before)
    edited = replace(submission(11, 1), created_at=before, updated_at="2026-12-01T10:00:00Z")
    from apeach_ls.votes.model import TallyResult
    from apeach_ls.votes.store import save_tallies

    save_tallies(engine, [TallyResult(n, "accepted", frozenset(), 1, 0) for n in (10, 11)])
    campaign = Campaign(
        load_config(config, env={"APEACH_DATABASE_URL": str(tmp_path / "held.db")}),
        label_studio=lambda: pytest.fail("Label Studio was read"),
        verdict_key=lambda: pytest.fail("the verdict key was read"),
    )
    # what Label Studio would say (read once per campaign, so given here)
    campaign.__dict__.update(
        submissions=[kept, edited], user_emails={1: "w1@example.com"}, generation_project=1
    )
    outcomes = campaign.payout_outcomes()
    held = {o.submission_id: o.held for o in outcomes}
    assert held[10] is None and held[11] is not None and "on hold since" in held[11]


def test_submissions_know_when_their_annotation_was_last_changed(monkeypatch):
    import apeach_ls.labelstudio.submissions as submissions_module
    from apeach_ls.labelstudio.submissions import project_submissions

    monkeypatch.setattr(
        submissions_module, "correct", lambda result, tags, ctx: submission(5, 1).corrected
    )
    monkeypatch.setattr(submissions_module, "extract_text", lambda result, tags: "문장")
    task = {
        "id": 3,
        "data": {},
        "annotations": [
            {
                "id": 5,
                "completed_by": 1,
                "result": [{}],
                "created_at": "2026-12-01T08:00:00Z",
                "updated_at": "2026-12-01T10:00:00Z",
            }
        ],
    }
    monkeypatch.setattr(submissions_module, "export_tasks", lambda client, project_id: [task])
    (found,) = project_submissions(None, 1, None, None)
    assert (found.created_at, found.updated_at) == ("2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z")
