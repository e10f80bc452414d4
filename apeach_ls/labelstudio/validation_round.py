"""Validation of fooled sentences in Label Studio: one validation project per validator.

Laid out like the managers' vote (``vote_round.py``, whose notes on what Label Studio
Community can and cannot prevent apply here too): each validator answers in a project of
their own (description marker ``[apeach-ls campaign=C role=validation manager=E]``,
``maximum_annotations=1``), and only their own, unchanged answers there count
(``validation/tally.py``). A validation task carries the sentence, its topic and the
writer's label, never who wrote it or the verdict. A sentence is added to a validator's
project only when the stopping rule needs another answer (``validation/assign.py``), never
to its writer's; re-running ``validation create`` adds only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from label_studio_sdk import LabelStudio

from apeach_ls import label_config

from ..errors import ConfigError
from ..label_xml import choice_values, parse_label_config
from ..validation.assign import plan_assignments
from ..validation.model import ANSWERS, ValidationAnswer, ValidationResult
from ..validation.tally import tally
from .connection import describe_api_error
from .projects import Step, ensure_project, list_projects, marker, project_with_marker
from .submissions import Submission, annotator_id, export_tasks
from .tasks import import_in_batches, task_data_values
from .vote_round import TITLE_MAX, _user_id

ROLE = "validation"
LABELS_KO = {"hate": "혐오 표현", "not_hate": "혐오 아님"}
GUIDE_FOR_VALIDATORS = (
    "<h3>라벨 검증 안내</h3><p>작성자는 이 라벨을 의도하고 문장을 썼고, 분류기는 반대로 판정했습니다. "
    "문장에 붙은 작성자의 라벨이 맞는지 <b>맞아요</b> / <b>틀려요</b>로 답해 주세요. "
    "자신의 프로젝트에서만, 다른 사람의 답을 보지 말고 답하세요.</p>"
)


def validation_options(campaign: str, validator: str) -> dict[str, Any]:
    """The options of ``validator``'s own validation project."""
    title = f"{campaign} · validation · {validator}"
    return {
        "title": title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…",
        "description": f"{validator}'s own answers: is the writer's label of each sentence right? "
        f"Only {validator}'s own answers in this project count. {marker(campaign, ROLE, validator)}",
        "label_config": label_config.load("validation"),
        "maximum_annotations": 1,
        "show_collab_predictions": False,
        "evaluate_predictions_automatically": False,
        "show_skip_button": True,
        "show_instruction": True,
        "expert_instruction": GUIDE_FOR_VALIDATORS,
    }


def find_validation_projects(
    client: LabelStudio, campaign: str, validators: Iterable[str]
) -> dict[str, int]:
    """Each listed validator's own validation project (one listing of the projects)."""
    projects = list_projects(client)
    return {
        v: int(p.id)
        for v in validators
        if (p := project_with_marker(projects, marker(campaign, ROLE, v))) is not None
    }


def ensure_validation_projects(
    client: LabelStudio, campaign: str, validators: Iterable[str]
) -> tuple[dict[str, int], list[Step]]:
    """Create or update each validator's own project; a re-run changes nothing."""
    steps: list[Step] = []
    projects = {
        v: ensure_project(client, campaign, ROLE, validation_options(campaign, v), steps, manager=v)
        for v in validators
    }
    return projects, steps


def validation_task(submission: Submission) -> dict[str, Any]:
    """The task of one fooled sentence: the sentence, its topic and the writer's label."""
    label = submission.corrected.label or ""
    return {
        "data": {
            "submission_id": submission.submission_id,
            "topic": submission.prompt.get("topic", ""),
            "text": submission.corrected.text,
            "label": LABELS_KO.get(label, label),
        }
    }


def shown_to_validators(submission: Submission) -> tuple[str, str]:
    """The (text, label) a validation task of the submission shows now."""
    data = validation_task(submission)["data"]
    return (data["text"], data["label"])


def answer_tag(xml: str) -> str:
    """The name of the Choices whose values are exactly right/wrong."""
    root = parse_label_config(xml, "Validation label config")
    found = [e.get("name", "") for e in root.iter("Choices") if choice_values(e) == set(ANSWERS)]
    if len(found) != 1:
        raise ConfigError(
            f"Validation label config must have one Choices with values {'/'.join(ANSWERS)}; "
            f"found {len(found)}"
        )
    return found[0]


def parse_answer(result: Sequence[Any], tag: str) -> str | None:
    """The answer of one annotation's result; None when it has no single right/wrong."""
    items = [i for i in result if isinstance(i, Mapping) and i.get("from_name") == tag]
    if len(items) != 1:
        return None
    choices = (items[0].get("value") or {}).get("choices")
    if not isinstance(choices, list) or len(choices) != 1 or choices[0] not in ANSWERS:
        return None
    return str(choices[0])


@dataclass(frozen=True)
class AnswerReadout:
    answers: list[ValidationAnswer]
    malformed: list[str]  # "validation project N (validator), annotation N: reason"
    assigned: dict[str, set[int]]  # validator -> sentences their project holds


def read_answers(
    client: LabelStudio, projects: Mapping[str, int], emails: Mapping[int, str]
) -> AnswerReadout:
    """Every answer in every validator's project (cancelled ones marked), and what each holds."""
    answers, malformed, assigned = [], [], {}
    for validator, project_id in projects.items():
        try:
            xml = client.projects.get(id=project_id).label_config or ""
        except Exception as exc:
            raise describe_api_error(exc, f"reading validation project {project_id}") from exc
        tag = answer_tag(xml)
        holds = {int(s) for s in task_data_values(client, project_id, "submission_id", "tasks")}
        for task in export_tasks(client, project_id):
            data = task.get("data") or {}
            sid = data.get("submission_id")
            if sid is None:
                continue
            shown = (str(data.get("text") or ""), str(data.get("label") or ""))
            for annotation in task.get("annotations") or []:
                who, author = annotator_id(annotation), _user_id(annotation.get("updated_by"))
                cancelled = bool(annotation.get("was_cancelled"))
                answer = parse_answer(annotation.get("result") or [], tag)
                if answer is None and not cancelled:
                    malformed.append(
                        f"validation project {project_id} ({validator}), annotation "
                        f"{annotation['id']}: no single answer {'/'.join(ANSWERS)}"
                    )
                    continue
                answers.append(
                    ValidationAnswer(
                        submission_id=int(sid),
                        validator=emails.get(who or -1, f"user:{who}"),
                        answer=answer or "right",  # type: ignore[arg-type]
                        answer_id=int(annotation["id"]),
                        updated_at=str(annotation.get("updated_at") or ""),
                        cancelled=cancelled,
                        cast_by=None if author is None else emails.get(author, f"user:{author}"),
                        project_validator=validator,
                        shown=shown,
                    )
                )
        assigned[validator] = holds
    return AnswerReadout(answers, malformed, assigned)


def fooled_sentences(submissions: Iterable[Submission]) -> list[Submission]:
    """The sentences validation is about: the writer flipped a verified verdict."""
    return [s for s in submissions if s.corrected.fooled]


def tally_validation(
    readout: AnswerReadout,
    submissions: Sequence[Submission],
    emails: Mapping[int, str],
    validators: Iterable[str],
) -> dict[int, ValidationResult]:
    """Tally every fooled sentence from what ``read_answers`` read."""
    fooled = fooled_sentences(submissions)
    writer_of = {s.submission_id: emails.get(s.writer_id or -1) for s in fooled}
    current = {s.submission_id: shown_to_validators(s) for s in fooled}
    return tally(readout.answers, [s.submission_id for s in fooled], validators, writer_of, current)


def add_assignments(
    client: LabelStudio,
    projects: Mapping[str, int],
    submissions: Sequence[Submission],
    emails: Mapping[int, str],
    readout: AnswerReadout,
    results: Mapping[int, ValidationResult],
    batch_size: int = 1000,
    progress: Callable[[int], None] = lambda n: None,
) -> dict[str, int]:
    """Add to each validator's project the sentences the stopping rule needs them for now
    (validators without a Label Studio account get none); how many each got."""
    fooled = {s.submission_id: s for s in fooled_sentences(submissions)}
    writers = {sid: emails.get(s.writer_id or -1) for sid, s in fooled.items()}
    known = set(emails.values())  # a validator without an account would hold sentences up
    plan = plan_assignments(writers, [v for v in projects if v in known], readout.assigned, results)
    for validator, sids in plan.items():
        import_in_batches(
            client,
            projects[validator],
            [validation_task(fooled[sid]) for sid in sids],
            batch_size,
            "validation tasks",
            progress,
            key="submission_id",
        )
    return {v: len(plan.get(v, [])) for v in projects}
