"""A campaign's reward policy (the ``[rewards]`` section of its TOML config) and the pure
arithmetic that applies it.

How caps and the budget work (``apply_limits``): candidates are taken in submission-id
order; an entry that would bring its writer's ledger total above ``per_writer_cap``, or the
campaign's ledger total above ``campaign_budget``, is HELD: not recorded at all, never cut
to a partial amount. A held entry is considered again on every later run, so raising the
cap or the budget, or a reversal that frees room, lets it in then. Every recorded amount
is therefore exactly ``per_accepted`` or ``fooled_bonus``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..votes.model import ACCEPTED
from .model import (
    KIND_ACCEPTED,
    KIND_FOOLED_BONUS,
    MAX_AMOUNT,
    MINOR_UNIT_EXPONENTS,
    Earning,
    SubmissionOutcome,
    format_money,
)

SECTION = "rewards"
KNOWN_KEYS = (
    "per_accepted",
    "currency",
    "fooled_bonus",
    "per_writer_cap",
    "campaign_budget",
    "fooled_bonus_verified_only",
)


@dataclass(frozen=True)
class RewardPolicy:
    per_accepted: int  # minor units paid for each accepted sentence, > 0
    currency: str = "KRW"  # ISO 4217 code, one of MINOR_UNIT_EXPONENTS
    fooled_bonus: int = 0  # extra minor units when the accepted sentence fooled the model
    per_writer_cap: int | None = None  # most one writer can earn in this campaign
    campaign_budget: int | None = None  # most the whole campaign can pay out
    # pay the fooled bonus only once validation verified the fooling (needs [validation] on)
    fooled_bonus_verified_only: bool = False


def load_policy(path: str | Path) -> RewardPolicy:
    """Read ``[rewards]`` from a TOML file; errors name the file and the key."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if SECTION not in data or not isinstance(data[SECTION], dict):
        raise ConfigError(f"{path}: no [{SECTION}] section; add one with at least per_accepted")
    return parse_policy(data[SECTION], str(path))


def parse_policy(section: Mapping[str, Any], source: str = "config") -> RewardPolicy:
    """Validate the keys of a ``[rewards]`` table."""
    where = f"{source}: [{SECTION}]"
    unknown = sorted(set(section) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(f"{where} {unknown[0]}: unknown key; known keys: {', '.join(KNOWN_KEYS)}")
    currency = section.get("currency", "KRW")
    if not isinstance(currency, str) or currency.upper() not in MINOR_UNIT_EXPONENTS:
        raise ConfigError(
            f"{where} currency: {currency!r} is not supported; "
            f"use one of {', '.join(sorted(MINOR_UNIT_EXPONENTS))}"
        )
    currency = currency.upper()
    if "per_accepted" not in section:
        raise ConfigError(
            f"{where} per_accepted: missing; set the amount per accepted sentence "
            f"in minor units of {currency}"
        )
    per_accepted = _minor_units(section["per_accepted"], "per_accepted", where, currency, minimum=1)
    fooled_bonus = _minor_units(
        section.get("fooled_bonus", 0), "fooled_bonus", where, currency, minimum=0
    )
    verified_only = section.get("fooled_bonus_verified_only", False)
    if not isinstance(verified_only, bool):
        raise ConfigError(
            f"{where} fooled_bonus_verified_only: must be true or false, got {verified_only!r}"
        )
    cap = section.get("per_writer_cap")
    budget = section.get("campaign_budget")
    return RewardPolicy(
        per_accepted=per_accepted,
        currency=currency,
        fooled_bonus=fooled_bonus,
        per_writer_cap=None
        if cap is None
        else _minor_units(cap, "per_writer_cap", where, currency, minimum=1),
        campaign_budget=None
        if budget is None
        else _minor_units(budget, "campaign_budget", where, currency, minimum=1),
        fooled_bonus_verified_only=verified_only,
    )


def _minor_units(value: Any, key: str, where: str, currency: str, minimum: int) -> int:
    exponent = MINOR_UNIT_EXPONENTS[currency]
    example = "1500 means 1500 KRW" if exponent == 0 else f"150 means 1.50 {currency}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            f"{where} {key}: {value!r} is not a whole number; write minor units of "
            f"{currency} as an integer ({example})"
        )
    if value < minimum:
        bound = "greater than 0" if minimum == 1 else "0 or more"
        raise ConfigError(f"{where} {key}: {value} must be {bound}")
    if value > MAX_AMOUNT:
        raise ConfigError(
            f"{where} {key}: {value} is more than the ledger takes ({MAX_AMOUNT} minor units of "
            f"{currency}, {format_money(MAX_AMOUNT, currency)}); amounts are minor units ({example})"
        )
    return value


def earnings_for(outcomes: Iterable[SubmissionOutcome], policy: RewardPolicy) -> list[Earning]:
    """What each accepted submission earns under the policy, before caps and budget,
    in submission-id order. Dropped and pending submissions earn nothing. With
    ``fooled_bonus_verified_only`` the fooled bonus waits until validation verified the
    fooling (``outcome.verified`` True); validated wrong, it is never earned."""
    earnings: list[Earning] = []
    for outcome in sorted(outcomes, key=lambda o: o.submission_id):
        if outcome.outcome != ACCEPTED:
            continue
        earnings.append(
            Earning(
                outcome.submission_id,
                outcome.writer_id,
                outcome.writer_email,
                KIND_ACCEPTED,
                policy.per_accepted,
                "accepted sentence",
            )
        )
        verified = outcome.verified is True or not policy.fooled_bonus_verified_only
        if outcome.fooled and verified and policy.fooled_bonus > 0:
            earnings.append(
                Earning(
                    outcome.submission_id,
                    outcome.writer_id,
                    outcome.writer_email,
                    KIND_FOOLED_BONUS,
                    policy.fooled_bonus,
                    "fooled the pseudo-classifier"
                    + (", verified" if policy.fooled_bonus_verified_only else ""),
                )
            )
    return earnings


@dataclass(frozen=True)
class HeldEarning:
    earning: Earning
    reason: str


def apply_limits(
    candidates: Iterable[Earning],
    policy: RewardPolicy,
    writer_totals: Mapping[int, int],
    campaign_total: int,
) -> tuple[list[Earning], list[HeldEarning]]:
    """Split candidates into those that fit the cap and budget and those held (see module doc).

    ``writer_totals`` and ``campaign_total`` are the ledger's current net sums (adjustments
    included). Pure: the inputs are not modified."""
    totals = dict(writer_totals)
    granted: list[Earning] = []
    held: list[HeldEarning] = []
    for earning in candidates:
        writer_total = totals.get(earning.writer_id, 0)
        cap, budget, money = policy.per_writer_cap, policy.campaign_budget, policy.currency
        if cap is not None and writer_total + earning.amount > cap:
            held.append(
                HeldEarning(
                    earning,
                    f"per_writer_cap {format_money(cap, money)} reached "
                    f"(writer has {format_money(writer_total, money)})",
                )
            )
        elif budget is not None and campaign_total + earning.amount > budget:
            held.append(
                HeldEarning(
                    earning,
                    f"campaign_budget {format_money(budget, money)} reached "
                    f"(ledger has {format_money(campaign_total, money)})",
                )
            )
        else:
            granted.append(earning)
            totals[earning.writer_id] = writer_total + earning.amount
            campaign_total += earning.amount
    return granted, held
