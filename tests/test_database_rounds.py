"""Rounds and writer holds in the campaign database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, update

from apeach_ls.database import open_database
from apeach_ls.database.rounds import (
    RoundConflict,
    StoredRound,
    WriterHold,
    add_hold,
    add_round,
    list_holds,
    list_rounds,
    pin_model_version,
    release_holds,
)
from apeach_ls.database.schema import rounds
from apeach_ls.errors import ApeachError

SEOUL = timezone(timedelta(hours=9))
T0 = datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=SEOUL)


@pytest.fixture
def engine(ledger_url):
    engine = open_database(ledger_url)
    yield engine
    engine.dispose()


def test_rounds_come_back_in_order_of_start_as_times_in_utc(engine):
    second = add_round(engine, "apeach", "round-2", T0 + timedelta(days=3), ["ngram-2", "ngram-3"])
    first = add_round(engine, "apeach", "round-1", T0)
    add_round(engine, "other", "round-1", T0 - timedelta(days=9))
    listed = list_rounds(engine, "apeach")
    assert listed == [first, second]
    assert listed[0] == StoredRound("apeach", "round-1", T0, ())
    assert listed[0].started_at.tzinfo == UTC and listed[0].started_at.hour == 0
    assert listed[0].started_at.microsecond == 123456
    assert listed[1].pinned_model_versions == ("ngram-2", "ngram-3")
    assert list_rounds(engine, "nobody") == []


def test_adding_a_round_again_is_safe_and_a_different_one_under_its_name_is_refused(engine):
    stored = add_round(engine, "apeach", "round-1", T0, ["v1"])
    assert add_round(engine, "apeach", "round-1", T0.astimezone(UTC), ["v1"]) == stored
    with pytest.raises(RoundConflict, match=r"round 'round-1' of campaign 'apeach' already"):
        add_round(engine, "apeach", "round-1", T0 + timedelta(seconds=1), ["v1"])
    with pytest.raises(RoundConflict, match=r"\['v1'\]; not .* with \['v2'\]"):
        add_round(engine, "apeach", "round-1", T0, ["v2"])
    assert list_rounds(engine, "apeach") == [stored]


def test_a_round_without_versions_stored_by_hand_gets_the_empty_list(engine):
    with engine.begin() as conn:
        conn.execute(insert(rounds).values(campaign="apeach", name="r", started_at=T0))
    assert list_rounds(engine, "apeach")[0].pinned_model_versions == ()


def test_unreadable_pinned_versions_name_the_round(engine):
    add_round(engine, "apeach", "r", T0)
    with engine.begin() as conn:
        conn.execute(update(rounds).values(pinned_model_versions='{"v": 1}'))
    with pytest.raises(ApeachError, match=r"round 'r' of campaign 'apeach': pinned_model_versions"):
        list_rounds(engine, "apeach")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda e: add_round(e, "apeach", "r", datetime(2026, 12, 1)), "started_at must be"),
        (lambda e: add_round(e, "apeach", " ", T0), "round name must be"),
        (lambda e: add_round(e, "apeach", "r", T0, [""]), "model version must be"),
        (lambda e: add_hold(e, "apeach", 7, datetime(2026, 12, 1), "x"), "since must be"),
        (lambda e: add_hold(e, "apeach", "7", T0, "x"), "writer_id must be"),
        (lambda e: add_hold(e, "apeach", 7, T0, ""), "hold reason must be"),
        (lambda e: release_holds(e, "apeach", 7, "me", datetime(2026, 12, 1)), "released_at"),
    ],
)
def test_bad_values_are_refused_before_anything_is_stored(engine, call, message):
    with pytest.raises(ValueError, match=message):
        call(engine)
    assert list_rounds(engine, "apeach") == [] and list_holds(engine, "apeach") == []


def test_holds_are_added_once_listed_and_released_keeping_who_and_when(engine):
    first = add_hold(engine, "apeach", 7, T0, "copied sentences")
    assert add_hold(engine, "apeach", 7, T0, "copied sentences") == first
    with pytest.raises(RoundConflict, match=r"writer 7 .* held since .* 'copied sentences'"):
        add_hold(engine, "apeach", 7, T0, "another reason")
    later = add_hold(engine, "apeach", 7, T0 + timedelta(hours=1), "second look")
    other = add_hold(engine, "apeach", 8, T0, "payee unknown")
    add_hold(engine, "other", 7, T0, "elsewhere")
    assert first == WriterHold("apeach", 7, T0, "copied sentences") and first.active
    assert list_holds(engine, "apeach") == [first, later, other]
    assert list_holds(engine, "apeach", writer_id=7) == [first, later]

    at = T0 + timedelta(days=1)
    released = release_holds(engine, "apeach", 7, "manager@example.org", at)
    assert [(h.since, h.released_at, h.released_by, h.active) for h in released] == [
        (T0, at, "manager@example.org", False),
        (later.since, at, "manager@example.org", False),
    ]
    assert release_holds(engine, "apeach", 7, "manager@example.org", at) == []  # again: safe
    assert list_holds(engine, "apeach", active_only=True) == [other]
    assert list_holds(engine, "apeach", writer_id=7) == released  # kept, never deleted
    assert list_holds(engine, "other", active_only=True)[0].writer_id == 7


def test_pinning_a_model_version_adds_it_once_to_a_stored_round(engine):
    add_round(engine, "apeach", "round-2", T0, ["ngram-2"])
    pinned = pin_model_version(engine, "apeach", "round-2", "ngram-3")
    assert pinned == StoredRound("apeach", "round-2", T0, ("ngram-2", "ngram-3"))
    assert pin_model_version(engine, "apeach", "round-2", "ngram-3") == pinned
    assert list_rounds(engine, "apeach") == [pinned]
    with pytest.raises(LookupError, match="campaign 'apeach' has no round 'round-9'"):
        pin_model_version(engine, "apeach", "round-9", "ngram-3")
