"""Submission outcomes as the ledger receives them, in short."""

from __future__ import annotations

from apeach_ls.rewards.model import SubmissionOutcome


def accepted(sid, writer, fooled=False, email=None):
    return SubmissionOutcome(sid, writer, email, "accepted", fooled)


def dropped(sid, writer):
    return SubmissionOutcome(sid, writer, None, "dropped", False)
