"""Payout providers: how a batch becomes files a crowd platform (or a person) accepts.

One provider per platform of the roster's ``platform`` column: ``prolific`` (bulk bonus CSV),
``mturk`` (SendBonus lines) and ``manual`` (a sheet for transfers done by hand, any
currency). Each provider knows its platform's rules, checked before anything is recorded:
the currencies it can pay in (MTurk: USD; Prolific: the study's currency, GBP or USD;
manual: any) and the shape of its ids (which also keeps ``=``, ``-`` or ``@`` out of the
first cell of an uploaded line).

A provider renders bytes deterministically from the batch and its writers, so the files of
a batch can be written again (after a crash) or checked against the ledger at any time.
From file format 3 on, a provider gets only the writers on its platform; batches of
formats 1 and 2 gave every provider every writer, and still render that way so that their
files keep matching the ledger. Amounts go out in DECIMAL MAJOR units of the policy
currency (150 USD cents -> 1.50). Nothing here calls a platform: uploading the files is the
operator's step, confirmed afterwards with ``apeach-ls payout confirm``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from typing import Protocol

from ..errors import ConfigError
from ..spreadsheet import guard_row
from .model import (
    KIND_ACCEPTED,
    KIND_ADJUSTMENT,
    KIND_FOOLED_BONUS,
    MANUAL,
    MTURK,
    PLATFORMS,
    PROLIFIC,
    Batch,
    WriterPayout,
    format_major,
)


class PayoutProvider(Protocol):
    name: str  # the roster's platform

    def check(self, currency: str) -> None:
        """Raise ConfigError if the platform cannot pay in this currency."""

    def id_problem(self, platform_id: str) -> str | None:
        """Why ``platform_id`` is not an id of this platform (None: it is one)."""

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        """File name -> content, for the payable writers of the batch on this platform."""


def _csv(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def request_token(batch: Batch, item: WriterPayout) -> str:
    """Deterministic and unique per (ledger, batch, writer): a retried SendBonus with the
    same token is not paid twice by MTurk. 64 hex characters (MTurk's maximum length)."""
    key = f"apeach-ls:{batch.ledger_id}:{batch.id}:{item.writer_id}:{item.platform_id}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def bonus_reason(batch: Batch, item: WriterPayout) -> str:
    counts = {
        kind: sum(1 for e in item.entries if e.kind == kind)
        for kind in (KIND_ACCEPTED, KIND_FOOLED_BONUS, KIND_ADJUSTMENT)
    }
    parts = [f"{counts[KIND_ACCEPTED]} accepted sentence(s)"]
    if counts[KIND_FOOLED_BONUS]:
        parts.append(f"{counts[KIND_FOOLED_BONUS]} fooled-model bonus(es)")
    if counts[KIND_ADJUSTMENT]:
        parts.append(f"{counts[KIND_ADJUSTMENT]} reversal(s) of dropped sentences")
    return f"APEACH sentence-writing reward, batch {batch.id}: " + ", ".join(parts)


class _Platform:
    """A platform's rules: its currencies (None: any) and the shape of its ids."""

    name: str
    title: str
    file_name: str
    currencies: frozenset[str] | None = None
    id_pattern: re.Pattern[str]
    id_name: str  # for messages: "a Prolific participant id"
    id_shape: str  # for messages: "24 hexadecimal characters, e.g. ..."

    def check(self, currency: str) -> None:
        if self.currencies is not None and currency not in self.currencies:
            allowed = " or ".join(sorted(self.currencies))
            raise ConfigError(
                f"{self.title} pays in {allowed} only, but the campaign's [rewards] currency is "
                f"{currency}; pay these writers with platform {MANUAL} (a manual-transfer sheet), "
                f"or use a {allowed} campaign"
            )

    def id_problem(self, platform_id: str) -> str | None:
        if self.id_pattern.fullmatch(platform_id):
            return None
        return f"{platform_id!r} is not {self.id_name} ({self.id_shape})"

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        raise NotImplementedError


class ProlificProvider(_Platform):
    """Prolific's bulk bonus format: ``participant_id,amount`` per line, no header; the amount
    is in the study's currency, which must be the policy currency (GBP or USD)."""

    name = PROLIFIC
    title = "Prolific"
    file_name = "prolific-bonuses.csv"
    currencies = frozenset({"GBP", "USD"})
    id_pattern = re.compile(r"[0-9a-f]{24}")
    id_name = "a Prolific participant id"
    id_shape = "24 lower-case hexadecimal characters, e.g. 5f1a2b3c4d5e6f7a8b9c0d1e"

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        rows = [(str(i.platform_id), format_major(i.amount, batch.currency)) for i in items]
        return {self.file_name: _csv(rows)}


class MTurkProvider(_Platform):
    """One line per worker for MTurk's SendBonus (WorkerId, AssignmentId, BonusAmount, Reason,
    UniqueRequestToken): worker_id, assignment_id (from the roster; empty when it has none),
    amount in USD, reason and a deterministic unique_request_token. Batches of file format 1
    (before assignment ids were recorded) keep their layout without the assignment_id column."""

    name = MTURK
    title = "MTurk"
    file_name = "mturk-bonuses.csv"
    currencies = frozenset({"USD"})
    id_pattern = re.compile(r"A[A-Z0-9]{1,63}")
    id_name = "an MTurk worker id"
    id_shape = "A followed by upper-case letters and digits, e.g. A1B2C3D4E5F6G7"
    assignment_pattern = re.compile(r"[A-Z0-9]{1,64}")

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        assignment = batch.has_assignment_ids
        rows = [
            [
                "worker_id",
                *(["assignment_id"] if assignment else []),
                "amount",
                "reason",
                "unique_request_token",
            ]
        ]
        rows += [
            [
                str(i.platform_id),
                *([i.assignment_id or ""] if assignment else []),
                format_major(i.amount, batch.currency),
                bonus_reason(batch, i),
                request_token(batch, i),
            ]
            for i in items
        ]
        return {self.file_name: _csv(rows)}


class ManualProvider(_Platform):
    """A sheet for payments made by hand (a bank transfer, a voucher: any currency, e.g. KRW):
    one line per writer with their reference, the amount and currency, a reference to put on
    the transfer and the reason. People open it in a spreadsheet, so every cell is guarded
    against formulas."""

    name = MANUAL
    title = "manual transfer"
    file_name = "manual-transfers.csv"
    currencies = None
    id_pattern = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
    id_name = "a payee reference"
    id_shape = "letters, digits, '-' and '_', starting with a letter or digit, at most 64"

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        rows = [
            [
                "writer_ls_id",
                "writer_email",
                "platform_id",
                "amount",
                "currency",
                "reference",
                "reason",
            ]
        ]
        rows += [
            guard_row(
                [
                    i.writer_id,
                    i.writer_email or "",
                    i.platform_id,
                    format_major(i.amount, batch.currency),
                    batch.currency,
                    f"APEACH-{request_token(batch, i)[:16].upper()}",
                    bonus_reason(batch, i),
                ]
            )
            for i in items
        ]
        return {self.file_name: _csv(rows)}


class FakeProvider(_Platform):
    """For tests: renders a JSON file and remembers every rendering; stands in for the platform
    ``name`` (default ``manual``)."""

    title = "fake"
    file_name = "fake-payouts.json"
    id_pattern = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
    id_name = "a fake id"
    id_shape = "letters, digits, '-' and '_'"

    def __init__(self, currencies: frozenset[str] | None = None, name: str = MANUAL):
        self.name = name
        self.currencies = currencies
        self.calls: list[tuple[int, list[tuple[str, int]]]] = []

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        self.calls.append((batch.id, [(str(i.platform_id), i.amount) for i in items]))
        data = [{"platform_id": i.platform_id, "amount": i.amount} for i in items]
        return {self.file_name: json.dumps(data, sort_keys=True).encode("utf-8")}


PROVIDERS: dict[str, type] = {
    PROLIFIC: ProlificProvider,
    MTURK: MTurkProvider,
    MANUAL: ManualProvider,
}  # = PLATFORMS


def provider_by_name(name: str) -> PayoutProvider:
    if name not in PROVIDERS:
        raise ConfigError(f"unknown payout platform {name!r}; use one of {', '.join(PLATFORMS)}")
    return PROVIDERS[name]()


def all_providers() -> list[PayoutProvider]:
    """One provider per platform of the roster."""
    return [cls() for cls in PROVIDERS.values()]
