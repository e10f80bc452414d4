"""Writer quality and holds, pure logic and the ledger: figures per writer, thresholds, who is
held, which sentences wait, and a held sentence paid exactly once after the release; the
fooled bonus paid on verified fooling only; the config's [validation] and [quality]."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from apeach_ls.campaign_config import load_config
from apeach_ls.correction import Flag
from apeach_ls.database import open_database
from apeach_ls.errors import ConfigError
from apeach_ls.rewards.holds import add_holds, load_holds, release_holds
from apeach_ls.rewards.ledger import record_outcomes, writer_balances
from apeach_ls.rewards.model import SubmissionOutcome
from apeach_ls.rewards.policy import RewardPolicy, earnings_for
from apeach_ls.writer_quality import (
    QualityThresholds,
    SentenceRecord,
    WriterHold,
    held_reason,
    holds_to_add,
    last_releases,
    over_thresholds,
    sentence_records,
    writer_quality,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def record(sid, writer, minutes=0, outcome="accepted", reasons=(), **kw):
    return SentenceRecord(
        submission_id=sid,
        writer_id=writer,
        created_at=at(minutes),
        fooled=kw.pop("fooled", False),
        unverified=kw.pop("unverified", False),
        outcome=outcome,
        drop_reasons=reasons,
        **kw,
    )


RECORDS = [
    record(1, 7, fooled=True),
    record(2, 7, outcome="dropped", reasons=("copied",), copy_paste=True),
    record(3, 7, outcome="dropped", reasons=("copied", "off_topic")),
    record(4, 7, outcome="pending", near_duplicate=True, unverified=True),
    record(5, 8, fooled=True),
    record(6, 8, fooled=True),
]


def test_figures_per_writer_counted_by_hand():
    q = writer_quality(RECORDS)
    w7 = q[7]
    assert (w7.sentences, w7.fooled, w7.decided, w7.dropped) == (4, 1, 3, 2)
    assert dict(w7.drops_by_reason) == {"copied": 2, "off_topic": 1}
    assert (w7.near_duplicates, w7.copy_paste, w7.unverified) == (1, 1, 1)
    assert (w7.fooled_rate, w7.drop_rate, w7.copy_rate) == (0.25, 2 / 3, 0.25)
    assert (q[8].sentences, q[8].fooled_rate, q[8].drop_rate) == (2, 1.0, 0.0)


def test_records_from_corrected_submissions_tallies_and_aids():
    def sub(sid, writer, fooled=False, flags=()):
        corrected = SimpleNamespace(fooled=fooled, flags=frozenset(flags))
        return SimpleNamespace(
            submission_id=sid, writer_id=writer, created_at=at(sid), corrected=corrected
        )

    subs = [sub(1, 7, fooled=True), sub(2, 7, flags=[Flag.VERDICT_UNVERIFIED]), sub(3, None)]
    records = sentence_records(
        subs, {2: ("dropped", ("copied",))}, {1: {"near_duplicate"}, 2: {"copy_paste"}}
    )
    assert records == [
        SentenceRecord(1, 7, at(1), True, False, "pending", (), True, False),
        SentenceRecord(2, 7, at(2), False, True, "dropped", ("copied",), False, True),
    ]


def test_thresholds_need_enough_sentences_and_name_what_is_over():
    q = writer_quality(RECORDS)
    limits = QualityThresholds(min_sentences=3, max_drop_rate=0.5, max_fooled_rate=0.9)
    assert over_thresholds(q[7], limits) == ["drop rate 0.67 > 0.50"]
    assert over_thresholds(q[8], limits) == []  # fooled rate 1.0, but only 2 sentences
    assert over_thresholds(q[8], QualityThresholds(min_sentences=2, max_fooled_rate=0.9)) == [
        "fooled rate 1.00 > 0.90"
    ]
    assert not QualityThresholds().active and holds_to_add(q, QualityThresholds(), []) == {}
    assert holds_to_add(q, limits, []) == {7: "drop rate 0.67 > 0.50"}
    assert holds_to_add(q, limits, [WriterHold(7, T0, "x")]) == {}  # on hold already


def test_only_sentences_made_during_an_active_hold_wait():
    holds = [WriterHold(7, T0 + timedelta(minutes=10), "drop rate 0.67 > 0.50")]
    assert held_reason(7, at(9), holds) is None  # made before the hold
    assert "on hold since 2026-12-01T09:10:00+00:00" in held_reason(7, at(10), holds)
    assert held_reason(7, "", holds) is not None  # no readable time: held
    assert held_reason(8, at(20), holds) is None  # another writer
    released = [WriterHold(7, T0, "x", released_at=T0 + timedelta(minutes=30), released_by="a")]
    assert held_reason(7, at(20), released) is None


def test_after_a_release_figures_count_from_the_release():
    holds = [
        WriterHold(7, T0, "x", released_at=T0 + timedelta(minutes=5)),
        WriterHold(7, T0, "y", released_at=T0 + timedelta(minutes=2)),
    ]
    assert last_releases(holds) == {7: T0 + timedelta(minutes=5)}
    later = [*RECORDS, record(9, 7, minutes=6)]
    q = writer_quality(later, last_releases(holds))
    assert q[7].sentences == 1 and q[7].since == T0 + timedelta(minutes=5)


@pytest.fixture
def engine(ledger_url):
    engine = open_database(ledger_url)
    yield engine
    engine.dispose()


def test_holds_are_stored_once_and_released(engine):
    assert add_holds(engine, "c", {7: "drop rate"}, T0) == [WriterHold(7, T0, "drop rate")]
    assert add_holds(engine, "c", {7: "again", 8: "copy"}, T0 + timedelta(1)) == [
        WriterHold(8, T0 + timedelta(1), "copy")
    ]
    assert add_holds(engine, "other", {7: "elsewhere"}, T0) != []  # campaigns are apart
    assert [h.writer_id for h in load_holds(engine, "c") if h.active] == [7, 8]
    [released] = release_holds(engine, "c", 7, "admin@example.com", T0 + timedelta(2))
    assert (released.since, released.released_by) == (T0, "admin@example.com")
    assert release_holds(engine, "c", 7, "admin@example.com", T0 + timedelta(3)) == []
    stored = {h.writer_id: h for h in load_holds(engine, "c")}
    assert stored[7].released_at == T0 + timedelta(2) and stored[8].active


KRW = RewardPolicy(per_accepted=500, fooled_bonus=100)


def test_a_held_sentence_is_not_paid_until_released_then_paid_once(engine):
    holds = [WriterHold(7, T0, "drop rate")]
    made = {1: at(-5), 2: at(5)}  # 1 before the hold, 2 during it

    def outcomes(holds):
        return [
            SubmissionOutcome(sid, 7, None, "accepted", True, held=held_reason(7, made[sid], holds))
            for sid in (1, 2)
        ]

    report = record_outcomes(engine, outcomes(holds), KRW)
    assert (report.count("recorded"), report.amount("recorded")) == (2, 600)
    assert (report.count("held"), report.amount("held")) == (2, 600)
    assert "on hold since" in next(line.reason for line in report.lines if line.action == "held")
    assert record_outcomes(engine, outcomes(holds), KRW).count("recorded") == 0
    released = [WriterHold(7, T0, "drop rate", released_at=T0 + timedelta(1))]
    assert record_outcomes(engine, outcomes(released), KRW).amount("recorded") == 600
    again = record_outcomes(engine, outcomes(released), KRW)
    assert again.count("recorded") == 0 and again.count("unchanged") == 4
    assert writer_balances(engine)[0].earned == 1200


def test_fooled_bonus_on_verified_fooling_only():
    policy = RewardPolicy(per_accepted=500, fooled_bonus=100, fooled_bonus_verified_only=True)

    def kinds(verified, policy=policy):
        outcome = SubmissionOutcome(1, 7, None, "accepted", True, verified=verified)
        return [e.kind for e in earnings_for([outcome], policy)]

    assert kinds(True) == ["accepted", "fooled_bonus"]
    assert kinds(False) == kinds(None) == ["accepted"]
    assert kinds(None, KRW) == ["accepted", "fooled_bonus"]  # the default pays every fooling


def test_a_bonus_verified_later_is_recorded_then(engine):
    policy = RewardPolicy(per_accepted=500, fooled_bonus=100, fooled_bonus_verified_only=True)
    first = record_outcomes(engine, [SubmissionOutcome(1, 7, None, "accepted", True)], policy)
    assert first.amount("recorded") == 500
    later = record_outcomes(
        engine, [SubmissionOutcome(1, 7, None, "accepted", True, verified=True)], policy
    )
    assert [(line.kind, line.action) for line in later.lines] == [
        ("accepted", "unchanged"),
        ("fooled_bonus", "recorded"),
    ]


def write(tmp_path, text):
    path = tmp_path / "campaign.toml"
    path.write_text('[campaign]\nname = "c"\n[votes]\nmanagers = ["m@x.org"]\nk = 1\n' + text)
    return path


def test_config_validation_and_quality_sections(tmp_path):
    config = load_config(write(tmp_path, ""), env={})
    assert not config.validation and config.validators == ("m@x.org",)
    assert config.quality == QualityThresholds()
    config = load_config(
        write(
            tmp_path,
            '[validation]\nenabled = true\nvalidators = ["V@x.org", "w@x.org"]\n'
            "[quality]\nmin_sentences = 3\nmax_drop_rate = 0.5\nmax_copy_rate = 0.2\n"
            "[rewards]\nper_accepted = 500\nfooled_bonus = 100\nfooled_bonus_verified_only = true\n",
        ),
        env={},
    )
    assert config.validation and config.validators == ("v@x.org", "w@x.org")
    assert config.quality == QualityThresholds(3, max_drop_rate=0.5, max_copy_rate=0.2)
    assert config.require_rewards().fooled_bonus_verified_only


@pytest.mark.parametrize(
    "text,message",
    [
        ("[validation]\nenabled = 1\n", "[validation] enabled: must be true or false, got 1"),
        ('[validation]\nvalidators = ["nobody"]\n', "[validation] validators: must be a list"),
        ("[validation]\nvalidator = []\n", "[validation] validator: unknown key"),
        ("[quality]\nmax_drop_rate = 2\n", "[quality] max_drop_rate: must be a number in [0, 1]"),
        ("[quality]\nmin_sentences = 0\n", "[quality] min_sentences: must be a whole number"),
        ("[quality]\nmax_drops = 0.5\n", "[quality] max_drops: unknown key"),
        (
            "[rewards]\nper_accepted = 5\nfooled_bonus_verified_only = true\n",
            "[rewards] fooled_bonus_verified_only: needs validation",
        ),
    ],
)
def test_bad_validation_and_quality_settings_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, text), env={})


def test_a_sentence_rewritten_during_a_hold_waits():
    holds = [WriterHold(7, T0 + timedelta(minutes=10), "drop rate 0.67 > 0.50")]
    assert held_reason(7, at(9), holds, updated_at=at(9)) is None  # never changed
    assert held_reason(7, at(9), holds, updated_at=at(11)) is not None  # rewritten while held
    assert held_reason(7, at(9), holds, updated_at="") is None  # change time unknown
