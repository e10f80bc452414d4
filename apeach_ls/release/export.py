"""Writing a release directory: the APEACH CSV, extended JSONL / Parquet, a Hugging Face
``datasets`` directory and the dataset card, all or nothing.

Deterministic: the same rows give byte-identical ``apeach.csv``, ``extended.jsonl``,
``extended.parquet`` and ``README.md`` (no timestamps; Parquet written with fixed options
and no pandas metadata; the bytes depend on the installed pyarrow version, which Parquet
records as ``created_by``). The ``hf/`` directory (``save_to_disk``) holds an Arrow file,
``dataset_info.json`` and ``state.json``; with ``datasets`` 5.x all three are identical
across runs too (the fingerprint is a hash of the content); other versions may differ
in ``state.json``'s ``_fingerprint`` only.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ApeachError, ConfigError
from ..rounds import FoolingRecord, Round
from .card import DEFAULT_LICENSE, dataset_card, license_id
from .consistency import HeldBack
from .outdir import write_atomically
from .rows import APEACH_COLUMNS, ReleaseRow

CSV_FILE, JSONL_FILE, PARQUET_FILE, HF_DIR, CARD_FILE = (
    "apeach.csv",
    "extended.jsonl",
    "extended.parquet",
    "hf",
    "README.md",
)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ReleaseFiles:
    directory: Path
    rows: int
    checksums: dict[str, str]  # file name -> SHA-256 of the data files


def _quiet(_: str) -> None:
    pass


def write_apeach_csv(rows: Sequence[ReleaseRow], path: Path) -> None:
    """The APEACH schema: exact header, minimal quoting, ``\\n`` line ends, UTF-8 without BOM."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(APEACH_COLUMNS)
        for row in rows:
            fields = row.apeach()
            writer.writerow([fields[column] for column in APEACH_COLUMNS])


def write_jsonl(rows: Sequence[ReleaseRow], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row.extended(), ensure_ascii=False, allow_nan=False) + "\n")


def arrow_schema() -> Any:
    """The extended fields' Arrow schema, explicit so that empty or all-null columns keep their types."""
    import pyarrow as pa

    s, i, f = pa.string(), pa.int64(), pa.float64()
    return pa.schema(
        [
            ("id", s),
            ("text", s),
            ("user_age", i),
            ("user_gender", s),
            ("text_topic", s),
            ("class", s),
            ("age", i),
            ("text_topic_eng", s),
            ("annotation_id", i),
            ("task_id", i),
            ("prompt_id", s),
            ("writer", s),
            ("label", s),
            ("intent", s),
            ("verdict", s),
            ("verdict_score", f),
            ("agreement", s),
            ("fooled", pa.bool_()),
            ("verified", pa.bool_()),
            ("round", s),
            ("model_version", s),
            ("outcome", s),
            ("keeps", i),
            ("drops", i),
            ("reasons", pa.list_(s)),
            ("flags", pa.list_(s)),
            ("created_at", s),
            ("lead_time", f),
        ]
    )


def write_parquet(rows: Sequence[ReleaseRow], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([r.extended() for r in rows], schema=arrow_schema())
    pq.write_table(
        table, path, compression="zstd", version="2.6", use_dictionary=True, write_statistics=True
    )


def write_hf_dataset(rows: Sequence[ReleaseRow], path: Path, campaign: str, license: str) -> None:
    from datasets import Dataset, DatasetInfo, Features

    features = Features.from_arrow_schema(arrow_schema())
    info = DatasetInfo(
        description=f"{campaign}: an APEACH-style Korean hate-speech evaluation set "
        "(crowd-generated, accepted by the managers' vote)",
        license=license,
        features=features,
    )
    records = [r.extended() for r in rows]
    columns = {
        name: [record[name] for record in records] for name in features
    }  # also when there are no rows
    dataset = Dataset.from_dict(columns, features=features, info=info)
    dataset.save_to_disk(str(path))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def require_release_packages() -> None:
    """``pyarrow``, ``datasets`` and ``huggingface_hub`` come with the ``release`` extra; say so
    before any work."""
    missing = []
    for module in ("pyarrow", "datasets", "huggingface_hub"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ConfigError(
            f"the release needs {' and '.join(missing)}; install them with: "
            "pip install 'apeach-ls[release]'"
        )


def write_release(
    rows: Sequence[ReleaseRow],
    out: Path,
    campaign: str,
    license: str = DEFAULT_LICENSE,
    replace: bool = False,
    progress: Progress = _quiet,
    held_back: Sequence[HeldBack] = (),
    fooling: Sequence[FoolingRecord] = (),
    rounds: Sequence[Round] = (),
) -> ReleaseFiles:
    """Write the release into ``out`` (created, or replaced when ``replace``), all or nothing.

    ``held_back`` (``ReleaseBuild.held_back``) is only counted in the dataset card;
    ``fooling`` (every submission's record, ``rounds.fooling_records``) and the campaign's
    ``rounds`` give the card's MER and vMER per round and model version.
    """
    ident = license_id(license)
    if not rows:
        raise ApeachError("nothing to release: there are no accepted sentences")
    require_release_packages()
    ordered = sorted(rows, key=lambda r: r.submission_id)

    def fill(tmp: Path) -> ReleaseFiles:
        checksums: dict[str, str] = {}
        for name, write in (
            (CSV_FILE, write_apeach_csv),
            (JSONL_FILE, write_jsonl),
            (PARQUET_FILE, write_parquet),
        ):
            progress(f"writing {name}")
            write(ordered, tmp / name)
            checksums[name] = sha256_file(tmp / name)
        progress(f"writing the Hugging Face dataset {HF_DIR}/")
        write_hf_dataset(ordered, tmp / HF_DIR, campaign, ident)
        progress(f"writing the dataset card {CARD_FILE}")
        (tmp / CARD_FILE).write_text(
            dataset_card(campaign, ordered, ident, checksums, held_back, fooling, rounds),
            encoding="utf-8",
            newline="\n",
        )
        return ReleaseFiles(out, len(ordered), checksums)

    return write_atomically(out, replace, fill)
