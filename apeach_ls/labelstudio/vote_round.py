"""The managers' vote project in Label Studio: one vote task per writer's submission.

Vote tasks carry the sentence, its prompt and the aids' hint text, never the writer's
label, the verdict or who wrote it. Each task's ``submission_id`` (the generation
annotation id) makes ``votes create`` incremental: a run lists what exists and imports only
what is missing, in whole batches, so a run killed at any point and run again ends with
exactly one vote task per submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from label_studio_sdk import LabelStudio

import label_config

from ..aids import Aids
from ..crashpoints import crash_point
from ..votes.config import VoteTags, parse_vote_config
from ..votes.model import ManagerVote, TallyResult
from ..votes.parse import MalformedVote, parse_vote_result
from ..votes.tally import tally
from .campaign import Step, ensure_project, marker
from .connection import describe_api_error
from .submissions import Submission, annotator_id, export_tasks
from .tasks import import_in_batches, task_data_values

GUIDE_FOR_MANAGERS = (
    "<h3>관리자 투표 안내</h3><p>문장을 <b>제외</b>하는 경우는 세 가지뿐입니다: 웹에서 복사한 문장, "
    "공인이 아닌 특정 개인을 언급한 문장, 주제와 무관한 문장. 혐오인지 아닌지는 판단하지 않습니다. "
    "맞춤법 오류는 괜찮습니다. 자동 점검 참고는 힌트일 뿐 결정이 아닙니다.</p>"
)


def vote_options(campaign: str, k: int) -> dict[str, Any]:
    return {
        "title": f"{campaign} · APEACH manager vote",
        "description": f"k={k} managers keep or drop each sentence (drop-only; never hate-or-not). "
                       f"{marker(campaign, 'vote')}",
        "label_config": label_config.load("vote"),
        "maximum_annotations": k,
        "show_collab_predictions": False,
        "evaluate_predictions_automatically": False,
        "show_skip_button": True,
        "show_instruction": True,
        "expert_instruction": GUIDE_FOR_MANAGERS,
    }


def ensure_vote_project(client: LabelStudio, campaign: str, k: int) -> tuple[int, list[Step]]:
    steps: list[Step] = []
    return ensure_project(client, campaign, "vote", vote_options(campaign, k), steps), steps


def vote_task(submission: Submission, aids: Aids | None) -> dict[str, Any]:
    return {"data": {
        "submission_id": submission.annotation_id,
        "prompt_id": submission.prompt.get("prompt_id", ""),
        "topic": submission.prompt.get("topic", ""),
        "guideline": submission.prompt.get("guideline", ""),
        "text": submission.corrected.text,
        "aids": aids.summary_ko() if aids is not None else "",
        "aid_flags": sorted(aids.flags()) if aids is not None else [],
    }}


@dataclass(frozen=True)
class VoteTasksReport:
    added: int
    already_there: int


def add_vote_tasks(client: LabelStudio, project_id: int, submissions: Sequence[Submission],
                   aids: Mapping[int, Aids], batch_size: int = 1000,
                   progress: Callable[[int], None] = lambda n: None) -> VoteTasksReport:
    have = {int(v) for v in task_data_values(client, project_id, "submission_id", "vote tasks")}
    todo = [s for s in submissions if s.annotation_id not in have]
    import_in_batches(client, project_id, [vote_task(s, aids.get(s.annotation_id)) for s in todo], batch_size,
                      "vote tasks", progress, after_batch=lambda: crash_point("vote-batch-imported"))
    return VoteTasksReport(added=len(todo), already_there=len(submissions) - len(todo))


def user_emails(client: LabelStudio) -> dict[int, str]:
    try:
        return {int(u.id): (u.email or "").strip().lower() for u in client.users.list()}
    except Exception as exc:
        raise describe_api_error(exc, "listing users") from exc


def _user_id(user: Any) -> int | None:
    """A user id from an export's ``updated_by`` (an id, a user object or null)."""
    return user if isinstance(user, int) else (user or {}).get("id")


@dataclass(frozen=True)
class VoteReadout:
    votes: list[ManagerVote]
    malformed: list[str]  # "annotation N: reason", for the report


def read_votes(client: LabelStudio, project_id: int, emails: Mapping[int, str]) -> VoteReadout:
    """Every vote annotation of the vote project (cancelled ones marked), from one export.

    Each vote carries its voter (``completed_by``) and the account that created or last
    changed it (``updated_by``, which Label Studio sets from the request's token)."""
    try:
        config = client.projects.get(id=project_id).label_config
    except Exception as exc:
        raise describe_api_error(exc, f"reading vote project {project_id}") from exc
    tags: VoteTags = parse_vote_config(config)
    votes, malformed = [], []
    for task in export_tasks(client, project_id):
        submission_id = (task.get("data") or {}).get("submission_id")
        if submission_id is None:
            continue
        for annotation in task.get("annotations") or []:
            voter_id, author_id = annotator_id(annotation), _user_id(annotation.get("updated_by"))
            common = dict(submission_id=int(submission_id), manager=emails.get(voter_id, f"user:{voter_id}"),
                          cast_by=None if author_id is None else emails.get(author_id, f"user:{author_id}"),
                          vote_id=int(annotation["id"]), updated_at=str(annotation.get("updated_at") or ""))
            if annotation.get("was_cancelled"):
                votes.append(ManagerVote(decision="keep", reasons=frozenset(), note="", cancelled=True, **common))
                continue
            try:
                parsed = parse_vote_result(annotation.get("result") or [], tags)
            except MalformedVote as exc:
                malformed.append(f"annotation {annotation['id']}: {exc}")
                continue
            votes.append(ManagerVote(decision=parsed.decision, reasons=parsed.reasons, note=parsed.note, **common))
    return VoteReadout(votes, malformed)


def tally_vote_project(client: LabelStudio, project_id: int, submissions: Sequence[Submission],
                       emails: Mapping[int, str], managers: Iterable[str], k: int,
                       rule: str) -> tuple[dict[int, TallyResult], VoteReadout]:
    """Read the vote project and tally every submission (a writer's own vote is not counted)."""
    readout = read_votes(client, project_id, emails)
    writer_of = {s.annotation_id: emails.get(s.writer_id or -1) for s in submissions}
    results = tally(readout.votes, [s.annotation_id for s in submissions], set(managers), writer_of,
                    k, rule)  # type: ignore[arg-type]
    return results, readout


def missing_managers(managers: Iterable[str], emails: Mapping[int, str]) -> list[str]:
    known = set(emails.values())
    return [m for m in managers if m not in known]


def invite_url(client: LabelStudio, base_url: str) -> str:
    try:
        link = client.organizations.invites.get_invite_link()
    except Exception as exc:
        raise describe_api_error(exc, "getting the organization's invite link") from exc
    return base_url.rstrip("/") + str(link.invite_url)
