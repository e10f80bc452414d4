"""The managers' vote in Label Studio: one vote project per manager, and in each one vote
task per writer's submission.

Vote tasks carry the sentence, its prompt and the aids' hint text, never the writer's
label, the verdict or who wrote it. Each task's ``submission_id`` (the generation
annotation id) and ``sentence_version`` make ``votes create`` incremental: a run lists what
each manager's project holds and imports only what is missing, in whole batches, so a run
killed at any point and run again ends with exactly one vote task per version of each
submission in every manager's project.

**A vote is about the sentence its task showed.** A writer can rewrite their own
submission (text, intent or label) at any time, also after the managers accepted it. Each
vote task carries ``sentence_version``: an HMAC, with the verdict secret, over the
submission id, its text, the writer's intent and the label (keyed, so that it does not
reveal the label the task hides). The tally counts a vote only while the sentence is still
the version its task showed (``sentence_changed`` otherwise, see ``votes/tally.py``); the
stored tally remembers the version it is about, and payouts and the release take its
outcome only while the sentence is still that version. ``votes create`` run again adds a
task for the new version (once per version); the task of the old version stays, with its
votes, for the record, and votes cast on it later do not count either. A vote task made
before tasks carried a version binds its votes to the text it shows only.

**Why one project per manager.** Label Studio Community has no roles: every member can
open every project and task, and read, update and delete every annotation. In one shared
vote project a manager who opened a task from the Data Manager saw the others' votes,
with an "Update" button. Now each manager votes in a project of their own (its
description carries ``[apeach-ls campaign=C role=vote manager=E]``;
``maximum_annotations=1``, so the labeling stream hands each task out once), and the
tally counts from manager M's project only M's own votes: recorded for M
(``completed_by``), and neither created in M's name nor changed since by another
account. Label Studio records the account that created or last changed an annotation
(``updated_by``) from the request's token. Measured on 1.23.2 (the JSON export and
``annotations.get`` agree): a manager's own vote has ``completed_by`` = ``updated_by`` =
the manager; after another account's update, ``updated_by`` is that account; a vote
created with ``completed_by=<manager>`` by an admin or a writer has ``updated_by`` = the
creator; a vote imported with its task has ``updated_by`` null; an ``updated_by`` in a
request body is ignored; ``last_created_by`` was null in every case. The rules are in
``votes/tally.py`` (``changed_by_other``, ``not_own_project``).

**What Label Studio Community cannot prevent**, and what follows from it:

* Any member (manager or writer) can open any manager's project and read the votes in
  it. Independence rests on each manager voting in their own project without looking;
  no one can tell whether someone looked.
* Any member can update or delete any vote, or make one in a manager's name. Such a
  vote is not counted (``votes tally`` lists them as ``changed_by_other``), but the
  manager's own vote is then lost: the sentence stays pending until they vote again.
* A vote by anyone else in manager M's project is not counted (``not_own_project``),
  but it completes the task (``maximum_annotations=1``), so M's labeling stream skips
  it: M opens such a task from the Data Manager.
* Two API calls change a vote **without** Label Studio recording it (measured on
  1.23.2, with a writer's own token), so the tally cannot see them:
  ``POST /api/labels/bulk {"project": P, "old_label": ["drop"], "new_label": ["keep"]}``
  rewrites that choice in every annotation of project P (of the whole organization
  without ``project``), leaving ``updated_by`` and ``updated_at`` as they were; and
  ``PATCH /api/tasks/<id>`` with new ``data`` moves a vote to another sentence (its
  ``submission_id`` and ``text``), leaving the annotation untouched. Block both for
  everyone but the admin in a reverse proxy in front of Label Studio (1.23.2's web UI
  calls neither: its API tables have no ``labels/bulk`` and no PATCH on tasks).
* Whoever holds a manager's API token or session votes as that manager. An admin
  token, or access to Label Studio's server or database, can do anything, including
  writing ``updated_by`` directly.
* Managers are known by e-mail, and Label Studio does not verify e-mail addresses:
  check with ``apeach-ls managers`` that each manager's account is their own before
  the vote starts.

A campaign set up by an older apeach-ls has one shared vote project (``role=vote`` with
no manager); it is no longer read, and ``votes create`` and ``votes tally`` warn about it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from label_studio_sdk import LabelStudio

from apeach_ls import label_config

from ..aids import Aids
from ..correction import Flag
from ..receipts import ReceiptKey
from ..steps import OnStep, no_steps
from ..votes.config import VoteTags, parse_vote_config
from ..votes.model import ManagerVote, ShownSentence, TallyResult
from ..votes.parse import MalformedVote, parse_vote_result
from ..votes.tally import tally
from .connection import describe_api_error
from .projects import Step, ensure_project, find_project, list_projects, marker, project_with_marker
from .submissions import Submission, annotator_id, export_tasks
from .tasks import import_in_batches, task_data

# The steps of creating the vote round (ensure_vote_projects, add_vote_tasks), each reported
# only when it changed something in Label Studio, so a re-run with nothing to do reports none.
VOTE_PROJECT_SET_UP = "vote_project_set_up"  # a manager's vote project was created or updated
VOTE_TASKS_IMPORTED = "vote_tasks_imported"  # one batch of vote tasks was imported

GUIDE_FOR_MANAGERS = (
    "<h3>관리자 투표 안내</h3><p>문장을 <b>제외</b>하는 경우는 세 가지뿐입니다: 웹에서 복사한 문장, "
    "공인이 아닌 특정 개인을 언급한 문장, 주제와 무관한 문장. 혐오인지 아닌지는 판단하지 않습니다. "
    "맞춤법 오류는 괜찮습니다. 자동 점검 참고는 힌트일 뿐 결정이 아닙니다.</p>"
)


TITLE_MAX = 50  # Label Studio's limit on project titles


def vote_options(campaign: str, manager: str) -> dict[str, Any]:
    """The options of ``manager``'s own vote project."""
    title = f"{campaign} · vote · {manager}"
    return {
        "title": title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…",
        "description": f"{manager}'s own votes: keep or drop each sentence (drop-only; never hate-or-not). "
        f"Only {manager}'s own votes in this project count; vote in your own project only. "
        f"{marker(campaign, 'vote', manager)}",
        "label_config": label_config.load("vote"),
        "maximum_annotations": 1,
        "show_collab_predictions": False,
        "evaluate_predictions_automatically": False,
        "show_skip_button": True,
        "show_instruction": True,
        "expert_instruction": GUIDE_FOR_MANAGERS,
    }


@dataclass(frozen=True)
class VoteProjects:
    """A campaign's vote projects, found by the markers in their descriptions."""

    by_manager: Mapping[str, int]  # manager's e-mail -> the id of their own vote project
    shared: int | None = None  # the old single vote project of all managers: no longer read

    def warnings(self, campaign: str, managers: Iterable[str]) -> list[str]:
        lines = []
        if self.shared is not None:
            lines.append(
                f"vote project {self.shared} is the campaign's old shared vote project (all managers in "
                f"one, where each saw the others' votes): its votes are not counted. Each manager votes "
                f"in their own vote project (apeach-ls votes create); to silence this warning, remove "
                f"{marker(campaign, 'vote')} from the description of project {self.shared}"
            )
        lines.extend(
            f"manager {m} has no vote project yet, so none of their votes count; "
            f"run: apeach-ls votes create"
            for m in managers
            if m not in self.by_manager
        )
        return lines


def find_vote_projects(client: LabelStudio, campaign: str, managers: Iterable[str]) -> VoteProjects:
    """Each listed manager's own vote project (one listing of the projects)."""
    projects = list_projects(client)
    by_manager = {
        m: int(p.id)
        for m in managers
        if (p := project_with_marker(projects, marker(campaign, "vote", m))) is not None
    }
    shared = project_with_marker(projects, marker(campaign, "vote"))
    return VoteProjects(by_manager, int(shared.id) if shared is not None else None)


def ensure_vote_projects(
    client: LabelStudio, campaign: str, managers: Iterable[str], on_step: OnStep = no_steps
) -> tuple[VoteProjects, list[Step]]:
    """Create or update each manager's own vote project; a re-run changes nothing."""
    steps: list[Step] = []
    by_manager = {}
    for m in managers:
        by_manager[m] = ensure_project(
            client, campaign, "vote", vote_options(campaign, m), steps, manager=m
        )
        if steps[-1].outcome != "unchanged":
            on_step(VOTE_PROJECT_SET_UP)
    shared = find_project(client, campaign, "vote")
    return VoteProjects(by_manager, int(shared.id) if shared is not None else None), steps


UNVERIFIED_HINT_KO = (
    "분류기 판정 확인 안 됨: 이 문장의 판정이 분류기가 낸 것과 다르거나(위조·변경) 판정 없이 "
    "제출되었습니다. 라벨은 작성자의 의도로 처리됩니다."
)
VERDICT_FLAGS = frozenset({Flag.VERDICT_UNVERIFIED, Flag.NO_VERDICT})


_VERSION_DOMAIN = b"apeach-ls vote sentence v1\n"  # not base64: never a receipt's payload


def shown_to_managers(submission: Submission, key: ReceiptKey) -> ShownSentence:
    """The version of the submission's sentence a vote task made now shows: its text, and a
    keyed digest of its submission id, text, the writer's intent and the label."""
    corrected = submission.corrected
    message = "\n".join(
        [
            str(submission.submission_id),
            corrected.intent or "",
            corrected.label or "",
            corrected.text,
        ]
    ).encode("utf-8")
    mac = base64.urlsafe_b64encode(key.mac(_VERSION_DOMAIN + message)).decode("ascii")
    return ShownSentence(corrected.text, "v1." + mac[:32])


def vote_task(submission: Submission, aids: Aids | None, key: ReceiptKey) -> dict[str, Any]:
    """The vote task of one submission: the sentence, its prompt and the hints (the aids, and
    whether its verdict verified), never the writer's label, the verdict or who wrote it;
    ``sentence_version`` binds the votes to this version of the sentence."""
    summary = aids.summary_ko() if aids is not None else ""
    hints = [summary] if summary else []
    flags = set(aids.flags()) if aids is not None else set()
    unverified = VERDICT_FLAGS & submission.corrected.flags
    if unverified:
        hints.append(UNVERIFIED_HINT_KO)
        flags |= {f.value for f in unverified}
    return {
        "data": {
            "submission_id": submission.submission_id,
            "prompt_id": submission.prompt.get("prompt_id", ""),
            "topic": submission.prompt.get("topic", ""),
            "guideline": submission.prompt.get("guideline", ""),
            "text": submission.corrected.text,
            "sentence_version": shown_to_managers(submission, key).version,
            "aids": " / ".join(hints),
            "aid_flags": sorted(flags),
        }
    }


@dataclass(frozen=True)
class VoteTasksReport:
    added: int
    already_there: int
    rewritten: int = 0  # of the added: a new version of a sentence that had a vote task


def shown_in_tasks(tasks: Iterable[Mapping[str, Any]]) -> dict[int, list[ShownSentence]]:
    """``{submission id: the versions its vote tasks show}`` from the tasks' data."""
    shown: dict[int, list[ShownSentence]] = {}
    for data in tasks:
        sid = data.get("submission_id")
        if sid in (None, ""):
            continue
        version = data.get("sentence_version") or None
        shown.setdefault(int(sid), []).append(ShownSentence(str(data.get("text") or ""), version))
    return shown


def vote_task_shown(data: Mapping[str, Any]) -> ShownSentence:
    """The version of the sentence a vote task's data shows."""
    return ShownSentence(str(data.get("text") or ""), data.get("sentence_version") or None)


def add_vote_tasks(
    client: LabelStudio,
    project_id: int,
    submissions: Sequence[Submission],
    aids: Mapping[int, Aids],
    key: ReceiptKey,
    batch_size: int = 1000,
    progress: Callable[[int], None] = lambda n: None,
    on_step: OnStep = no_steps,
) -> VoteTasksReport:
    """Import a vote task for each submission whose current version the project lacks (a new
    submission, or one its writer rewrote), ``batch_size`` at a time (``progress`` gets the
    count, then ``on_step`` ``VOTE_TASKS_IMPORTED``, after each batch)."""
    have = shown_in_tasks(task_data(client, project_id, "vote tasks"))
    todo = [
        s
        for s in submissions
        if not any(
            shown.still(shown_to_managers(s, key)) for shown in have.get(s.submission_id, [])
        )
    ]

    def imported(count: int) -> None:
        progress(count)
        on_step(VOTE_TASKS_IMPORTED)

    import_in_batches(
        client,
        project_id,
        [vote_task(s, aids.get(s.submission_id), key) for s in todo],
        batch_size,
        "vote tasks",
        imported,
    )
    return VoteTasksReport(
        added=len(todo),
        already_there=len(submissions) - len(todo),
        rewritten=sum(1 for s in todo if s.submission_id in have),
    )


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
    malformed: list[str]  # "vote project N (manager), annotation N: reason", for the report


def read_votes(
    client: LabelStudio, project_id: int, emails: Mapping[int, str], manager: str
) -> VoteReadout:
    """Every vote annotation of ``manager``'s vote project (cancelled ones marked), from one export.

    Each vote carries its voter (``completed_by``), the account that created or last
    changed it (``updated_by``) and the manager whose project holds it."""
    try:
        config = client.projects.get(id=project_id).label_config
    except Exception as exc:
        raise describe_api_error(exc, f"reading vote project {project_id} of {manager}") from exc
    tags: VoteTags = parse_vote_config(config)
    votes, malformed = [], []
    for task in export_tasks(client, project_id):
        data = task.get("data") or {}
        submission_id = data.get("submission_id")
        if submission_id is None:
            continue
        shown = vote_task_shown(data)
        for annotation in task.get("annotations") or []:
            voter_id, author_id = annotator_id(annotation), _user_id(annotation.get("updated_by"))
            common = dict(
                submission_id=int(submission_id),
                manager=emails.get(voter_id, f"user:{voter_id}"),
                cast_by=None if author_id is None else emails.get(author_id, f"user:{author_id}"),
                project_manager=manager,
                shown=shown,
                vote_id=int(annotation["id"]),
                updated_at=str(annotation.get("updated_at") or ""),
            )
            if annotation.get("was_cancelled"):
                votes.append(
                    ManagerVote(
                        decision="keep", reasons=frozenset(), note="", cancelled=True, **common
                    )
                )
                continue
            try:
                parsed = parse_vote_result(annotation.get("result") or [], tags)
            except MalformedVote as exc:
                malformed.append(
                    f"vote project {project_id} ({manager}), annotation {annotation['id']}: {exc}"
                )
                continue
            votes.append(
                ManagerVote(
                    decision=parsed.decision, reasons=parsed.reasons, note=parsed.note, **common
                )
            )
    return VoteReadout(votes, malformed)


def tally_vote_projects(
    client: LabelStudio,
    projects: VoteProjects,
    submissions: Sequence[Submission],
    emails: Mapping[int, str],
    managers: Iterable[str],
    k: int,
    rule: str,
    key: ReceiptKey,
) -> tuple[dict[int, TallyResult], VoteReadout]:
    """Read every manager's vote project and tally every submission (see votes/tally.py:
    only a manager's own unchanged votes in their own project count, never on their own
    sentence, nor on a version of the sentence its writer has rewritten since). The one
    reading of the votes that ``votes tally`` and ``report`` share."""
    votes, malformed = [], []
    for manager, project_id in projects.by_manager.items():
        readout = read_votes(client, project_id, emails, manager)
        votes.extend(readout.votes)
        malformed.extend(readout.malformed)
    writer_of = {s.submission_id: emails.get(s.writer_id or -1) for s in submissions}
    current = {s.submission_id: shown_to_managers(s, key) for s in submissions}
    results = tally(
        votes,
        [s.submission_id for s in submissions],
        set(managers),
        writer_of,
        k,
        rule,  # type: ignore[arg-type]
        current,
    )
    return results, VoteReadout(votes, malformed)


def missing_managers(managers: Iterable[str], emails: Mapping[int, str]) -> list[str]:
    known = set(emails.values())
    return [m for m in managers if m not in known]


def invite_url(client: LabelStudio, base_url: str) -> str:
    try:
        link = client.organizations.invites.get_invite_link()
    except Exception as exc:
        raise describe_api_error(exc, "getting the organization's invite link") from exc
    return base_url.rstrip("/") + str(link.invite_url)
