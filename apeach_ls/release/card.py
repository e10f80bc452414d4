"""The release's dataset card (README.md with Hugging Face metadata). Pure text, no I/O.

The metadata follows the Hugging Face dataset card fields and is written with
``huggingface_hub``'s card tools (``DatasetCardData``, ``DatasetCard``). The card holds no
timestamp: the same accepted set gives the same card, byte for byte.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final

from ..errors import ConfigError
from ..rounds import (
    FoolingCounts,
    FoolingRecord,
    Round,
    fooling_metrics,
    metric_rows,
    metrics_by_round,
)
from .consistency import HeldBack, held_back_line
from .rows import DEFAULT, SPOILED, ReleaseRow

DEFAULT_LICENSE: Final[str] = "cc-by-sa-4.0"
LICENSE_NAMES: Final[Mapping[str, str]] = {
    "cc-by-sa-4.0": "CC BY-SA 4.0",
    "cc-by-4.0": "CC BY 4.0",
    "cc-by-nc-4.0": "CC BY-NC 4.0",
    "cc-by-nc-sa-4.0": "CC BY-NC-SA 4.0",
    "cc-by-nc-nd-4.0": "CC BY-NC-ND 4.0",
    "cc0-1.0": "CC0 1.0",
    "apache-2.0": "Apache 2.0",
    "mit": "MIT",
    "other": "other (see the license section)",
}
_LICENSE_RE = re.compile(r"^[a-z0-9][a-z0-9.+-]{0,63}$")

COLLECTION_METHOD: Final[str] = """\
Collected with apeach-ls, following APEACH (Yang et al., "APEACH: Attacking Pejorative
Expressions with Analysis on Crowd-Generated Hate Speech Evaluation Datasets",
Findings of EMNLP 2022):

1. **Crowd generation with pseudo-classifier feedback.** Each writer got a prompt (one of
   the topics listed above and its guideline), chose whether to write a hateful or a
   non-hateful sentence, wrote one sentence, and saw a pseudo-classifier's verdict. The
   writer confirmed the verdict when it matched what they meant, or flipped it when it
   did not. The label is the one *corrected to the writer's intent*: the verdict when
   confirmed, its opposite when flipped (`fooled` = flipped: the classifier was wrong).
   Writers were asked not to name private persons (placeholders such as "ooo" instead)
   and not to copy text from the web.
2. **Drop-only vote by k managers.** Managers voted on every sentence only to drop it
   (copied from the web, naming a private person, or off the prompt's topic). They never
   judged hate or not: the label stays the writer's. Only accepted sentences are here.
"""


def license_id(value: str) -> str:
    """A Hugging Face license identifier from ``cc-by-sa-4.0`` or ``CC BY-SA 4.0``."""
    ident = re.sub(r"\s+", "-", value.strip().lower())
    if not _LICENSE_RE.match(ident):
        raise ConfigError(
            f"--license {value!r} is not a license identifier; use e.g. cc-by-sa-4.0, cc-by-4.0, "
            "cc0-1.0 or other"
        )
    return ident


def _size_category(n: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if n < limit:
            return name
    return "n>1M"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def topic_class_counts(rows: Sequence[ReleaseRow]) -> list[tuple[str, str, int, int]]:
    """(text_topic, text_topic_eng, Spoiled, Default) per topic, in order of first appearance."""
    counts: Counter[tuple[str, str, str]] = Counter(
        (r.text_topic, r.text_topic_eng, r.apeach_class) for r in rows
    )
    topics = list(dict.fromkeys((r.text_topic, r.text_topic_eng) for r in rows))
    return [(ko, en, counts[(ko, en, SPOILED)], counts[(ko, en, DEFAULT)]) for ko, en in topics]


def card_metadata(campaign: str, rows: Sequence[ReleaseRow], license: str) -> str:
    """The card's YAML metadata block (without the ``---`` lines), from ``DatasetCardData``."""
    from huggingface_hub import DatasetCardData

    data = DatasetCardData(
        language=["ko"],
        license=license,
        annotations_creators=["crowdsourced"],  # the writer's intent is the label
        language_creators=["crowdsourced"],  # the sentences were written by the crowd
        multilinguality=["monolingual"],
        size_categories=[_size_category(len(rows))],
        source_datasets=["original"],
        task_categories=["text-classification"],
        task_ids=["hate-speech-detection"],
        pretty_name=f"{campaign} (APEACH-style)",
        configs=[{"config_name": "default", "data_files": "apeach.csv"}],
    )
    return str(data.to_yaml())


def fooling_section(records: Sequence[FoolingRecord], rounds: Sequence[Round]) -> list[str]:
    """MER and vMER per round and per model version, over every submission of the campaign."""
    header = "| {} | submitted | fooled | MER | verified fooled | vMER | dropped |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"

    def table(first: str, counts: Mapping[str, FoolingCounts]) -> list[str]:
        return [
            header.format(first),
            rule,
            *(
                "| " + " | ".join(_cell(c) for c in (key or "(no verified verdict)", *rest)) + " |"
                for key, *rest in metric_rows(counts)
            ),
        ]

    return [
        "## Fooling the model: MER and vMER per round",
        "",
        f"Over all {len(records)} submissions of the campaign, released or not. MER (model error "
        "rate) = fooled / submitted: the writer flipped the verified verdict of the model in the loop. "
        "vMER = verified fooled / submitted: the fooling was also verified (the managers' vote "
        "accepted the sentence, or validators agreed with the writer's label when validation was on). "
        "Dropped: the managers' vote dropped the sentence.",
        "",
        *table("round", metrics_by_round(records, rounds)),
        "",
        *table("model version", dict(sorted(fooling_metrics(records, "model_version").items()))),
        "",
    ]


PERSONAL_AND_LIMITATIONS: Final[tuple[str, ...]] = (
    "## Personal and sensitive information",
    "",
    "The sentences were written for this dataset, not collected: writers were asked not to name "
    'private persons (placeholders such as "ooo" instead), and the managers dropped sentences '
    "naming one. Hateful sentences target groups by gender, age, religion, region, origin, "
    "disability, sexual orientation and other attributes. Writers appear only under a pseudonym "
    "(a salted hash), with the age and gender they gave the crowd platform.",
    "",
    "## Limitations",
    "",
    "- An **evaluation** set: small, written on prompts, and not meant for training.",
    "- The label is the writer's intent; it was not checked by other annotators (the managers only "
    "dropped sentences), unless validation was on.",
    "- The writers saw a pseudo-classifier's verdict: `fooled` sentences are hard for that model, "
    "and a model trained like it may find the set harder than others would.",
    "- The writers' demographics follow the crowd that took part (see `user_age`, `user_gender`).",
    "",
)


def dataset_card(
    campaign: str,
    rows: Sequence[ReleaseRow],
    license: str,
    checksums: Mapping[str, str],
    held_back: Sequence[HeldBack] = (),
    fooling: Sequence[FoolingRecord] = (),
    rounds: Sequence[Round] = (),
) -> str:
    """The README.md of a release: metadata, counts per topic x class, method, files, fields.

    When accepted submissions were held back (their sentence repeats another), one line
    under the summary says how many and why; without any, the card is unchanged.
    ``fooling`` (every submission's record, released or not) adds MER and vMER per round
    and per model version.
    """
    from huggingface_hub import DatasetCard

    ident = license_id(license)
    writers = len({r.writer for r in rows if r.writer})
    fooled = sum(r.fooled for r in rows)
    table = topic_class_counts(rows)
    lines = [
        f"# {campaign}: an APEACH-style Korean hate-speech evaluation set",
        "",
        f"{len(rows)} crowd-written sentences by {writers} writers over {len(table)} topics; "
        f"{sum(s for *_, s, _ in table)} `Spoiled` (hate) and {sum(d for *_, d in table)} `Default` (not hate). "
        f"{fooled} sentences fooled the pseudo-classifier.",
        "",
        *((held_back_line(held_back), "") if held_back else ()),
        f"License: **{LICENSE_NAMES.get(ident, ident)}** (`{ident}`).",
        "",
        "## Counts per topic and class",
        "",
        "| text_topic | text_topic_eng | Spoiled | Default | total |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [f"| {_cell(ko)} | {_cell(en)} | {s} | {d} | {s + d} |" for ko, en, s, d in table]
    lines += [
        f"| **total** | | {sum(s for *_, s, _ in table)} | {sum(d for *_, d in table)} | {len(rows)} |",
        "",
        *(fooling_section(fooling, rounds) if fooling else ()),
        "## Collection method",
        "",
        COLLECTION_METHOD,
        "## Files",
        "",
        "| file | contents | SHA-256 |",
        "|---|---|---|",
    ]
    described = {
        "apeach.csv": "the APEACH schema: `text,user_age,user_gender,text_topic,class,age,text_topic_eng`",
        "extended.jsonl": "every field, one JSON object per line",
        "extended.parquet": "every field, Apache Parquet",
    }
    lines += [
        f"| `{name}` | {described.get(name, '')} | `{digest}` |"
        for name, digest in sorted(checksums.items())
    ]
    lines += [
        '| `hf/` | every field, `datasets.load_from_disk("hf")` | |',
        "",
        *FIELDS,
        *PERSONAL_AND_LIMITATIONS,
        *USAGE,
    ]
    body = "\n".join(lines) + "\n"
    card = DatasetCard(f"---\n{card_metadata(campaign, rows, ident)}\n---\n\n{body}")
    return str(card)


FIELDS: Final[tuple[str, ...]] = (
    "## Fields",
    "",
    "- `text`: the sentence, byte for byte as written (may contain commas, quotes and newlines). It is not "
    "altered for spreadsheets: a text that starts with `=`, `+`, `-` or `@` would run as a formula in Excel, "
    "LibreOffice or Google Sheets, so read the files with code (below) or import them as text.",
    "- `user_age`, `user_gender` (`female`/`male`): the writer's profile on the crowd platform; "
    "empty when unknown.",
    "- `age`: the 5-year bucket of `user_age`, floored; writers under 20 are in 20.",
    "- `text_topic`, `text_topic_eng`: the prompt's topic (Korean, English as in APEACH).",
    "- `class`: `Spoiled` (hate) or `Default` (not hate), corrected to the writer's intent.",
    "- Extended files also have: `id` (`apeach-ls:<campaign>:<annotation id>`), `writer` (a pseudonym), "
    "`label`, `intent`, `verdict`, `verdict_score`, `agreement` (confirm/flip), `fooled`, `outcome`, "
    "`keeps`, `drops`, `reasons`, `flags`, `created_at`, `lead_time` (seconds), `prompt_id`, "
    "`round` (the campaign round it was written in), `model_version` (of the model whose verified "
    "verdict the writer saw; empty when none verified) and `verified` (fooled, and the fooling "
    "verified: accepted by the managers' vote, or validated when validation was on).",
    "",
)

USAGE: Final[tuple[str, ...]] = (
    "## Usage",
    "",
    "```python",
    "import pandas as pd",
    'df = pd.read_csv("apeach.csv", keep_default_na=False, dtype=str)  # texts byte-for-byte',
    "",
    "from datasets import load_dataset, load_from_disk",
    'csv = load_dataset("csv", data_files="apeach.csv", keep_default_na=False)',
    'full = load_from_disk("hf")',
    "```",
)
