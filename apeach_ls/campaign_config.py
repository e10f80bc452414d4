"""The campaign config file (TOML): who the managers are, how votes are tallied, which
reference corpora the copy-paste aid reads, how writers are paid, where the database is.

```toml
[campaign]
name = "apeach-2026"                       # its projects in Label Studio carry this name
database = "apeach-ls-data/apeach-2026.db" # SQLite path or URL; APEACH_DATABASE_URL overrides
                                           # (put a PostgreSQL password there, not here)
[votes]
managers = ["m1@example.com", "m2@example.com", "m3@example.com"]
k = 3                                      # valid votes needed per sentence
rule = "majority"                          # or "any_drop"

[aids]                                     # hints on vote tasks, see apeach_ls.aids
reference_corpora = ["corpora/news_comments.txt"]  # relative to this file
copy_threshold = 0.7       # share of a sentence's letter trigrams found in one reference line
duplicate_threshold = 0.8  # similarity to an earlier sentence (jamo letters or words, any order)
off_topic_below = 0.2      # topic relevance under which "off_topic" is flagged (0: never)
off_topic_without_words = false  # also flag sentences with no word of any topic (more caught, more wrong)

[rewards]                                  # see apeach_ls.rewards.policy
per_accepted = 500
currency = "KRW"

[validation]               # optional, off by default: see apeach_ls.validation
enabled = false            # fooled sentences get validation tasks (`apeach-ls validation create`)
validators = []            # e-mails; default: the managers. Never given their own sentences

[quality]                  # optional: see apeach_ls.writer_quality (no maximum set: no one held)
min_sentences = 5          # writers with fewer sentences are not judged
max_drop_rate = 0.5        # also max_fooled_rate, max_duplicate_rate, max_copy_rate,
                           # max_unverified_rate: a writer over any is held for review
```
Relative paths are resolved against the config file's folder.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .aids.topic_relevance import OFF_TOPIC_BELOW
from .errors import ConfigError
from .labelstudio.projects import check_campaign_name
from .rewards.policy import RewardPolicy, parse_policy
from .settings import read_secret
from .votes.model import DEFAULT_K, MAJORITY, RULES
from .writer_quality import QualityThresholds

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KNOWN = {
    "campaign": {"name", "database"},
    "votes": {"managers", "k", "rule"},
    "aids": {
        "reference_corpora",
        "copy_threshold",
        "duplicate_threshold",
        "off_topic_below",
        "off_topic_without_words",
    },
    "validation": {"enabled", "validators"},
    "quality": {"min_sentences", *(key for key, _, _ in QualityThresholds.RATES)},
}


@dataclass(frozen=True)
class CampaignConfig:
    path: Path
    name: str
    database: str
    managers: tuple[str, ...]
    k: int
    rule: str
    reference_corpora: tuple[Path, ...]
    copy_threshold: float
    duplicate_threshold: float
    rewards: RewardPolicy | None
    off_topic_below: float = OFF_TOPIC_BELOW  # pass to compute_aids(off_topic_below=...)
    off_topic_without_words: bool = False  # pass to compute_aids(off_topic_without_words=...)
    validation: bool = False  # fooled sentences are validated by other people
    validators: tuple[str, ...] = ()  # e-mails (the managers when [validation] names none)
    quality: QualityThresholds = QualityThresholds()  # when writers are held for review

    def require_rewards(self) -> RewardPolicy:
        if self.rewards is None:
            raise ConfigError(
                f"{self.path}: no [rewards] section; add one with at least per_accepted"
            )
        return self.rewards


def load_config(path: str | Path, env: Mapping[str, str]) -> CampaignConfig:
    """The campaign config at ``path``; ``env`` (the CLI settings' environment) may override
    its database (APEACH_DATABASE_URL[_FILE])."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the campaign config: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    for section, keys in KNOWN.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        unknown = sorted(set(table) - keys)
        if unknown:
            raise ConfigError(
                f"{path}: [{section}] {unknown[0]}: unknown key; known: {', '.join(sorted(keys))}"
            )
    campaign, votes, aids = data.get("campaign", {}), data.get("votes", {}), data.get("aids", {})
    where = lambda key: f"{path}: [{key}]"  # noqa: E731
    name = campaign.get("name")
    if not isinstance(name, str):
        raise ConfigError(f'{where("campaign")} name: required, e.g. name = "apeach-2026"')
    check_campaign_name(name)
    database = read_secret(env, "APEACH_DATABASE_URL") or campaign.get("database") or f"{name}.db"
    if not isinstance(database, str):
        raise ConfigError(f"{where('campaign')} database: must be a path or URL string")
    if "://" not in database:
        database = str(_resolve(path, database))
    managers = votes.get("managers", [])
    if not isinstance(managers, list) or not all(
        isinstance(m, str) and EMAIL_RE.match(m.strip()) for m in managers
    ):
        raise ConfigError(f"{where('votes')} managers: must be a list of e-mail addresses")
    managers_clean = tuple(dict.fromkeys(m.strip().lower() for m in managers))
    k = votes.get("k", DEFAULT_K)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"{where('votes')} k: must be a whole number of at least 1, got {k!r}")
    if managers_clean and k > len(managers_clean):
        raise ConfigError(
            f"{where('votes')} k: {k} votes per sentence but only {len(managers_clean)} managers"
        )
    rule = votes.get("rule", MAJORITY)
    if rule not in RULES:
        raise ConfigError(f"{where('votes')} rule: {rule!r}; expected one of {', '.join(RULES)}")
    validation = data.get("validation", {})
    validators = validation.get("validators", [])
    if not isinstance(validators, list) or not all(
        isinstance(v, str) and EMAIL_RE.match(v.strip()) for v in validators
    ):
        raise ConfigError(f"{where('validation')} validators: must be a list of e-mail addresses")
    validators_clean = tuple(dict.fromkeys(v.strip().lower() for v in validators))
    validation_on = _flag(validation, "enabled", False, where("validation"))
    rewards = (
        parse_policy(data["rewards"], str(path)) if isinstance(data.get("rewards"), dict) else None
    )
    if rewards is not None and rewards.fooled_bonus_verified_only and not validation_on:
        raise ConfigError(
            f"{where('rewards')} fooled_bonus_verified_only: needs validation; "
            "set enabled = true in [validation] (else no fooled bonus is ever paid)"
        )
    corpora = aids.get("reference_corpora", [])
    if not isinstance(corpora, list) or not all(isinstance(c, str) for c in corpora):
        raise ConfigError(f"{where('aids')} reference_corpora: must be a list of file paths")
    return CampaignConfig(
        path=path,
        name=name,
        database=database,
        managers=managers_clean,
        k=k,
        rule=rule,
        reference_corpora=tuple(_resolve(path, c) for c in corpora),
        copy_threshold=_fraction(aids, "copy_threshold", 0.7, where("aids")),
        duplicate_threshold=_fraction(aids, "duplicate_threshold", 0.8, where("aids")),
        rewards=rewards,
        off_topic_below=_fraction(
            aids, "off_topic_below", OFF_TOPIC_BELOW, where("aids"), allow_zero=True
        ),
        off_topic_without_words=_flag(aids, "off_topic_without_words", False, where("aids")),
        validation=validation_on,
        validators=validators_clean or managers_clean,
        quality=_quality(data.get("quality", {}), where("quality")),
    )


def _quality(table: Mapping[str, Any], where: str) -> QualityThresholds:
    low = table.get("min_sentences", QualityThresholds.min_sentences)
    if isinstance(low, bool) or not isinstance(low, int) or low < 1:
        raise ConfigError(
            f"{where} min_sentences: must be a whole number of at least 1, got {low!r}"
        )
    rates = {
        key: _fraction(table, key, 1.0, where, allow_zero=True)
        for key, _, _ in QualityThresholds.RATES
        if key in table
    }
    return QualityThresholds(min_sentences=low, **rates)


def _resolve(config_path: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else (config_path.parent / candidate).resolve()


def _flag(table: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where} {key}: must be true or false, got {value!r}")
    return value


def _fraction(
    table: Mapping[str, Any], key: str, default: float, where: str, allow_zero: bool = False
) -> float:
    value = table.get(key, default)
    low = "[0" if allow_zero else "(0"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not ((0 <= value if allow_zero else 0 < value) and value <= 1)
    ):
        raise ConfigError(f"{where} {key}: must be a number in {low}, 1], got {value!r}")
    return float(value)
