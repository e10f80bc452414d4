"""Payout providers: how a batch becomes files a crowd platform accepts.

A provider renders bytes deterministically from the batch and its payable writers, so the
files of a batch can be written again (after a crash) or checked against the ledger at any
time. Amounts go out in DECIMAL MAJOR units of the policy currency (150 USD cents -> 1.50).
Nothing here calls a platform: uploading the files is the operator's step.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Protocol, Sequence

from ..errors import ConfigError
from .durable import write_rendered_files as write_rendered
from .model import KIND_ACCEPTED, KIND_ADJUSTMENT, KIND_FOOLED_BONUS, Batch, WriterPayout, format_major


class PayoutProvider(Protocol):
    name: str

    def check(self, currency: str) -> None:
        """Raise ConfigError if the platform cannot pay in this currency."""

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        """File name -> content, for the payable writers of the batch."""

    def write_files(self, batch: Batch, items: Sequence[WriterPayout], out_dir: Path) -> list[Path]:
        """Write the rendered files into ``out_dir`` (fsynced); return their paths."""


def _csv(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def request_token(batch: Batch, item: WriterPayout) -> str:
    """Deterministic and unique per (ledger, batch, writer): a retried SendBonus with the
    same token is not paid twice by MTurk. 64 hex characters (MTurk's maximum length)."""
    key = f"apeach-ls:{batch.ledger_id}:{batch.id}:{item.writer_ls_id}:{item.platform_id}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def bonus_reason(batch: Batch, item: WriterPayout) -> str:
    counts = {kind: sum(1 for e in item.entries if e.kind == kind)
              for kind in (KIND_ACCEPTED, KIND_FOOLED_BONUS, KIND_ADJUSTMENT)}
    parts = [f"{counts[KIND_ACCEPTED]} accepted sentence(s)"]
    if counts[KIND_FOOLED_BONUS]:
        parts.append(f"{counts[KIND_FOOLED_BONUS]} fooled-model bonus(es)")
    if counts[KIND_ADJUSTMENT]:
        parts.append(f"{counts[KIND_ADJUSTMENT]} reversal(s) of dropped sentences")
    return f"APEACH sentence-writing reward, batch {batch.id}: " + ", ".join(parts)


class ProlificProvider:
    """Prolific's bulk bonus format: ``participant_id,amount`` per line, no header; the amount
    is in the study's currency, which must be the policy currency."""

    name = "prolific"
    file_name = "prolific-bonuses.csv"

    def check(self, currency: str) -> None:
        return None

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        rows = [(str(i.platform_id), format_major(i.amount, batch.currency)) for i in items]
        return {self.file_name: _csv(rows)}

    def write_files(self, batch: Batch, items: Sequence[WriterPayout], out_dir: Path) -> list[Path]:
        return write_rendered(self.render(batch, items), out_dir)


class MTurkProvider:
    """One line per worker for MTurk's SendBonus (WorkerId, AssignmentId, BonusAmount, Reason,
    UniqueRequestToken): worker_id, assignment_id (from the roster; empty when it has none),
    amount in USD, reason and a deterministic unique_request_token. Batches of file format 1
    (before assignment ids were recorded) keep their layout without the assignment_id column."""

    name = "mturk"
    file_name = "mturk-bonuses.csv"

    def check(self, currency: str) -> None:
        if currency != "USD":
            raise ConfigError(f"MTurk pays bonuses in USD only, but the policy currency is {currency}; "
                              "use the prolific provider or a USD policy")

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        assignment = batch.has_assignment_ids
        rows = [["worker_id", *(["assignment_id"] if assignment else []), "amount", "reason", "unique_request_token"]]
        rows += [[str(i.platform_id), *([i.assignment_id or ""] if assignment else []),
                  format_major(i.amount, batch.currency), bonus_reason(batch, i), request_token(batch, i)]
                 for i in items]
        return {self.file_name: _csv(rows)}

    def write_files(self, batch: Batch, items: Sequence[WriterPayout], out_dir: Path) -> list[Path]:
        return write_rendered(self.render(batch, items), out_dir)


class FakeProvider:
    """For tests: renders a JSON file and remembers every call."""

    name = "fake"
    file_name = "fake-payouts.json"

    def __init__(self, currencies: frozenset[str] | None = None):
        self.currencies = currencies
        self.calls: list[tuple[int, list[tuple[str, int]]]] = []

    def check(self, currency: str) -> None:
        if self.currencies is not None and currency not in self.currencies:
            raise ConfigError(f"the fake provider does not pay in {currency}")

    def render(self, batch: Batch, items: Sequence[WriterPayout]) -> dict[str, bytes]:
        data = [{"platform_id": i.platform_id, "amount": i.amount} for i in items]
        return {self.file_name: json.dumps(data, sort_keys=True).encode("utf-8")}

    def write_files(self, batch: Batch, items: Sequence[WriterPayout], out_dir: Path) -> list[Path]:
        self.calls.append((batch.id, [(str(i.platform_id), i.amount) for i in items]))
        return write_rendered(self.render(batch, items), out_dir)


PROVIDERS: dict[str, type] = {"prolific": ProlificProvider, "mturk": MTurkProvider, "fake": FakeProvider}


def provider_by_name(name: str) -> PayoutProvider:
    if name not in PROVIDERS:
        raise ConfigError(f"unknown payout provider {name!r}; use one of {', '.join(sorted(PROVIDERS))}")
    return PROVIDERS[name]()


def default_providers(currency: str) -> list[PayoutProvider]:
    """Prolific always; MTurk too when the currency is USD."""
    return [ProlificProvider(), MTurkProvider()] if currency == "USD" else [ProlificProvider()]
