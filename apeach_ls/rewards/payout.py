"""Paying writers: plan (what each writer is owed and why), then commit a batch exactly once.

Before anything is recorded (``check_payout``): the output folder can be written, and every
writer on the roster fits their platform's rules (its currencies, the shape of its ids).

Crash safety. ``commit_payout`` works in this order; a kill at any point followed by a
re-run never pays an entry twice, never loses one, and leaves files that match the ledger:

1. finish every batch a crashed run left ``preparing`` (``batches.complete_batch``):
   a preparing batch is always COMPLETED, never rolled back, because its folder may
   already be in place and uploaded; its files are rewritten from the database (into this
   run's output folder if they visibly never reached the planned one, e.g. a bad --out);
2. in ONE locked transaction: read the plan, check amounts, cap and budget (so nothing is
   written when a check fails), insert the batch (``preparing``) and its items, each with
   the writer's platform. An entry can be in one batch only (``payout_items.earning_id`` is
   UNIQUE), so it is paid once;
3. under the ledger lock again: write the files into a temporary folder, fsync, rename the
   folder into place (atomic), fsync its parent, then mark the batch ``committed``
   (``batches.complete_batch``): its files are written. It is paid once the operator has
   uploaded them and confirmed it (``batches.confirm_batch``).

A crash before step 2 commits leaves nothing; after it, step 1 of the next run finishes
the batch with exactly the items it was created with, before any new batch is planned.

``commit_payout`` reports its steps to ``on_step`` (:mod:`apeach_ls.steps`): ``PLANNED``,
``BATCH_INSERTED`` (not yet committed), ``BATCH_RECORDED``, then the steps of writing the
batch's folder (:mod:`apeach_ls.atomic`) and ``batches.BATCH_MARKED_COMMITTED``; finishing
a batch a crashed run left reports the last ones first. The crash test kills a payout at
each step it reports.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from ..database.connection import now_iso, transaction
from ..database.schema import payout_batches, payout_items
from ..errors import ApeachError
from ..steps import OnStep, no_steps
from .batches import CompletedBatch, batch_dir_name, complete_batch
from .ledger import RecordReport, ledger_entries, record_lines, unique_outcomes
from .model import (
    BATCH_FILE_FORMAT,
    BATCH_PREPARING,
    MTURK,
    PLATFORMS,
    UNFINISHED_BATCH_STATUSES,
    LedgerEntry,
    SubmissionOutcome,
    WriterPayout,
    format_money,
)
from .policy import RewardPolicy
from .providers import PayoutProvider, all_providers
from .roster import Roster, load_roster
from .status import BatchSummary, BatchView, PayoutStatus, payout_status, show_batch

__all__ = [
    "BATCH_INSERTED",
    "BATCH_RECORDED",
    "PLANNED",
    "BatchSummary",
    "BatchView",
    "PayoutPlan",
    "PayoutResult",
    "PayoutStatus",
    "check_payout",
    "commit_payout",
    "finish_batches",
    "payout_status",
    "plan_payout",
    "preview_payout",
    "show_batch",
]

# The steps commit_payout reports (see the module doc), in the order they are reached.
PLANNED = "planned"  # the plan is read under the ledger lock; nothing recorded yet
BATCH_INSERTED = "batch_inserted"  # the batch and its items are inserted, not committed
BATCH_RECORDED = "batch_recorded"  # the batch is committed ("preparing"); no files yet


@dataclass(frozen=True)
class PayoutPlan:
    currency: str
    writers: tuple[WriterPayout, ...]  # every writer with unpaid entries, payable or held
    paid_before: int  # the campaign's payments so far
    campaign_budget: int | None
    unfinished_batches: tuple[int, ...]  # batches a crashed run left; finished first

    @property
    def payable(self) -> tuple[WriterPayout, ...]:
        return tuple(w for w in self.writers if w.payable)

    @property
    def held(self) -> tuple[WriterPayout, ...]:
        return tuple(w for w in self.writers if not w.payable)

    @property
    def total(self) -> int:
        return sum(w.amount for w in self.payable)

    @property
    def without_assignment_id(self) -> tuple[WriterPayout, ...]:
        """Payable MTurk workers whose bonus could not be sent: the roster has no assignment id."""
        return tuple(w for w in self.payable if w.platform == MTURK and w.assignment_id is None)

    def by_platform(self) -> dict[str, tuple[int, int]]:
        """Platform -> (payable writers, amount), in PLATFORMS order."""
        totals = {
            p: (
                sum(1 for w in self.payable if w.platform == p),
                sum(w.amount for w in self.payable if w.platform == p),
            )
            for p in PLATFORMS
        }
        return {p: t for p, t in totals.items() if t[0]}

    @property
    def problem(self) -> str | None:
        budget = self.campaign_budget
        if budget is not None and self.paid_before + self.total > budget:
            return (
                f"this payout of {format_money(self.total, self.currency)} would bring the campaign's payments "
                f"to {format_money(self.paid_before + self.total, self.currency)}, over campaign_budget "
                f"{format_money(budget, self.currency)}"
            )
        return None


@dataclass(frozen=True)
class PayoutResult:
    plan: PayoutPlan
    batch_id: int | None  # None: nothing was payable, no batch
    directory: Path | None
    files: tuple[Path, ...]
    finished_batches: tuple[int, ...]  # batches from a crashed run completed first
    moved: tuple[
        CompletedBatch, ...
    ] = ()  # finished ones written elsewhere than planned (moved_from)


def plan_payout(engine: Engine, policy: RewardPolicy) -> PayoutPlan:
    """What each writer is owed and unpaid, and why; reads only (the ``--dry-run``)."""
    with engine.connect() as conn:
        return _plan(conn, policy)


def preview_payout(
    engine: Engine, outcomes: Iterable[SubmissionOutcome], policy: RewardPolicy
) -> tuple[RecordReport, PayoutPlan]:
    """What recording ``outcomes`` and then paying would do (the ``--dry-run``): both computed
    in one locked transaction that is rolled back, so the preview holds and pays exactly as a
    commit would (roster, caps, budget)."""
    unique = unique_outcomes(outcomes)
    with transaction(engine, rollback=True) as conn:
        lines = record_lines(conn, unique, policy)
        plan = _plan(conn, policy)
    return RecordReport.of(lines, policy.currency, dry_run=True), plan


def _plan(conn: Connection, policy: RewardPolicy) -> PayoutPlan:
    paid_ids = set(conn.execute(select(payout_items.c.earning_id)).scalars())
    entries = ledger_entries(conn)
    paid_by_writer: dict[int, int] = defaultdict(int)
    unpaid: dict[int, list[LedgerEntry]] = defaultdict(list)
    emails: dict[int, str] = {}  # the latest e-mail the ledger knows for each writer
    for entry in entries:
        if entry.writer_email:
            emails[entry.writer_id] = entry.writer_email
        if entry.currency != policy.currency:
            raise ApeachError(
                f"ledger entry {entry.id} is in {entry.currency}, the policy in {policy.currency}; "
                "a campaign keeps one currency"
            )
        if entry.id in paid_ids:
            paid_by_writer[entry.writer_id] += entry.amount
        else:
            unpaid[entry.writer_id].append(entry)
    unfinished = tuple(
        conn.execute(
            select(payout_batches.c.id)
            .where(payout_batches.c.status.in_(UNFINISHED_BATCH_STATUSES))
            .order_by(payout_batches.c.id)
        ).scalars()
    )
    roster = load_roster(conn)
    writers = tuple(
        _writer_payout(w, emails.get(w), tuple(unpaid[w]), paid_by_writer[w], roster, policy)
        for w in sorted(unpaid)
    )
    return PayoutPlan(
        policy.currency, writers, sum(paid_by_writer.values()), policy.campaign_budget, unfinished
    )


def _writer_payout(
    writer: int,
    email: str | None,
    entries: tuple[LedgerEntry, ...],
    paid: int,
    roster: Roster,
    policy: RewardPolicy,
) -> WriterPayout:
    amount = sum(e.amount for e in entries)
    found = roster.find(writer, email)
    money, cap = policy.currency, policy.per_writer_cap
    reason = None
    who = f"Label Studio user {writer}" + (f" ({email})" if email else "")
    if found is None:
        reason = (
            f"no roster entry for {who}: import a roster row with their platform and platform id"
        )
    elif found.platform is None:
        reason = (
            f"no payout platform on the roster for {who}: import their row again with a platform column "
            f"({', '.join(PLATFORMS)})"
        )
    elif amount <= 0:
        reason = f"net {format_money(amount, money)}: nothing to pay; reversals are set against later earnings"
    elif cap is not None and paid + amount > cap:
        reason = (
            f"would bring the writer's payments to {format_money(paid + amount, money)}, "
            f"over per_writer_cap {format_money(cap, money)}"
        )
    return WriterPayout(
        writer,
        email,
        found.platform_id if found else None,
        amount,
        entries,
        reason,
        found.assignment_id if found else None,
        found.platform if found else None,
    )


def _registry(providers: Sequence[PayoutProvider] | None) -> dict[str, PayoutProvider]:
    chosen = list(providers) if providers is not None else all_providers()
    names = [p.name for p in chosen]
    if not chosen or len(set(names)) != len(names):
        raise ApeachError(
            f"choose one or more providers for different platforms (got {', '.join(names) or 'none'})"
        )
    return {p.name: p for p in chosen}


def roster_problems(
    conn: Connection, currency: str, providers: dict[str, PayoutProvider]
) -> list[str]:
    """Stored writers who cannot be paid as the roster says: a platform without a provider,
    one that does not pay in ``currency``, or an id of the wrong shape."""
    problems: list[str] = []
    by_platform: dict[str, list[str]] = defaultdict(list)
    for writer in load_roster(conn).entries:
        if writer.platform is None:
            continue  # stored before platforms existed: held at payout until imported again
        who = writer.ls_email or f"user {writer.writer_id}"
        provider = providers.get(writer.platform)
        if provider is None:
            problems.append(f"{who} is on {writer.platform}, which this payout does not pay")
            continue
        by_platform[writer.platform].append(who)
        problem = provider.id_problem(writer.platform_id)
        if problem:
            problems.append(f"{who}: {problem}")
    for platform, who in by_platform.items():
        try:
            providers[platform].check(currency)
        except ApeachError as exc:
            names = ", ".join(who[:3]) + (f" and {len(who) - 3} more" if len(who) > 3 else "")
            problems.insert(0, f"{len(who)} writer(s) on {platform} ({names}): {exc}")
    return problems


def check_payout(
    engine: Engine,
    policy: RewardPolicy,
    out_dir: str | Path | None = None,
    providers: Sequence[PayoutProvider] | None = None,
) -> Path | None:
    """What must hold before anything is recorded: the roster fits each platform's rules in
    the policy's currency, and ``out_dir`` (when given) is a folder that can be written.
    Returns ``out_dir`` made absolute."""
    registry = _registry(providers)
    with engine.connect() as conn:
        problems = roster_problems(conn, policy.currency, registry)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ApeachError(
            f"the roster does not fit the payout platforms' rules: {problems[0]}{more}; nothing was "
            "recorded or paid. Fix the rows and run `apeach-ls writers import` again"
        )
    if out_dir is None:
        return None
    return prepare_out_dir(out_dir)


def prepare_out_dir(out_dir: str | Path) -> Path:
    """``out_dir`` made absolute, once it is known that batch folders can be written there:
    it is a folder (or can be made one) that this process may write. Nothing is created."""
    out = Path(out_dir).expanduser().absolute()
    existing = out
    try:
        while not existing.exists():
            existing = existing.parent
        problem = (
            None
            if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
            else f"{existing} is not a folder"
            if not existing.is_dir()
            else f"{existing} is not writable"
        )
    except OSError as exc:
        problem = exc.strerror
    if problem:
        raise ApeachError(
            f"--out {out_dir}: cannot write payout files there ({problem}); choose a folder you can "
            "write. Nothing was recorded or paid"
        )
    return out.resolve()


def finish_batches(
    engine: Engine,
    providers: Sequence[PayoutProvider] = (),
    fallback_dir: Path | None = None,
    on_step: OnStep = no_steps,
) -> tuple[CompletedBatch, ...]:
    """Complete every batch a crashed run left preparing (into ``fallback_dir`` when its own
    folder cannot be written)."""
    with engine.connect() as conn:
        ids = tuple(
            conn.execute(
                select(payout_batches.c.id)
                .where(payout_batches.c.status.in_(UNFINISHED_BATCH_STATUSES))
                .order_by(payout_batches.c.id)
            ).scalars()
        )
    return tuple(
        complete_batch(engine, batch_id, providers, fallback_dir, on_step) for batch_id in ids
    )


def commit_payout(
    engine: Engine,
    policy: RewardPolicy,
    out_dir: str | Path,
    providers: Sequence[PayoutProvider] | None = None,
    on_step: OnStep = no_steps,
) -> PayoutResult:
    """Pay what is owed and unpaid: one new batch and its files (see module doc)."""
    registry = _registry(providers)
    check_payout(engine, policy, providers=list(registry.values()))
    out = prepare_out_dir(out_dir)
    finished = finish_batches(engine, list(registry.values()), out, on_step)
    done = tuple(f.batch_id for f in finished)
    moved = tuple(f for f in finished if f.moved_from is not None)
    with transaction(engine) as conn:
        plan = _plan(conn, policy)
        on_step(PLANNED)
        if plan.problem:
            raise ApeachError(
                f"{plan.problem}; nothing was paid or written. Raise campaign_budget or hold writers back"
            )
        if not plan.payable:
            return PayoutResult(plan, None, None, (), done, moved)
        platforms = [name for name in registry if any(w.platform == name for w in plan.payable)]
        batch_id = int(
            conn.execute(
                insert(payout_batches).values(
                    status=BATCH_PREPARING,
                    currency=policy.currency,
                    providers=",".join(platforms),
                    directory="",
                    created_at=now_iso(),
                    file_format=BATCH_FILE_FORMAT,
                )
            ).inserted_primary_key[0]
        )
        directory = out / batch_dir_name(batch_id)
        if directory.exists():
            raise ApeachError(
                f"{directory} already exists but is not batch {batch_id} of this ledger; "
                "choose another output folder (one per campaign)"
            )
        conn.execute(
            update(payout_batches)
            .where(payout_batches.c.id == batch_id)
            .values(directory=str(directory))
        )
        conn.execute(
            insert(payout_items),
            [
                {
                    "batch_id": batch_id,
                    "earning_id": e.id,
                    "platform_id": w.platform_id,
                    "assignment_id": w.assignment_id,
                    "platform": w.platform,
                }
                for w in plan.payable
                for e in w.entries
            ],
        )
        on_step(BATCH_INSERTED)
    on_step(BATCH_RECORDED)
    completed = complete_batch(engine, batch_id, list(registry.values()), on_step=on_step)
    return PayoutResult(plan, batch_id, completed.directory, completed.files, done, moved)
