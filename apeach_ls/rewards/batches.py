"""Payout batches: their files, rendered deterministically from the ledger, and completion.

A batch's folder ``<out_dir>/batch-NNNNNN/`` holds ``statements/writer-<ls id>.csv`` (one
per writer: the entries paid, with kinds and amounts), one file per provider and
``summary.json``. Every byte follows from the batch's rows in the database, so the files
can be rewritten after a crash and checked against the ledger at any time.

Completing a batch (``complete_batch``), all under the ledger lock: files are written into
``.batch-NNNNNN.partial`` (discarded first if a crash left one), fsynced, the folder is
renamed into place in one atomic rename and its parent fsynced; only then is the batch
marked committed. If the final folder already exists (a crash after the rename), it must
match the ledger byte for byte, and the batch is just marked committed.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Sequence

from sqlalchemy import Connection, Engine, select, update

from ..errors import ApeachError
from .db import earnings, ledger_id, now_iso, payout_batches, payout_items, transaction
from .durable import crash_point, fsync_dir, fsync_tree, read_tree, remove_tree, write_rendered_files
from .model import BATCH_COMMITTED, BATCH_PREPARING, Batch, LedgerEntry, WriterPayout, format_major
from .providers import PayoutProvider, provider_by_name

SUMMARY = "summary.json"


def batch_dir_name(batch_id: int) -> str:
    return f"batch-{batch_id:06d}"


def load_batch(conn: Connection, batch_id: int) -> tuple[Batch, list[WriterPayout]]:
    """A batch and its writers (entries grouped per writer, in writer-id order)."""
    row = conn.execute(select(payout_batches).where(payout_batches.c.id == batch_id)).first()
    if row is None:
        raise ApeachError(f"payout batch {batch_id} does not exist; the payout status lists the batches")
    batch = Batch(row.id, row.status, row.currency, tuple(row.providers.split(",")), row.directory,
                  row.created_at, row.committed_at, ledger_id(conn), row.file_format)
    rows = conn.execute(select(earnings, payout_items.c.platform_id, payout_items.c.assignment_id)
                        .join(payout_items, payout_items.c.earning_id == earnings.c.id)
                        .where(payout_items.c.batch_id == batch_id)
                        .order_by(earnings.c.writer_ls_id, earnings.c.id)).all()
    grouped: dict[int, list] = {}
    for r in rows:
        grouped.setdefault(r.writer_ls_id, []).append(r)
    items = []
    for writer, group in grouped.items():
        entries = tuple(LedgerEntry(r.id, r.submission_id, r.kind, r.writer_ls_id, r.writer_email, r.amount,
                                    r.currency, r.reason, r.recorded_at) for r in group)
        items.append(WriterPayout(writer, group[-1].writer_email, group[0].platform_id,
                                  sum(e.amount for e in entries), entries, assignment_id=group[0].assignment_id))
    return batch, items


def resolve_providers(names: Sequence[str], given: Sequence[PayoutProvider] = ()) -> list[PayoutProvider]:
    """Provider objects for the names stored on a batch: the given ones first, else new ones."""
    by_name = {p.name: p for p in given}
    return [by_name.get(name) or provider_by_name(name) for name in names]


def statement(batch: Batch, item: WriterPayout) -> bytes:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["earning_id", "submission_id", "kind", "amount", "amount_minor", "currency", "reason"])
    for e in item.entries:
        out.writerow([e.id, e.submission_id, e.kind, format_major(e.amount, e.currency), e.amount, e.currency,
                      e.reason])
    return buffer.getvalue().encode("utf-8")


def render_batch(batch: Batch, items: Sequence[WriterPayout], providers: Sequence[PayoutProvider]) -> dict[str, bytes]:
    """Every file of the batch, by path relative to its folder."""
    files = {f"statements/writer-{i.writer_ls_id}.csv": statement(batch, i) for i in items}
    for provider in providers:
        files.update(provider.render(batch, items))
    total = sum(i.amount for i in items)
    summary = {
        "batch_id": batch.id, "ledger_id": batch.ledger_id, "created_at": batch.created_at,
        "currency": batch.currency, "providers": list(batch.providers),
        "total": format_major(total, batch.currency), "total_minor": total,
        "writers": [{"writer_ls_id": i.writer_ls_id, "platform_id": i.platform_id,
                     "amount": format_major(i.amount, batch.currency), "amount_minor": i.amount,
                     "entries": len(i.entries), "statement": f"statements/writer-{i.writer_ls_id}.csv",
                     **({"assignment_id": i.assignment_id} if batch.has_assignment_ids else {})}
                    for i in items],
        "files": sorted(files),
    }
    files[SUMMARY] = (json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def complete_batch(engine: Engine, batch_id: int, given: Sequence[PayoutProvider] = ()) -> list[Path]:
    """Write a preparing batch's files and mark it committed (see module doc); idempotent.
    Runs under the ledger lock, so two runs never write the same batch's folder at once."""
    with transaction(engine) as conn:
        batch, items = load_batch(conn, batch_id)
        providers = resolve_providers(batch.providers, given)
        expected = render_batch(batch, items, providers)
        final = Path(batch.directory)
        if final.exists():
            if read_tree(final) != expected:
                raise ApeachError(f"{final} does not match payout batch {batch.id} in the ledger; "
                                  "move the folder away and run the payout again to rewrite it")
        elif batch.status == BATCH_PREPARING:
            temp = final.parent / f".{final.name}.partial"
            remove_tree(temp)
            temp.mkdir(parents=True)
            write_rendered_files({k: v for k, v in expected.items() if k.startswith("statements/")}, temp)
            crash_point("statements_written")
            for provider in providers:
                provider.write_files(batch, items, temp)
            crash_point("provider_files_written")
            write_rendered_files({SUMMARY: expected[SUMMARY]}, temp)
            fsync_tree(temp)
            crash_point("files_synced")
            os.rename(temp, final)
            fsync_dir(final.parent)
            crash_point("dir_renamed")
        else:
            raise ApeachError(f"the files of committed payout batch {batch.id} are missing from {final}; "
                              "restore them, or write them again from the ledger (rewrite_batch)")
        if batch.status == BATCH_PREPARING:
            conn.execute(update(payout_batches).where(payout_batches.c.id == batch.id)
                         .values(status=BATCH_COMMITTED, committed_at=now_iso()))
    if batch.status == BATCH_PREPARING:
        crash_point("batch_committed")
    return [final / name for name in sorted(expected)]


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
    problems += [f"{final / name}: not part of the batch" for name in sorted(set(actual) - set(expected))]
    problems += [f"{final / name}: differs from the ledger" for name in sorted(set(expected) & set(actual))
                 if expected[name] != actual[name]]
    return problems


def rewrite_batch(engine: Engine, batch_id: int, given: Sequence[PayoutProvider] = ()) -> list[Path]:
    """Write a committed batch's lost folder again from the ledger (the same bytes)."""
    with transaction(engine) as conn:
        batch, items = load_batch(conn, batch_id)
        final = Path(batch.directory)
        if batch.status == BATCH_PREPARING:
            raise ApeachError(f"payout batch {batch.id} is still preparing; run the payout to complete it")
        if final.exists():
            raise ApeachError(f"{final} exists; verify_batch checks it against the ledger")
        expected = render_batch(batch, items, resolve_providers(batch.providers, given))
        temp = final.parent / f".{final.name}.partial"
        remove_tree(temp)
        write_rendered_files(expected, temp)
        fsync_tree(temp)
        os.rename(temp, final)
        fsync_dir(final.parent)
    return [final / name for name in sorted(expected)]
