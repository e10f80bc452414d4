"""Payout batches: their files, rendered deterministically from the ledger, and completion.

A batch's folder ``<out_dir>/batch-NNNNNN/`` holds ``statements/writer-<ls id>.csv`` (one
per writer: the entries paid, with kinds and amounts), one file per platform that has
writers in the batch (``prolific-bonuses.csv``, ``mturk-bonuses.csv``,
``manual-transfers.csv``: each writer in their own platform's file only) and
``summary.json``. Every byte follows from the batch's rows in the database, so the files
can be rewritten after a crash and checked against the ledger at any time.

Completing a batch (``complete_batch``), all under the ledger lock: its files are written
into a temporary folder, fsynced, and the folder is renamed into place in one atomic rename
(:func:`apeach_ls.atomic.write_folder`, which first discards what a crashed run left); only
then is the batch marked committed: its files are written. If the final folder already
exists (a crash after the rename), it must match the ledger byte for byte, and the batch is
just marked committed.
If the folder cannot be written where the batch was planned (the path is not a directory,
the disk is gone) and it is visibly not there, the batch's files were never written: given
another output folder, the batch is written there instead and the ledger follows it.

Written is not paid: the operator uploads the files, then confirms the batch
(``confirm_batch``), which records ``paid_at``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Connection, Engine, select, update

from ..atomic import write_files, write_folder
from ..database.connection import ledger_id, now_iso, transaction
from ..database.schema import earnings, payout_batches, payout_items
from ..errors import ApeachError
from ..steps import OnStep, no_steps
from .ledger import entry_of
from .model import (
    BATCH_COMMITTED,
    BATCH_PREPARING,
    Batch,
    WriterPayout,
    format_major,
    format_money,
)
from .providers import PayoutProvider, provider_by_name

SUMMARY = "summary.json"

# The step complete_batch reports once a batch is marked committed (after the steps of
# apeach_ls.atomic.write_folder: its files written, synced, in place).
BATCH_MARKED_COMMITTED = "batch_committed"


def batch_dir_name(batch_id: int) -> str:
    return f"batch-{batch_id:06d}"


def load_batch(conn: Connection, batch_id: int) -> tuple[Batch, list[WriterPayout]]:
    """A batch and its writers (entries grouped per writer, in writer-id order)."""
    row = conn.execute(select(payout_batches).where(payout_batches.c.id == batch_id)).first()
    if row is None:
        raise ApeachError(
            f"payout batch {batch_id} does not exist; the payout status lists the batches"
        )
    batch = Batch(
        row.id,
        row.status,
        row.currency,
        tuple(row.providers.split(",")),
        row.directory,
        row.created_at,
        row.committed_at,
        ledger_id(conn),
        row.file_format,
        row.paid_at,
    )
    rows = conn.execute(
        select(
            earnings,
            payout_items.c.platform_id,
            payout_items.c.assignment_id,
            payout_items.c.platform,
        )
        .join(payout_items, payout_items.c.earning_id == earnings.c.id)
        .where(payout_items.c.batch_id == batch_id)
        .order_by(earnings.c.writer_ls_id, earnings.c.id)
    ).all()
    grouped: dict[int, list] = {}
    for r in rows:
        grouped.setdefault(r.writer_ls_id, []).append(r)
    items = []
    for writer, group in grouped.items():
        entries = tuple(entry_of(r) for r in group)
        items.append(
            WriterPayout(
                writer,
                group[-1].writer_email,
                group[0].platform_id,
                sum(e.amount for e in entries),
                entries,
                assignment_id=group[0].assignment_id,
                platform=group[0].platform,
            )
        )
    return batch, items


def resolve_providers(
    names: Sequence[str], given: Sequence[PayoutProvider] = ()
) -> list[PayoutProvider]:
    """Provider objects for the names stored on a batch: the given ones first, else new ones."""
    by_name = {p.name: p for p in given}
    return [by_name.get(name) or provider_by_name(name) for name in names]


def statement(batch: Batch, item: WriterPayout) -> bytes:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(
        ["earning_id", "submission_id", "kind", "amount", "amount_minor", "currency", "reason"]
    )
    for e in item.entries:
        out.writerow(
            [
                e.id,
                e.submission_id,
                e.kind,
                format_major(e.amount, e.currency),
                e.amount,
                e.currency,
                e.reason,
            ]
        )
    return buffer.getvalue().encode("utf-8")


def render_batch(
    batch: Batch, items: Sequence[WriterPayout], providers: Sequence[PayoutProvider]
) -> dict[str, bytes]:
    """Every file of the batch, by path relative to its folder."""
    files = {f"statements/writer-{i.writer_id}.csv": statement(batch, i) for i in items}
    for provider in providers:
        mine = (
            [i for i in items if i.platform == provider.name]
            if batch.routes_by_platform
            else list(items)
        )
        files.update(provider.render(batch, mine))
    total = sum(i.amount for i in items)
    summary = {
        "batch_id": batch.id,
        "ledger_id": batch.ledger_id,
        "created_at": batch.created_at,
        "currency": batch.currency,
        "providers": list(batch.providers),
        "total": format_major(total, batch.currency),
        "total_minor": total,
        "writers": [
            {
                "writer_ls_id": i.writer_id,
                "platform_id": i.platform_id,
                "amount": format_major(i.amount, batch.currency),
                "amount_minor": i.amount,
                "entries": len(i.entries),
                "statement": f"statements/writer-{i.writer_id}.csv",
                **({"assignment_id": i.assignment_id} if batch.has_assignment_ids else {}),
                **({"platform": i.platform} if batch.routes_by_platform else {}),
            }
            for i in items
        ],
        "files": sorted(files),
    }
    files[SUMMARY] = (
        json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    ).encode("utf-8")
    return files


@dataclass(frozen=True)
class CompletedBatch:
    batch_id: int
    directory: Path
    files: tuple[Path, ...]
    moved_from: Path | None = None  # where it was planned, when it could not be written there


def complete_batch(
    engine: Engine,
    batch_id: int,
    given: Sequence[PayoutProvider] = (),
    fallback_dir: Path | None = None,
    on_step: OnStep = no_steps,
) -> CompletedBatch:
    """Write a preparing batch's files and mark it committed (see module doc); idempotent.
    Runs under the ledger lock, so two runs never write the same batch's folder at once.
    ``fallback_dir``: where to write it instead if its planned folder cannot be written.
    ``on_step`` sees the steps of writing the folder, then ``BATCH_MARKED_COMMITTED``."""
    moved_from = None
    with transaction(engine) as conn:
        batch, items = load_batch(conn, batch_id)
        providers = resolve_providers(batch.providers, given)
        expected = render_batch(batch, items, providers)
        final = Path(batch.directory)
        if _exists(final, batch):
            if read_tree(final) != expected:
                raise ApeachError(
                    f"{final} does not match payout batch {batch.id} in the ledger; "
                    "move the folder away and run the payout again to rewrite it"
                )
        elif batch.status == BATCH_PREPARING:
            try:
                _write_folder(final, expected, on_step)
            except OSError as exc:
                other = (
                    fallback_dir / batch_dir_name(batch.id) if fallback_dir is not None else None
                )
                if other is None or other == final or _exists(final, batch):
                    raise ApeachError(
                        f"cannot write payout batch {batch.id}'s files into {final} ({exc.strerror}); "
                        "they were never written there: run the payout with --out set to a folder "
                        "you can write, and the batch is written there"
                    ) from None
                if _exists(other, batch):
                    raise ApeachError(
                        f"{other} already exists but is not batch {batch.id} of this ledger; "
                        "choose another output folder (one per campaign)"
                    ) from None
                moved_from, final = final, other
                conn.execute(
                    update(payout_batches)
                    .where(payout_batches.c.id == batch.id)
                    .values(directory=str(final))
                )
                try:
                    _write_folder(final, expected, on_step)
                except OSError as again:
                    raise ApeachError(
                        f"cannot write payout batch {batch.id}'s files into {final} "
                        f"({again.strerror}); choose another --out"
                    ) from None
        else:
            raise ApeachError(
                f"the files of committed payout batch {batch.id} are missing from {final}; "
                f"restore them, or write them again from the ledger: apeach-ls payout rewrite {batch.id}"
            )
        if batch.status == BATCH_PREPARING:
            conn.execute(
                update(payout_batches)
                .where(payout_batches.c.id == batch.id)
                .values(status=BATCH_COMMITTED, committed_at=now_iso())
            )
    if batch.status == BATCH_PREPARING:
        on_step(BATCH_MARKED_COMMITTED)
    return CompletedBatch(
        batch.id, final, tuple(final / name for name in sorted(expected)), moved_from
    )


def _exists(path: Path, batch: Batch) -> bool:
    """Whether ``path`` is there; a path that cannot even be looked at is an error, never
    taken for "not there" (its batch could then be written twice)."""
    try:
        return path.exists()
    except OSError as exc:
        raise ApeachError(
            f"cannot look at {path}, the folder of payout batch {batch.id} ({exc.strerror}); "
            "make it reachable and run the payout again"
        ) from None


def _write_folder(final: Path, expected: dict[str, bytes], on_step: OnStep = no_steps) -> None:
    """The batch's files, written into a temporary sibling folder renamed into place."""
    write_folder(final, lambda temp: write_files(temp, expected, on_step), on_step=on_step)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by its relative POSIX path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@dataclass(frozen=True)
class Confirmation:
    batch: Batch
    total: int
    already: bool  # it was confirmed before: nothing changed
    missing_files: bool  # its folder is gone (confirmed anyway: the files were uploaded)


def confirm_batch(
    engine: Engine, batch_id: int, given: Sequence[PayoutProvider] = (), dry_run: bool = False
) -> Confirmation:
    """Record that a batch's files were uploaded and paid (``paid_at``), in one transaction
    (rolled back when ``dry_run``). Refused for a batch whose files are not written yet or
    no longer match the ledger; confirming a confirmed batch changes nothing."""
    with transaction(engine, rollback=dry_run) as conn:
        batch, items = load_batch(conn, batch_id)
        total = sum(i.amount for i in items)
        if batch.status == BATCH_PREPARING:
            raise ApeachError(
                f"payout batch {batch.id}'s files are not written yet; run `apeach-ls payout --commit` "
                "to write them, upload them, then confirm"
            )
        if batch.paid_at:
            return Confirmation(batch, total, already=True, missing_files=False)
        final = Path(batch.directory)
        missing = not _exists(final, batch)
        if not missing:
            expected = render_batch(batch, items, resolve_providers(batch.providers, given))
            if read_tree(final) != expected:
                raise ApeachError(
                    f"the files in {final} differ from payout batch {batch.id} in the ledger, so what "
                    f"was uploaded is not what the ledger pays ({format_money(total, batch.currency)}); "
                    f"`apeach-ls payout show {batch.id}` lists the differences; nothing was confirmed"
                )
        paid_at = now_iso()
        conn.execute(
            update(payout_batches).where(payout_batches.c.id == batch.id).values(paid_at=paid_at)
        )
    return Confirmation(
        replace(batch, paid_at=paid_at), total, already=False, missing_files=missing
    )


def verify_batch(engine: Engine, batch_id: int, given: Sequence[PayoutProvider] = ()) -> list[str]:
    """Problems between a batch's folder and the ledger (empty: the files match)."""
    with engine.connect() as conn:
        batch, items = load_batch(conn, batch_id)
    expected = render_batch(batch, items, resolve_providers(batch.providers, given))
    final = Path(batch.directory)
    if not final.is_dir():
        return [f"{final}: missing"]
    actual = read_tree(final)
    problems = [f"{final / name}: missing" for name in sorted(set(expected) - set(actual))]
    problems += [
        f"{final / name}: not part of the batch" for name in sorted(set(actual) - set(expected))
    ]
    problems += [
        f"{final / name}: differs from the ledger"
        for name in sorted(set(expected) & set(actual))
        if expected[name] != actual[name]
    ]
    return problems


def rewrite_batch(
    engine: Engine, batch_id: int, given: Sequence[PayoutProvider] = ()
) -> list[Path]:
    """Write a committed batch's lost folder again from the ledger (the same bytes)."""
    with transaction(engine) as conn:
        batch, items = load_batch(conn, batch_id)
        final = Path(batch.directory)
        if batch.status == BATCH_PREPARING:
            raise ApeachError(
                f"payout batch {batch.id} is still preparing; run the payout to complete it"
            )
        if final.exists():
            raise ApeachError(
                f"{final} exists; `apeach-ls payout show {batch.id}` compares it with the ledger"
            )
        expected = render_batch(batch, items, resolve_providers(batch.providers, given))
        try:
            _write_folder(final, expected)
        except OSError as exc:
            raise ApeachError(
                f"cannot write payout batch {batch.id}'s files into {final}: {exc.strerror}"
            ) from None
    return [final / name for name in sorted(expected)]
