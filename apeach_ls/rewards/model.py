"""The rewards vocabulary: ledger entry kinds, batch states, money. A submission's outcome
is the tally's (:mod:`apeach_ls.votes.model`: accepted, dropped, pending).

Money is always an ``int`` of minor units (cents, pence; won and yen have none). The only
place a decimal point appears is ``format_major``, when an amount goes into a file for a
payment platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:  # a vocabulary imports nothing at run time (it stands alone)
    from ..votes.model import Outcome

# Kinds of ledger entries. (submission_id, kind) is unique in the ledger.
EntryKind = Literal["accepted", "fooled_bonus", "adjustment"]
KIND_ACCEPTED: Final[EntryKind] = "accepted"  # per_accepted for an accepted sentence
KIND_FOOLED_BONUS: Final[EntryKind] = "fooled_bonus"  # extra when the writer fooled the model
KIND_ADJUSTMENT: Final[EntryKind] = "adjustment"  # negative: reverses a dropped sentence's entries
EARNING_KINDS: Final[tuple[EntryKind, ...]] = (KIND_ACCEPTED, KIND_FOOLED_BONUS)  # positive kinds
ENTRY_KINDS: Final[tuple[EntryKind, ...]] = (KIND_ACCEPTED, KIND_FOOLED_BONUS, KIND_ADJUSTMENT)

# Payout batch states. A batch is created "preparing" (its items are then fixed) and becomes
# "committed" once its files are in place; a preparing batch is always completed, never undone.
# Committed is not paid: the operator uploads the files, then confirms the batch (``paid_at``).
BatchStatus = Literal["preparing", "committed"]
BATCH_PREPARING: Final[BatchStatus] = "preparing"
BATCH_COMMITTED: Final[BatchStatus] = "committed"
BATCH_STATUSES: Final[tuple[BatchStatus, ...]] = (BATCH_PREPARING, BATCH_COMMITTED)
UNFINISHED_BATCH_STATUSES: Final[frozenset[str]] = frozenset({BATCH_PREPARING})
# What a batch is, for people (``Batch.state``): derived from the status and ``paid_at``.
BatchState = Literal["preparing", "files written", "paid"]
STATE_PREPARING: Final[BatchState] = "preparing"
STATE_WRITTEN: Final[BatchState] = "files written"
STATE_PAID: Final[BatchState] = "paid"
# How a new batch lays out its files. 1: the first release; 2: the MTurk file and the summary
# carry each writer's MTurk assignment id; 3: each writer is in their own platform's file only
# (Prolific, MTurk, or the manual-transfer sheet) and the summary names the platform.
# A batch keeps the format it was created with.
BATCH_FILE_FORMAT: Final[int] = 3

# Where a writer is paid: the roster's ``platform`` column (one provider each, providers.py).
Platform = Literal["prolific", "mturk", "manual"]
PROLIFIC: Final[Platform] = "prolific"
MTURK: Final[Platform] = "mturk"
MANUAL: Final[Platform] = "manual"  # a bank transfer or anything else, done by hand from a sheet
PLATFORMS: Final[tuple[Platform, ...]] = (PROLIFIC, MTURK, MANUAL)

# A writer's profile, as the roster stores it and the released dataset names it.
Gender = Literal["female", "male"]
GENDERS: Final[tuple[Gender, ...]] = ("female", "male")
MIN_AGE: Final[int] = 14  # whole years
MAX_AGE: Final[int] = 100

# The largest amount a policy may name (minor units): sums of a million entries still fit
# the database's 64-bit integers.
MAX_AMOUNT: Final[int] = 10**12

# What ``record_outcomes`` did with one candidate entry.
RecordAction = Literal["recorded", "reversed", "unchanged", "held", "ignored"]

# ISO 4217 currencies we know, with their minor-unit exponents.
MINOR_UNIT_EXPONENTS: Final[dict[str, int]] = {"KRW": 0, "JPY": 0, "USD": 2, "GBP": 2, "EUR": 2}


@dataclass(frozen=True)
class SubmissionOutcome:
    """One writer's submission as the managers' vote left it."""

    submission_id: int  # the writer's annotation's Label Studio id
    writer_id: int  # the writer's Label Studio user id
    writer_email: str | None
    outcome: Outcome
    fooled: bool  # the writer flipped the verdict: the pseudo-classifier was fooled
    verified: bool | None = None  # validation: the writer's label right (True), wrong, undecided
    held: str | None = None  # why it is not paid yet (its writer is on hold); None: payable


@dataclass(frozen=True)
class Earning:
    """What the policy says one submission earns, before caps and budget (never negative)."""

    submission_id: int
    writer_id: int  # the writer's Label Studio user id (ledger column writer_ls_id)
    writer_email: str | None
    kind: EntryKind
    amount: int  # minor units, > 0
    reason: str


@dataclass(frozen=True)
class LedgerEntry:
    """A row of the ledger (append-only)."""

    id: int
    submission_id: int
    kind: EntryKind
    writer_id: int  # the writer's Label Studio user id (ledger column writer_ls_id)
    writer_email: str | None
    amount: int  # minor units; negative for adjustments
    currency: str
    reason: str
    recorded_at: str


def format_major(amount: int, currency: str) -> str:
    """An exact decimal string in major units: 150 USD cents -> "1.50", 1500 KRW -> "1500"."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"money must be an int of minor units, got {amount!r}")
    exponent = MINOR_UNIT_EXPONENTS[currency]
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**exponent)
    return f"{sign}{whole}" if exponent == 0 else f"{sign}{whole}.{fraction:0{exponent}d}"


def format_money(amount: int, currency: str) -> str:
    """For people: "1.50 USD", "1500 KRW"."""
    return f"{format_major(amount, currency)} {currency}"


@dataclass(frozen=True)
class WriterPayout:
    """What one writer is owed in a payout: the unpaid entries and their net amount."""

    writer_id: int  # the writer's Label Studio user id (ledger column writer_ls_id)
    writer_email: str | None
    platform_id: str | None  # None: no roster entry, so the writer cannot be paid
    amount: int  # net of ``entries``, minor units
    entries: tuple[LedgerEntry, ...]  # why: the entries this payment settles
    held_reason: str | None = None  # None: payable
    assignment_id: str | None = None  # MTurk: an assignment of the writer, which SendBonus needs
    platform: str | None = (
        None  # where they are paid (PLATFORMS); None in batches of format 1 and 2
    )

    @property
    def payable(self) -> bool:
        return self.held_reason is None


@dataclass(frozen=True)
class Batch:
    id: int
    status: BatchStatus
    currency: str
    providers: tuple[str, ...]
    directory: str  # absolute path of the batch's folder of files
    created_at: str
    committed_at: str | None
    ledger_id: str  # the ledger's identity, part of every request token
    file_format: int  # BATCH_FILE_FORMAT when it was created
    paid_at: str | None = None  # when the operator confirmed it paid

    @property
    def has_assignment_ids(self) -> bool:
        """Its MTurk file and summary carry assignment ids (file format 2 on)."""
        return self.file_format >= 2

    @property
    def routes_by_platform(self) -> bool:
        """Each writer is in their own platform's file only (file format 3 on); before, every
        provider's file listed every writer of the batch."""
        return self.file_format >= 3

    @property
    def state(self) -> BatchState:
        return batch_state(self.status, self.paid_at)


def batch_state(status: str, paid_at: str | None) -> BatchState:
    if status == BATCH_PREPARING:
        return STATE_PREPARING
    return STATE_PAID if paid_at else STATE_WRITTEN
