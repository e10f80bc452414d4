"""The reward policy: TOML validation that names the key, and the pure arithmetic."""

from __future__ import annotations

import pytest

from apeach_ls.errors import ConfigError
from apeach_ls.rewards.model import SubmissionOutcome, format_major, format_money
from apeach_ls.rewards.policy import (
    RewardPolicy,
    apply_limits,
    earnings_for,
    load_policy,
    parse_policy,
)


def write(tmp_path, text: str):
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_the_rewards_section(tmp_path):
    path = write(
        tmp_path,
        "[campaign]\nname = 'x'\n\n[rewards]\nper_accepted = 150\ncurrency = 'usd'\n"
        "fooled_bonus = 50\nper_writer_cap = 10_000\ncampaign_budget = 500_000\n",
    )
    assert load_policy(path) == RewardPolicy(
        per_accepted=150,
        currency="USD",
        fooled_bonus=50,
        per_writer_cap=10_000,
        campaign_budget=500_000,
    )


def test_defaults():
    assert parse_policy({"per_accepted": 1500}) == RewardPolicy(1500, "KRW", 0, None, None)


@pytest.mark.parametrize(
    "section, message",
    [
        (
            {},
            "c.toml: [rewards] per_accepted: missing; set the amount per accepted sentence in minor units of KRW",
        ),
        ({"per_accepted": 0}, "c.toml: [rewards] per_accepted: 0 must be greater than 0"),
        ({"per_accepted": -5}, "c.toml: [rewards] per_accepted: -5 must be greater than 0"),
        (
            {"per_accepted": 1.5, "currency": "USD"},
            "c.toml: [rewards] per_accepted: 1.5 is not a whole number; write minor units of USD as an integer "
            "(150 means 1.50 USD)",
        ),
        (
            {"per_accepted": "1500"},
            "c.toml: [rewards] per_accepted: '1500' is not a whole number; write minor units of KRW as an integer "
            "(1500 means 1500 KRW)",
        ),
        (
            {"per_accepted": True},
            "c.toml: [rewards] per_accepted: True is not a whole number; write minor units of KRW as an integer "
            "(1500 means 1500 KRW)",
        ),
        (
            {"per_accepted": 100, "currency": "XYZ"},
            "c.toml: [rewards] currency: 'XYZ' is not supported; use one of EUR, GBP, JPY, KRW, USD",
        ),
        (
            {"per_accepted": 100, "currency": 840},
            "c.toml: [rewards] currency: 840 is not supported; use one of EUR, GBP, JPY, KRW, USD",
        ),
        (
            {"per_accepted": 100, "fooled_bonus": -1},
            "c.toml: [rewards] fooled_bonus: -1 must be 0 or more",
        ),
        (
            {"per_accepted": 100, "per_writer_cap": 0},
            "c.toml: [rewards] per_writer_cap: 0 must be greater than 0",
        ),
        (
            {"per_accepted": 100, "campaign_budget": 2.5},
            "c.toml: [rewards] campaign_budget: 2.5 is not a whole number; write minor units of KRW as an integer "
            "(1500 means 1500 KRW)",
        ),
        (
            {"per_accepted": 100, "per_acepted": 1},
            "c.toml: [rewards] per_acepted: unknown key; known keys: per_accepted, currency, fooled_bonus, "
            "per_writer_cap, campaign_budget, fooled_bonus_verified_only",
        ),
    ],
)
def test_bad_values_name_the_key(section, message):
    with pytest.raises(ConfigError) as caught:
        parse_policy(section, "c.toml")
    assert str(caught.value) == message


def test_file_errors(tmp_path):
    with pytest.raises(
        ConfigError, match=r"no \[rewards\] section; add one with at least per_accepted"
    ):
        load_policy(write(tmp_path, "[other]\nx = 1\n"))
    with pytest.raises(ConfigError, match=r"campaign.toml: not valid TOML"):
        load_policy(write(tmp_path, "[rewards\n"))
    with pytest.raises(
        ConfigError, match=r"missing.toml: cannot read the config file: No such file"
    ):
        load_policy(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    "amount, currency, text",
    [
        (150, "USD", "1.50"),
        (1500, "KRW", "1500"),
        (5, "GBP", "0.05"),
        (0, "EUR", "0.00"),
        (100_000_000_001, "USD", "1000000000.01"),
        (-150, "USD", "-1.50"),
        (7, "JPY", "7"),
    ],
)
def test_format_major_is_exact(amount, currency, text):
    assert format_major(amount, currency) == text


def test_format_refuses_floats():
    with pytest.raises(TypeError):
        format_major(1.5, "USD")  # type: ignore[arg-type]
    assert format_money(1500, "KRW") == "1500 KRW"


def outcome(sid, writer, result="accepted", fooled=False):
    return SubmissionOutcome(sid, writer, None, result, fooled)


def test_earnings_for_applies_the_policy():
    policy = RewardPolicy(per_accepted=1000, fooled_bonus=300)
    earned = earnings_for(
        [
            outcome(3, 1, fooled=True),
            outcome(1, 1),
            outcome(2, 2, "dropped"),
            outcome(4, 2, "pending", fooled=True),
        ],
        policy,
    )
    assert [(e.submission_id, e.kind, e.amount) for e in earned] == [
        (1, "accepted", 1000),
        (3, "accepted", 1000),
        (3, "fooled_bonus", 300),
    ]
    no_bonus = earnings_for([outcome(3, 1, fooled=True)], RewardPolicy(per_accepted=1000))
    assert [e.kind for e in no_bonus] == ["accepted"]


def test_apply_limits_holds_whole_entries_in_submission_order():
    policy = RewardPolicy(per_accepted=1000, per_writer_cap=3000, campaign_budget=4500)
    candidates = earnings_for(
        [outcome(i, 1) for i in range(1, 5)] + [outcome(i, 2) for i in range(5, 8)], policy
    )
    granted, held = apply_limits(candidates, policy, {1: 0}, campaign_total=0)
    assert [(e.submission_id, e.writer_id) for e in granted] == [(1, 1), (2, 1), (3, 1), (5, 2)]
    assert [(h.earning.submission_id, h.reason) for h in held] == [
        (4, "per_writer_cap 3000 KRW reached (writer has 3000 KRW)"),
        (6, "campaign_budget 4500 KRW reached (ledger has 4000 KRW)"),
        (7, "campaign_budget 4500 KRW reached (ledger has 4000 KRW)"),
    ]


def test_apply_limits_counts_what_the_ledger_has():
    policy = RewardPolicy(per_accepted=100, currency="USD", per_writer_cap=250)
    granted, held = apply_limits(
        earnings_for([outcome(9, 1)], policy), policy, {1: 200}, campaign_total=200
    )
    assert (
        granted == [] and held[0].reason == "per_writer_cap 2.50 USD reached (writer has 2.00 USD)"
    )
