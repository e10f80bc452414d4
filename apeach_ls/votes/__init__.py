"""The managers' vote: k managers keep or drop each writer's sentence (never judging hate).

``config`` finds the vote config's tags, ``parse`` reads one vote annotation, ``tally``
decides accepted / dropped / pending, ``agreement`` measures how much managers agree.
Pure logic, no I/O.
"""

from __future__ import annotations

from .agreement import (
    AgreementScores,
    Coefficient,
    ManagerAgreement,
    counted_agreement,
    fleiss_kappa,
    krippendorff_alpha,
    manager_agreement,
)
from .config import DEFAULT_VOTE_TAGS, VoteTags, parse_vote_config
from .model import (
    ACCEPTED,
    ANY_DROP,
    DECIDED,
    DECISIONS,
    DEFAULT_K,
    DROP,
    DROPPED,
    IGNORED,
    KEEP,
    MAJORITY,
    OUTCOMES,
    PENDING,
    REASONS,
    RULES,
    IgnoredVote,
    ManagerVote,
    TallyResult,
)
from .parse import MalformedVote, ParsedVote, parse_vote_result
from .tally import tally

__all__ = [
    "ACCEPTED",
    "ANY_DROP",
    "DECIDED",
    "DECISIONS",
    "DEFAULT_K",
    "DROP",
    "DROPPED",
    "IGNORED",
    "KEEP",
    "MAJORITY",
    "OUTCOMES",
    "PENDING",
    "REASONS",
    "RULES",
    "AgreementScores",
    "Coefficient",
    "DEFAULT_VOTE_TAGS",
    "IgnoredVote",
    "MalformedVote",
    "ManagerAgreement",
    "ManagerVote",
    "ParsedVote",
    "TallyResult",
    "VoteTags",
    "counted_agreement",
    "fleiss_kappa",
    "krippendorff_alpha",
    "manager_agreement",
    "parse_vote_config",
    "parse_vote_result",
    "tally",
]
