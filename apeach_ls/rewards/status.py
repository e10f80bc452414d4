"""Derived views of the ledger for people: balances per writer, batches, one batch.

Money in a batch is "in batches" from when the batch is planned; it is "paid" only once the
operator confirmed the batch after uploading its files (``batches.confirm_batch``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from ..database.schema import earnings, payout_batches, payout_items
from .batches import load_batch, verify_batch
from .ledger import WriterBalance, writer_balances
from .model import UNFINISHED_BATCH_STATUSES, Batch, BatchState, WriterPayout, batch_state
from .providers import PayoutProvider


@dataclass(frozen=True)
class BatchSummary:
    id: int
    status: str
    writers: int
    total: int  # derived from the items' entries
    directory: str
    paid_at: str | None = None

    @property
    def state(self) -> BatchState:
        return batch_state(self.status, self.paid_at)


@dataclass(frozen=True)
class PayoutStatus:
    currency: str | None
    writers: tuple[WriterBalance, ...]
    batches: tuple[BatchSummary, ...]

    @property
    def earned(self) -> int:
        return sum(w.earned for w in self.writers)

    @property
    def paid(self) -> int:
        """In batches the operator confirmed paid."""
        return sum(w.paid for w in self.writers)

    @property
    def awaiting(self) -> int:
        """In batches not confirmed paid yet (files written, or being written)."""
        return sum(w.awaiting for w in self.writers)

    @property
    def owed(self) -> int:
        """Earned and not in any batch yet."""
        return sum(w.balance for w in self.writers)

    @property
    def unfinished_batches(self) -> tuple[int, ...]:
        return tuple(b.id for b in self.batches if b.status in UNFINISHED_BATCH_STATUSES)


def payout_status(engine: Engine) -> PayoutStatus:
    """Earned, paid and balance per writer, and every batch with its derived total."""
    query = (
        select(
            payout_batches.c.id,
            payout_batches.c.status,
            payout_batches.c.directory,
            payout_batches.c.paid_at,
            func.count(func.distinct(earnings.c.writer_ls_id)).label("writers"),
            func.coalesce(func.sum(earnings.c.amount), 0).label("total"),
        )
        .select_from(
            payout_batches.outerjoin(
                payout_items, payout_items.c.batch_id == payout_batches.c.id
            ).outerjoin(earnings, earnings.c.id == payout_items.c.earning_id)
        )
        .group_by(
            payout_batches.c.id,
            payout_batches.c.status,
            payout_batches.c.directory,
            payout_batches.c.paid_at,
        )
        .order_by(payout_batches.c.id)
    )
    with engine.connect() as conn:
        batches = tuple(
            BatchSummary(r.id, r.status, int(r.writers), int(r.total), r.directory, r.paid_at)
            for r in conn.execute(query)
        )
        currency = conn.execute(select(earnings.c.currency).limit(1)).scalar()
    return PayoutStatus(currency, tuple(writer_balances(engine)), batches)


@dataclass(frozen=True)
class BatchView:
    batch: Batch
    items: tuple[WriterPayout, ...]
    problems: tuple[str, ...]  # differences between the folder and the ledger

    @property
    def total(self) -> int:
        return sum(i.amount for i in self.items)


def show_batch(
    engine: Engine, batch_id: int, providers: Sequence[PayoutProvider] = ()
) -> BatchView:
    """One batch: its writers and entries, and whether its files still match the ledger."""
    with engine.connect() as conn:
        batch, items = load_batch(conn, batch_id)
    return BatchView(batch, tuple(items), tuple(verify_batch(engine, batch_id, providers)))
