"""Whose answer counts: the one rule the managers' votes and the validation answers share.

Both are rounds of people answering about a writer's sentence, each person in their own Label
Studio project (docs/method.md §4). Label Studio Community lets any member create or change an
annotation in another's name or project and records it nowhere else, so an answer counts only
when the person it is attributed to is on the campaign's list, made it and last changed it
themselves (``completed_by`` and ``updated_by``), in their own project, and did not write the
sentence (docs/label-studio.md §7). Pure logic, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, Literal

Refusal = Literal["not_listed", "changed_by_other", "not_own_project", "own_sentence"]
NOT_LISTED: Final[Refusal] = "not_listed"  # not on the campaign's list of managers/validators
CHANGED_BY_OTHER: Final[Refusal] = "changed_by_other"  # made or changed by another account
NOT_OWN_PROJECT: Final[Refusal] = "not_own_project"  # in another person's project
OWN_SENTENCE: Final[Refusal] = "own_sentence"  # the person wrote the sentence


def email(address: str | None) -> str:
    """An account's e-mail as compared: trimmed, lower case, empty when unknown."""
    return (address or "").strip().lower()


def refusal(
    person: str | None,
    cast_by: str | None,
    project_owner: str | None,
    listed: Collection[str],
    writer: str,
) -> Refusal | None:
    """Why an answer attributed to ``person`` does not count, or None when it may.

    ``listed`` and ``writer`` are compared e-mails (:func:`email`); ``cast_by`` is the account
    that made and last changed the answer (empty when they differ or none is recorded) and
    ``project_owner`` the person whose project holds it."""
    who = email(person)
    if who not in listed:
        return NOT_LISTED
    if email(cast_by) != who:
        return CHANGED_BY_OTHER
    if email(project_owner) != who:
        return NOT_OWN_PROJECT
    if writer and who == writer:
        return OWN_SENTENCE
    return None
