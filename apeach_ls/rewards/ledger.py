"""The earnings ledger: append-only entries, one transaction per write, idempotent.

``record_outcomes`` turns the managers' outcomes into entries, keyed by
(submission_id, kind) so that recording the same outcomes again changes nothing:

* accepted -> an ``accepted`` entry (per_accepted) and, when the writer fooled the model
  and the policy has a bonus, a ``fooled_bonus`` entry; caps and budget may hold an entry
  back (see ``policy.apply_limits``), it is then considered again on the next run; so is
  the sentence of a writer on hold (``SubmissionOutcome.held``) until the hold is released;
* dropped after entries were recorded (paid or not) -> ONE ``adjustment`` entry whose
  amount is minus the sum of that submission's entries. Nothing is edited or deleted.
  A reversed submission is final: if it is later accepted again it is reported, not
  credited again;
* pending -> nothing. This includes a sentence its writer rewrote after it earned: the old
  votes do not count for the new version (``votes/tally.py``, ``sentence_changed``), so it
  is pending until the managers vote on it; accepted again, it earns nothing new (its
  entries exist: never paid twice); dropped, its earnings are reversed as above.

Totals (earned, in batches, paid, balance) are derived by queries, never stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, case, func, insert, select

from ..database.connection import now_iso, transaction
from ..database.schema import earnings, payout_batches, payout_items
from ..errors import ApeachError, ConfigError
from ..votes.model import ACCEPTED, DROPPED, OUTCOMES
from .model import (
    EARNING_KINDS,
    KIND_ACCEPTED,
    KIND_ADJUSTMENT,
    Earning,
    EntryKind,
    LedgerEntry,
    RecordAction,
    SubmissionOutcome,
)
from .policy import RewardPolicy, apply_limits, earnings_for


@dataclass(frozen=True)
class RecordLine:
    submission_id: int
    writer_id: int  # the writer's Label Studio user id (ledger column writer_ls_id)
    kind: EntryKind
    action: RecordAction
    amount: int  # recorded (or, when held, what would have been) in minor units
    reason: str


@dataclass(frozen=True)
class RecordReport:
    lines: tuple[RecordLine, ...]
    currency: str
    dry_run: bool

    @classmethod
    def of(cls, lines: Iterable[RecordLine], currency: str, dry_run: bool) -> RecordReport:
        return cls(
            tuple(sorted(lines, key=lambda line: (line.submission_id, line.kind))),
            currency,
            dry_run,
        )

    def count(self, action: RecordAction) -> int:
        return sum(1 for line in self.lines if line.action == action)

    def amount(self, action: RecordAction) -> int:
        return sum(line.amount for line in self.lines if line.action == action)


@dataclass(frozen=True)
class WriterBalance:
    writer_id: int  # the writer's Label Studio user id (ledger column writer_ls_id)
    writer_email: str | None
    earned: int  # net of every entry, adjustments included
    in_batches: int  # entries in a payout batch (its files written, or being written)
    paid: int  # entries in batches the operator confirmed paid
    entries: int

    @property
    def awaiting(self) -> int:
        """In batches whose files were written but not yet confirmed paid."""
        return self.in_batches - self.paid

    @property
    def balance(self) -> int:
        """Earned and not yet in any batch."""
        return self.earned - self.in_batches


def record_outcomes(
    engine: Engine,
    outcomes: Iterable[SubmissionOutcome],
    policy: RewardPolicy,
    dry_run: bool = False,
) -> RecordReport:
    """Record what the outcomes earn, in one transaction (rolled back when ``dry_run``)."""
    unique = unique_outcomes(outcomes)
    with transaction(engine, rollback=dry_run) as conn:
        lines = record_lines(conn, unique, policy)
    return RecordReport.of(lines, policy.currency, dry_run)


def unique_outcomes(outcomes: Iterable[SubmissionOutcome]) -> list[SubmissionOutcome]:
    seen: dict[int, SubmissionOutcome] = {}
    for outcome in outcomes:
        writer = outcome.writer_id
        if isinstance(writer, bool) or not isinstance(writer, int) or writer <= 0:
            raise ApeachError(
                f"submission {outcome.submission_id} has no writer (Label Studio user id {writer!r}); "
                "leave it out until Label Studio names who wrote it"
            )
        if outcome.outcome not in OUTCOMES:
            raise ApeachError(
                f"submission {outcome.submission_id}: unknown outcome {outcome.outcome!r}; "
                f"expected one of {', '.join(OUTCOMES)}"
            )
        if seen.get(outcome.submission_id, outcome) != outcome:
            raise ApeachError(
                f"submission {outcome.submission_id} is given twice with different outcomes"
            )
        seen[outcome.submission_id] = outcome
    return [seen[key] for key in sorted(seen)]


def record_lines(
    conn: Connection, outcomes: list[SubmissionOutcome], policy: RewardPolicy
) -> list[RecordLine]:
    rows = conn.execute(
        select(
            earnings.c.submission_id,
            earnings.c.kind,
            earnings.c.writer_ls_id,
            earnings.c.amount,
            earnings.c.currency,
        )
    ).all()
    currencies = {row.currency for row in rows}
    if currencies - {policy.currency}:
        raise ConfigError(
            f"the ledger is kept in {', '.join(sorted(currencies))} but the policy says "
            f"{policy.currency}; a campaign keeps one currency"
        )
    by_submission: dict[int, dict[str, int]] = defaultdict(dict)
    writer_of: dict[int, int] = {}
    writer_totals: dict[int, int] = defaultdict(int)
    for row in rows:
        by_submission[row.submission_id][row.kind] = row.amount
        writer_of[row.submission_id] = row.writer_ls_id
        writer_totals[row.writer_ls_id] += row.amount
    campaign_total = sum(writer_totals.values())
    lines: list[RecordLine] = []
    candidates: list[Earning] = []
    for outcome in outcomes:
        existing = by_submission.get(outcome.submission_id, {})
        sid, writer = outcome.submission_id, outcome.writer_id
        if existing and writer_of[sid] != writer:
            lines.append(
                RecordLine(
                    sid,
                    writer,
                    KIND_ACCEPTED,
                    "ignored",
                    0,
                    f"the ledger has this submission from writer {writer_of[sid]}",
                )
            )
        elif outcome.outcome == DROPPED and KIND_ADJUSTMENT in existing:
            lines.append(
                RecordLine(
                    sid,
                    writer,
                    KIND_ADJUSTMENT,
                    "unchanged",
                    existing[KIND_ADJUSTMENT],
                    "already reversed",
                )
            )
        elif outcome.outcome == DROPPED and existing:
            amount = -sum(existing.values())
            kinds = "+".join(kind for kind in EARNING_KINDS if kind in existing)
            reason = f"dropped after acceptance: reverses {kinds}"
            _insert(
                conn,
                Earning(sid, writer, outcome.writer_email, KIND_ADJUSTMENT, amount, reason),
                policy,
            )
            writer_totals[writer] += amount
            campaign_total += amount
            lines.append(RecordLine(sid, writer, KIND_ADJUSTMENT, "reversed", amount, reason))
        elif outcome.outcome == ACCEPTED and KIND_ADJUSTMENT in existing:
            lines.append(
                RecordLine(
                    sid,
                    writer,
                    KIND_ACCEPTED,
                    "ignored",
                    0,
                    "accepted again after it was reversed; a reversed sentence is not credited again",
                )
            )
        elif outcome.outcome == ACCEPTED:
            for earning in earnings_for([outcome], policy):
                if earning.kind in existing:
                    lines.append(
                        RecordLine(
                            sid,
                            writer,
                            earning.kind,
                            "unchanged",
                            existing[earning.kind],
                            "already recorded",
                        )
                    )
                elif outcome.held:  # its writer is on hold: considered again on every run
                    lines.append(
                        RecordLine(sid, writer, earning.kind, "held", earning.amount, outcome.held)
                    )
                else:
                    candidates.append(earning)
    granted, held = apply_limits(candidates, policy, writer_totals, campaign_total)
    for earning in granted:
        _insert(conn, earning, policy)
        lines.append(
            RecordLine(
                earning.submission_id,
                earning.writer_id,
                earning.kind,
                "recorded",
                earning.amount,
                earning.reason,
            )
        )
    for item in held:
        e = item.earning
        lines.append(
            RecordLine(e.submission_id, e.writer_id, e.kind, "held", e.amount, item.reason)
        )
    return lines


def _insert(conn: Connection, earning: Earning, policy: RewardPolicy) -> None:
    conn.execute(
        insert(earnings).values(
            submission_id=earning.submission_id,
            kind=earning.kind,
            writer_ls_id=earning.writer_id,
            writer_email=(earning.writer_email or "").strip().lower() or None,
            amount=earning.amount,
            currency=policy.currency,
            reason=earning.reason,
            recorded_at=now_iso(),
        )
    )


def ledger_entries(conn: Connection, writer_id: int | None = None) -> list[LedgerEntry]:
    """Entries in the order they were recorded, for one writer or all."""
    query = select(earnings).order_by(earnings.c.id)
    if writer_id is not None:
        query = query.where(earnings.c.writer_ls_id == writer_id)
    return [entry_of(r) for r in conn.execute(query)]


def entry_of(row: Row[Any]) -> LedgerEntry:
    """The ledger entry a row of ``earnings`` holds (extra selected columns are ignored)."""
    return LedgerEntry(
        row.id,
        row.submission_id,
        row.kind,
        row.writer_ls_id,
        row.writer_email,
        row.amount,
        row.currency,
        row.reason,
        row.recorded_at,
    )


def writer_balances(engine: Engine) -> list[WriterBalance]:
    """Earned, batched, paid and balance per writer, derived from the entries, payout items
    and the batches' confirmations."""
    batched = func.sum(case((payout_items.c.id.is_not(None), earnings.c.amount), else_=0))
    paid = func.sum(case((payout_batches.c.paid_at.is_not(None), earnings.c.amount), else_=0))
    query = (
        select(
            earnings.c.writer_ls_id,
            func.max(earnings.c.writer_email).label("email"),
            func.sum(earnings.c.amount).label("earned"),
            batched.label("batched"),
            paid.label("paid"),
            func.count(earnings.c.id).label("entries"),
        )
        .select_from(
            earnings.outerjoin(payout_items, payout_items.c.earning_id == earnings.c.id).outerjoin(
                payout_batches, payout_batches.c.id == payout_items.c.batch_id
            )
        )
        .group_by(earnings.c.writer_ls_id)
        .order_by(earnings.c.writer_ls_id)
    )
    with engine.connect() as conn:
        return [
            WriterBalance(
                r.writer_ls_id, r.email, int(r.earned), int(r.batched), int(r.paid), int(r.entries)
            )
            for r in conn.execute(query)
        ]


def earning_submissions(engine: Engine) -> dict[int, int]:
    """``{submission id: writer's Label Studio id}`` of every submission with ledger entries."""
    with engine.connect() as conn:
        return {
            row.submission_id: row.writer_ls_id
            for row in conn.execute(select(earnings.c.submission_id, earnings.c.writer_ls_id))
        }
