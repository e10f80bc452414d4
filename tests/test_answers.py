"""The one rule on whose answer counts, shared by the managers' votes and the validation."""

from __future__ import annotations

import pytest

from apeach_ls.answers import (
    CHANGED_BY_OTHER,
    NOT_LISTED,
    NOT_OWN_PROJECT,
    OWN_SENTENCE,
    email,
    refusal,
)

LISTED = {"ana@example.org", "bo@example.org"}


@pytest.mark.parametrize(
    ("person", "cast_by", "project_owner", "writer", "expected"),
    [
        ("Ana@Example.org ", "ana@example.org", "ana@example.org", "w@example.org", None),
        ("eve@example.org", "eve@example.org", "eve@example.org", "", NOT_LISTED),
        (None, None, None, "", NOT_LISTED),
        ("ana@example.org", "bo@example.org", "ana@example.org", "", CHANGED_BY_OTHER),
        ("ana@example.org", "", "ana@example.org", "", CHANGED_BY_OTHER),  # none recorded
        ("ana@example.org", "ana@example.org", "bo@example.org", "", NOT_OWN_PROJECT),
        ("ana@example.org", "ana@example.org", "ana@example.org", "ana@example.org", OWN_SENTENCE),
        # the first failed condition names the reason: listed, then made by, then project
        ("eve@example.org", "ana@example.org", "bo@example.org", "eve@example.org", NOT_LISTED),
        (
            "bo@example.org",
            "ana@example.org",
            "ana@example.org",
            "bo@example.org",
            CHANGED_BY_OTHER,
        ),
    ],
)
def test_an_answer_counts_only_from_a_listed_person_in_their_own_project_not_on_their_own_sentence(
    person, cast_by, project_owner, writer, expected
):
    assert refusal(person, cast_by, project_owner, LISTED, writer) == expected


def test_emails_compare_trimmed_and_in_lower_case():
    assert email(" Bo@Example.ORG\n") == "bo@example.org" and email(None) == ""


def test_votes_and_validation_name_every_refusal_in_their_own_words():
    from importlib import import_module

    from apeach_ls.validation import model as validation
    from apeach_ls.votes import model as votes

    # (the packages export functions named tally, so the modules are imported by name)
    votes_tally = import_module("apeach_ls.votes.tally")
    validation_tally = import_module("apeach_ls.validation.tally")

    reasons = {NOT_LISTED, CHANGED_BY_OTHER, NOT_OWN_PROJECT, OWN_SENTENCE}
    assert set(votes_tally._NOT_COUNTED) == reasons == set(validation_tally._NOT_COUNTED)
    assert set(votes_tally._NOT_COUNTED.values()) <= set(votes.IGNORED)
    assert set(validation_tally._NOT_COUNTED.values()) <= set(validation.IGNORED)
    assert votes_tally._NOT_COUNTED[NOT_LISTED] == votes.NOT_A_MANAGER
    assert validation_tally._NOT_COUNTED[NOT_LISTED] == validation.NOT_A_VALIDATOR
