"""The campaign: its config, its database and its Label Studio projects, read together.

A command asks a :class:`Campaign` for what it needs (the writers' submissions, the vote
round, the outcomes to pay, the release rows, the managers' agreement) and prints the
answer; no other module reads Label Studio and the campaign database together. Messages
about the work (what is read, what is skipped and why) go to the ``progress`` callback.

The pure steps (which submissions earn what, how the tallied outcomes read) are the
module's functions, tested without a server; :class:`Campaign` only fetches their inputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .campaign_config import CampaignConfig
from .errors import ApeachError, ConfigError
from .prompts import Prompt, task_prompt
from .rewards.model import SubmissionOutcome
from .votes.agreement import ManagerAgreement, counted_agreement, tally_agreement
from .votes.model import ACCEPTED, DROPPED, OUTCOMES, PENDING, Outcome, TallyResult

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from .aids import Aids
    from .labelstudio.projects import Step
    from .labelstudio.submissions import Submission
    from .labelstudio.vote_round import VoteProjects, VoteReadout, VoteTasksReport
    from .receipts import ReceiptKey
    from .release.rows import ReleaseBuild
    from .rewards.roster import Accounts
    from .rounds import Dimension, FoolingCounts, FoolingRecord, Round
    from .steps import OnStep
    from .validation.model import ValidationResult
    from .votes.store import StoredTally
    from .writer_quality import WriterHold, WriterQuality

Progress = Callable[[str], None]


def quiet(message: str) -> None:
    """A progress callback that says nothing."""


# --- pure steps --------------------------------------------------------------------------


def outcome_counts(outcomes: Iterable[Outcome]) -> dict[Outcome, int]:
    """How many submissions have each outcome, every outcome listed (zero included)."""
    counts = Counter(outcomes)
    return {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}


def outcomes_line(outcomes: Iterable[Outcome]) -> str:
    """``2 accepted, 3 dropped, 1 pending``."""
    return ", ".join(f"{n} {outcome}" for outcome, n in outcome_counts(outcomes).items())


@dataclass(frozen=True)
class PayoutOutcomes:
    """What the payout records: one outcome per submission, and what to tell the operator."""

    outcomes: list[SubmissionOutcome]
    notes: list[str]


def _listed(what: str, items: Sequence[str]) -> str:
    shown = ", ".join(items[:10]) + (", ..." if len(items) > 10 else "")
    return f"{len(items)} {what}: {shown}"


def payout_outcomes(
    submissions: Sequence[Submission],
    tallies: Mapping[int, StoredTally],
    emails: Mapping[int, str],
    earning: Mapping[int, int],
    project_id: int,
    verified: Mapping[int, bool] | None = None,
    held: Callable[[Submission], str | None] = lambda submission: None,
) -> PayoutOutcomes:
    """Every submission with its tallied outcome (pending until tallied), for the ledger.

    A submission without a writer earns nothing (named in a note). An accepted sentence that
    repeats an earlier accepted one is dropped (the release holds it back too). A submission
    that earned (``earning``: submission id -> writer id, from the ledger) and is gone from
    Label Studio is dropped, so its earnings are reversed; when none is left in project
    ``project_id`` at all, that is an error (the wrong server or campaign, most likely).
    ``verified`` is the validation of fooled sentences (submission id -> right or wrong);
    ``held(submission)`` says why a submission is not paid yet (its writer is on hold).
    """
    from .rewards.repeats import repeats, vanished

    notes = []
    nobody = [str(s.submission_id) for s in submissions if s.writer_id is None]
    if nobody:
        notes.append(
            _listed(
                "submission(s) have no writer in Label Studio (completed_by is empty); nothing "
                "is recorded for them",
                nobody,
            )
        )
    written = [s for s in submissions if s.writer_id is not None]
    outcome_of: dict[int, Outcome] = {
        s.submission_id: _outcome(tallies[s.submission_id].outcome)
        if s.submission_id in tallies
        else PENDING
        for s in written
    }
    repeated = repeats(
        (s.submission_id, s.corrected.text)
        for s in written
        if outcome_of[s.submission_id] == ACCEPTED
    )
    if repeated:
        notes.append(
            _listed(
                "accepted submission(s) repeat an earlier accepted sentence and earn nothing "
                "(the release holds them back too)",
                [f"{sid} (as {first})" for sid, first in repeated.items()],
            )
        )
    outcomes = [
        SubmissionOutcome(
            submission_id=s.submission_id,
            writer_id=int(s.writer_id or 0),
            writer_email=emails.get(s.writer_id or -1),
            outcome=DROPPED if s.submission_id in repeated else outcome_of[s.submission_id],
            fooled=s.corrected.fooled,
            verified=(verified or {}).get(s.submission_id),
            held=held(s),
        )
        for s in written
    ]
    gone = vanished(earning, [s.submission_id for s in written])
    if gone and not written:
        raise ApeachError(
            f"Label Studio lists no submission in project {project_id}, but the ledger has "
            f"earnings for {len(gone)}: check LABEL_STUDIO_URL and the campaign name"
        )
    if gone:
        notes.append(
            _listed(
                "submission(s) that earned are gone from Label Studio (deleted); their earnings "
                "are reversed",
                [str(sid) for sid in gone],
            )
        )
    outcomes += [
        SubmissionOutcome(
            submission_id=sid,
            writer_id=writer,
            writer_email=emails.get(writer),
            outcome=DROPPED,
            fooled=False,
        )
        for sid, writer in gone.items()
    ]
    return PayoutOutcomes(outcomes, notes)


def rewritten_since_tally(
    tallies: Mapping[int, StoredTally], current: Mapping[int, str]
) -> dict[int, StoredTally]:
    """The stored tallies as payouts and the release take them: a tally about another version
    of the sentence than its current one (``current``: submission id -> version; its writer
    rewrote it since the votes) is pending, until the managers vote on the new version.
    A tally stored without a version (before versions) is taken as it is."""
    from dataclasses import replace

    return {
        sid: replace(t, outcome=PENDING, reasons=())
        if t.sentence_version is not None
        and sid in current
        and t.sentence_version != current[sid]
        and t.outcome != PENDING
        else t
        for sid, t in tallies.items()
    }


def _outcome(stored: str) -> Outcome:
    for outcome in OUTCOMES:
        if stored == outcome:
            return outcome
    raise ApeachError(f"stored tally outcome {stored!r} is not one of {', '.join(OUTCOMES)}")


def submission_prompts(submissions: Iterable[Submission]) -> dict[str, Prompt]:
    """The prompts the submissions answered, by key (the first task's text for each key)."""
    prompts: dict[str, Prompt] = {}
    for s in submissions:
        prompt = task_prompt(s.prompt)
        prompts.setdefault(prompt.key, prompt)
    return prompts


# --- the campaign ------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """What ``export`` and ``report`` release: the rows, the rounds, every submission's
    fooling record (round, model version, fooled, verified, dropped)."""

    build: ReleaseBuild
    rounds: tuple[Round, ...]
    fooling: list[FoolingRecord]


@dataclass(frozen=True)
class VoteTally:
    """What ``votes tally`` found: every submission's result, the votes read, the agreement."""

    results: Mapping[int, TallyResult]
    readout: VoteReadout
    agreement: ManagerAgreement


@dataclass(frozen=True)
class VoteTasks:
    """What ``votes create`` did: the projects' set-up steps and the vote tasks added."""

    steps: list[Step]
    added: Mapping[str, VoteTasksReport]  # per manager
    projects: Mapping[str, int]  # manager e-mail -> their vote project
    aids: Mapping[int, Aids]  # per submission


class Campaign:
    """One campaign: ``config`` names it, its database and its managers.

    ``label_studio`` connects to Label Studio (at ``label_studio_url``, for links shown to
    people) and ``verdict_key`` gives the secret verdict receipts are checked with; both
    are called at most once, when first needed, so a command that does not read Label
    Studio never connects. A campaign known only by its
    name (``Campaign.named``) can read its submissions and nothing that needs the config.
    """

    def __init__(
        self,
        config: CampaignConfig | None,
        *,
        label_studio: Callable[[], Any],
        verdict_key: Callable[[], ReceiptKey],
        progress: Progress = quiet,
        name: str | None = None,
        label_studio_url: str = "",
    ) -> None:
        if config is None and name is None:
            raise ValueError("a campaign needs a config or a name")
        self._config = config
        self.name = config.name if config is not None else str(name)
        self._connect = label_studio
        self.label_studio_url = label_studio_url  # for links shown to people
        self._verdict_key = verdict_key
        self.progress = progress
        self._engine: Engine | None = None

    @classmethod
    def named(
        cls,
        name: str,
        *,
        label_studio: Callable[[], Any],
        verdict_key: Callable[[], ReceiptKey],
        progress: Progress = quiet,
        label_studio_url: str = "",
    ) -> Campaign:
        return cls(
            None,
            label_studio=label_studio,
            verdict_key=verdict_key,
            progress=progress,
            name=name,
            label_studio_url=label_studio_url,
        )

    @property
    def config(self) -> CampaignConfig:
        if self._config is None:
            raise ConfigError(f"campaign {self.name!r}: this needs the campaign config (--config)")
        return self._config

    # --- the parts ------------------------------------------------------------------------

    @cached_property
    def label_studio(self) -> Any:
        """The Label Studio client."""
        return self._connect()

    def database(self, create: bool = False) -> Engine:
        """The campaign database; one that does not exist is an error unless ``create``."""
        from .database import DatabaseMissing, open_database

        config = self.config
        if self._engine is not None:
            return self._engine
        try:
            self._engine = open_database(config.database, create=create)
            return self._engine
        except DatabaseMissing as exc:
            raise DatabaseMissing(
                f"{exc}: check [campaign] database in {config.path} (APEACH_DATABASE_URL "
                f"overrides it); `apeach-ls writers import` creates the ledger"
            ) from None

    @cached_property
    def verdict_key(self) -> ReceiptKey:
        """The secret verdict receipts are checked with (it also keys sentence versions)."""
        return self._verdict_key()

    @cached_property
    def generation_project(self) -> int:
        from .labelstudio.projects import generation_project_id

        return generation_project_id(self.label_studio, self.name)

    @cached_property
    def user_emails(self) -> dict[int, str]:
        """Label Studio's users: user id -> e-mail."""
        from .labelstudio.vote_round import user_emails

        return user_emails(self.label_studio)

    def currency(self) -> str:
        """The campaign's currency: the config's [rewards] currency, else the ledger's."""
        from .rewards.status import payout_status

        if self.config.rewards is not None:
            return self.config.rewards.currency
        return payout_status(self.database()).currency or "KRW"

    def accounts(self) -> Accounts:
        """Label Studio's users and the campaign's managers, who may not be writers."""
        from .rewards.roster import Accounts

        return Accounts(self.user_emails, frozenset(self.config.managers))

    def missing_managers(self) -> list[str]:
        """The config's managers who have no Label Studio account (by e-mail)."""
        from .labelstudio.vote_round import missing_managers

        return missing_managers(self.config.managers, self.user_emails)

    def invite_url(self) -> str:
        """The link to sign up to Label Studio's organization."""
        from .labelstudio.vote_round import invite_url

        return invite_url(self.label_studio, self.label_studio_url)

    # --- what commands need ---------------------------------------------------------------

    @cached_property
    def submissions(self) -> list[Submission]:
        """The writers' submissions, corrected to their intent, in the order they were made."""
        from .labelstudio.submissions import read_submissions

        key = self.verdict_key
        project = self.generation_project
        self.progress(f"reading submissions of project {project} from Label Studio ...")
        return sorted(
            read_submissions(self.label_studio, project, key), key=lambda s: s.submission_id
        )

    def prompts(self) -> dict[str, Prompt]:
        """The prompts the submissions answered, by key."""
        return submission_prompts(self.submissions)

    def tallies(self) -> Mapping[int, StoredTally]:
        """The outcomes ``votes tally`` stored, as they hold now: a sentence its writer rewrote
        since its tally is pending (:func:`rewritten_since_tally`, said through progress);
        none stored is an error naming the command."""
        return self._as_they_hold(self.stored_tallies())

    def stored_tallies(self) -> Mapping[int, StoredTally]:
        """The outcomes ``votes tally`` stored, as stored (Label Studio is not read); none
        stored is an error naming the command."""
        from .database import DatabaseMissing
        from .votes.store import load_tallies

        try:
            tallies = load_tallies(self.database())
        except DatabaseMissing:
            tallies = {}
        if not tallies:
            raise ApeachError(
                f"No submission of campaign {self.name!r} has been tallied yet, so nothing is "
                f"accepted. Run: apeach-ls votes tally --config {self.config.path}"
            )
        return tallies

    def _as_they_hold(self, tallies: Mapping[int, StoredTally]) -> dict[int, StoredTally]:
        from .labelstudio.vote_round import shown_to_managers

        if all(t.sentence_version is None for t in tallies.values()):
            return dict(tallies)  # stored before versions: nothing to compare
        key = self.verdict_key
        current = {
            s.submission_id: str(shown_to_managers(s, key).version) for s in self.submissions
        }
        held = rewritten_since_tally(tallies, current)
        changed = [str(sid) for sid, t in held.items() if t is not tallies[sid]]
        if changed:
            self.progress(
                "note: "
                + _listed(
                    "submission(s) were rewritten by their writer since the managers' vote and "
                    "are pending until they vote on the new version (apeach-ls votes create, "
                    "then votes tally)",
                    changed,
                )
            )
        return held

    def _managers(self) -> tuple[str, ...]:
        managers = self.config.managers
        if not managers:
            raise ConfigError(
                f"{self.config.path}: [votes] managers is empty; list the managers' e-mails"
            )
        return managers

    def _vote_projects(
        self, create: bool, on_step: OnStep | None = None
    ) -> tuple[VoteProjects, list[Step]]:
        from .labelstudio.vote_round import ensure_vote_projects, find_vote_projects
        from .steps import no_steps

        managers = self._managers()
        if create:
            projects, steps = ensure_vote_projects(
                self.label_studio, self.name, managers, on_step or no_steps
            )
        else:
            projects, steps = find_vote_projects(self.label_studio, self.name, managers), []
        for line in projects.warnings(self.name, managers):
            self.progress(f"warning: {line}")
        return projects, steps

    def add_vote_tasks(
        self,
        batch_size: int,
        advance: Callable[[int], None] = lambda n: None,
        on_step: OnStep | None = None,
    ) -> VoteTasks:
        """Create each manager's vote project and add a vote task per new submission, with
        the aids' hints (computed once per submission; a cache file next to the config keeps
        them). ``advance(n)`` is called as vote tasks are handled; the total is
        ``len(submissions) * len(managers with a project)``; ``on_step`` sees each project's
        set-up and each imported batch (:mod:`apeach_ls.steps`)."""
        from .aids.for_campaign import campaign_aids
        from .labelstudio.vote_round import add_vote_tasks

        config = self.config
        self._managers()
        submissions = self.submissions
        from .steps import no_steps

        step = on_step or no_steps
        projects, steps = self._vote_projects(create=True, on_step=step)
        self.progress(f"computing aids for {len(submissions)} submissions ...")
        aids = campaign_aids(config, submissions)
        added = {
            manager: add_vote_tasks(
                self.label_studio,
                project,
                submissions,
                aids,
                self.verdict_key,
                batch_size,
                advance,
                step,
            )
            for manager, project in projects.by_manager.items()
        }
        return VoteTasks(steps, added, dict(projects.by_manager), aids)

    def vote_task_count(self) -> int:
        """How many vote tasks ``add_vote_tasks`` goes through (for a progress bar)."""
        managers = self._managers()
        return len(self.submissions) * len(managers)

    def tally_votes(self) -> VoteTally:
        """Tally every manager's own vote project and store the outcomes in the database."""
        from .labelstudio.vote_round import tally_vote_projects
        from .votes.store import save_tallies

        config = self.config
        submissions = self.submissions
        projects, _ = self._vote_projects(create=False)
        if not projects.by_manager:
            raise ApeachError(
                f"Campaign {self.name!r} has no manager's vote project. "
                f"Run: apeach-ls votes create --config {config.path}"
            )
        results, readout = tally_vote_projects(
            self.label_studio,
            projects,
            submissions,
            self.user_emails,
            config.managers,
            config.k,
            config.rule,
            self.verdict_key,
        )
        save_tallies(self.database(create=True), results.values())
        agreement = counted_agreement(r.counted for r in results.values())
        return VoteTally(results, readout, agreement)

    def payout_outcomes(self) -> list[SubmissionOutcome]:
        """Every submission with its stored outcome, for the ledger (notes go to progress)."""
        from .rewards.holds import load_holds
        from .rewards.ledger import earning_submissions
        from .validation.store import load_verified
        from .writer_quality import held_reason

        engine = self.database()
        tallies = self.tallies()
        holds = load_holds(engine, self.name)  # writers held for review (`writers quality`)
        found = payout_outcomes(
            self.submissions,
            tallies,
            self.user_emails,
            earning_submissions(engine),
            self.generation_project,
            verified=load_verified(engine),  # validation of fooled sentences (issue 14)
            held=lambda s: held_reason(int(s.writer_id or 0), s.created_at, holds, s.updated_at),
        )
        for note in found.notes:
            self.progress(f"note: {note}")
        return found.outcomes

    def release(self) -> Release:
        """The release rows: the accepted submissions with the roster's demographics, and
        what is held back or skipped (said through progress); the rounds, and every
        submission's fooling record (for MER and vMER)."""
        from .database.connection import ledger_id
        from .release.rows import build_release
        from .rewards.roster import load_roster
        from .rounds import fooling_records
        from .rounds_store import load_rounds
        from .validation.store import load_verified

        tallies = self.tallies()
        engine = self.database()
        with engine.connect() as conn:
            roster, salt = load_roster(conn), ledger_id(conn)
        submissions = self.submissions
        rounds = load_rounds(engine, self.name)
        verified = load_verified(engine) if self.config.validation else None
        build = build_release(
            self.name, submissions, tallies, roster, self.user_emails, salt, rounds, verified
        )
        self.progress(
            f"{len(submissions)} submissions; tallied: "
            + outcomes_line(_outcome(t.outcome) for t in tallies.values())
        )
        for skipped in build.skipped:
            self.progress(f"skipped submission {skipped.submission_id}: {skipped.why}")
        for held in build.held_back:
            self.progress(
                f"held back submission {held.submission_id} ({held.apeach_class}): {held.why}"
            )
        fooling = fooling_records(
            submissions,
            {sid: t.outcome for sid, t in tallies.items()},
            rounds,
            lambda s: str(s.writer_id or ""),
            verified,
        )
        return Release(build, tuple(rounds), fooling)

    def agreement(self) -> ManagerAgreement | None:
        """The managers' agreement on keep/drop and per reason, from the stored tallies'
        counted votes (per reason only when every tally kept its reason counts: tallies
        stored by an earlier version need `votes tally` again); None when no submission has
        two counted votes."""
        tallies = self.stored_tallies().values()
        if not any(t.keeps + t.drops >= 2 for t in tallies):
            return None
        agreement = tally_agreement((t.keeps, t.drops, t.reason_counts) for t in tallies)
        if not agreement.reasons:
            self.progress(
                "note: agreement per reason needs the tallies' reason counts; run: "
                f"apeach-ls votes tally --config {self.config.path}"
            )
        return agreement

    # --- rounds ---------------------------------------------------------------------------

    def rounds(self) -> list[Round]:
        """The rounds the campaign named (none named: an empty list)."""
        from .rounds_store import load_rounds

        return load_rounds(self.database(create=True), self.name)

    def start_round(self, name: str, at: datetime) -> list[Round]:
        """Start round ``name`` at ``at``; the rounds stored after it."""
        from .rounds_store import store_start

        return store_start(self.database(create=True), self.name, name, at)

    def pin_round(self, name: str, model_version: str) -> Round:
        """Record ``model_version`` as a model in the loop during round ``name``."""
        from .rounds_store import store_pin

        return store_pin(self.database(create=True), self.name, name, model_version)

    def fooling_metrics(self, by: Dimension) -> dict[str, FoolingCounts]:
        """Submitted, fooled, verified fooled and dropped per round (in the rounds' order),
        or per topic, writer (e-mail) or model version (sorted): Label Studio's submissions
        with the stored tallies, rounds and validation."""
        from .rounds import fooling_metrics, fooling_records, metrics_by_round
        from .validation.store import load_verified
        from .votes.store import load_tallies

        engine = self.database(create=True)
        stored = self.rounds()
        tallies = load_tallies(engine)
        emails = self.user_emails

        def writer(s: Submission) -> str:
            if s.writer_id is None:
                return "unknown"
            return emails.get(s.writer_id) or f"user {s.writer_id}"

        verified = load_verified(engine) if self.config.validation else None
        records = fooling_records(
            self.submissions,
            {sid: t.outcome for sid, t in tallies.items()},
            stored,
            writer,
            verified,
        )
        if by == "round":
            return metrics_by_round(records, stored)
        return dict(sorted(fooling_metrics(records, by).items()))

    # --- validation of fooled sentences ---------------------------------------------------

    def _validators(self) -> tuple[str, ...]:
        config = self.config
        if not config.validation:
            raise ConfigError(
                f"{config.path}: validation is off; set enabled = true in [validation] to "
                "validate fooled sentences"
            )
        if not config.validators:
            raise ConfigError(
                f"{config.path}: [validation] validators is empty and there are no managers; "
                "list the validators' e-mails"
            )
        return tuple(config.validators)

    def add_validation_tasks(self, batch_size: int) -> ValidationTasks:
        """Create each validator's project and give out the fooled sentences that need
        answers (validators without a Label Studio account are warned about via progress)."""
        from .labelstudio.validation_round import (
            add_assignments,
            ensure_validation_projects,
            read_answers,
            tally_validation,
        )

        validators = self._validators()
        submissions = self.submissions
        projects, steps = ensure_validation_projects(self.label_studio, self.name, validators)
        emails = self.user_emails
        for validator in self.missing_accounts(validators):
            self.progress(
                f"warning: validator {validator} has no Label Studio account: no sentence is "
                "given to them until they sign up (`apeach-ls managers` prints the invite link)"
            )
        readout = read_answers(self.label_studio, projects, emails)
        results = tally_validation(readout, submissions, emails, validators)
        added = add_assignments(
            self.label_studio, projects, submissions, emails, readout, results, batch_size
        )
        already = {v: len(readout.assigned[v]) for v in added}
        return ValidationTasks(steps, dict(added), already, dict(projects), results)

    def tally_validation(self) -> ValidationTally:
        """Tally the validators' answers and store each fooled sentence's result."""
        from .labelstudio.validation_round import (
            find_validation_projects,
            read_answers,
            tally_validation,
        )
        from .validation.store import save_validation

        validators = self._validators()
        projects = find_validation_projects(self.label_studio, self.name, validators)
        if not projects:
            raise ApeachError(
                f"Campaign {self.name!r} has no validation project. "
                f"Run: apeach-ls validation create --config {self.config.path}"
            )
        emails = self.user_emails
        readout = read_answers(self.label_studio, projects, emails)
        results = tally_validation(readout, self.submissions, emails, validators)
        save_validation(self.database(create=True), results.values())
        return ValidationTally(results, list(readout.malformed))

    def missing_accounts(self, emails: Iterable[str]) -> list[str]:
        """Those of ``emails`` who have no Label Studio account."""
        from .labelstudio.vote_round import missing_managers

        return missing_managers(emails, self.user_emails)

    # --- writer quality and holds ---------------------------------------------------------

    def writer_quality(self, hold: bool, now: datetime) -> WritersQuality:
        """Every writer's quality figures from the stored tallies and the aids; writers over
        the [quality] thresholds are held from ``now`` on when ``hold``."""
        from .aids.for_campaign import campaign_aids
        from .rewards.holds import add_holds, load_holds
        from .votes.store import load_tallies
        from .writer_quality import holds_to_add, last_releases, sentence_records, writer_quality

        config = self.config
        submissions = self.submissions
        engine = self.database(create=True)
        tallies = {sid: (t.outcome, t.reasons) for sid, t in load_tallies(engine).items()}
        aids = campaign_aids(config, submissions)
        flags = {sid: a.flags() for sid, a in aids.items()}
        holds = load_holds(engine, self.name)
        quality = writer_quality(
            sentence_records(submissions, tallies, flags), last_releases(holds)
        )
        new = holds_to_add(quality, config.quality, holds)
        if new and hold:
            add_holds(engine, self.name, new, now)
        active = {h.writer_id: h for h in holds if h.active}
        return WritersQuality(quality, dict(new), active, dict(self.user_emails))

    def writer_id(self, writer: str) -> int:
        """The Label Studio user id of ``writer`` (an e-mail or a user id)."""
        emails = self.user_emails
        ids = {e: i for i, e in emails.items()}
        key = writer.strip().lower()
        writer_id = int(key) if key.isdigit() else ids.get(key)
        if writer_id is None or writer_id not in emails:
            raise ConfigError(f"{writer}: no such Label Studio user (give an e-mail or a user id)")
        return writer_id

    def active_holds(self, writer_id: int) -> list[WriterHold]:
        """The writer's holds not released yet."""
        from .rewards.holds import load_holds

        return [
            h
            for h in load_holds(self.database(create=True), self.name)
            if h.writer_id == writer_id and h.active
        ]

    def release_writer(self, writer_id: int, now: datetime) -> list[WriterHold]:
        """Release the writer's holds, recorded as released by the account of Label Studio's
        API key; the holds released."""
        from .labelstudio.connection import describe_api_error
        from .rewards.holds import release_holds

        try:
            by = (self.label_studio.users.whoami().email or "").strip().lower() or "unknown"
        except Exception as exc:
            raise describe_api_error(exc, "reading who LABEL_STUDIO_API_KEY belongs to") from exc
        return release_holds(self.database(create=True), self.name, writer_id, by, now)


@dataclass(frozen=True)
class ValidationTasks:
    """What ``validation create`` did: the projects' set-up steps, the tasks added and
    already there (per validator), the validators' projects, every fooled sentence's result."""

    steps: list[Step]
    added: Mapping[str, int]
    already_there: Mapping[str, int]
    projects: Mapping[str, int]
    results: Mapping[int, ValidationResult]


@dataclass(frozen=True)
class ValidationTally:
    """What ``validation tally`` stored, and the answers that could not be read."""

    results: Mapping[int, ValidationResult]
    malformed: list[str]


@dataclass(frozen=True)
class WritersQuality:
    """What ``writers quality`` found: each writer's figures, the holds added (or that would
    be), the holds active before, Label Studio's users' e-mails."""

    quality: Mapping[int, WriterQuality]
    new_holds: Mapping[int, str]
    active: Mapping[int, WriterHold]
    emails: Mapping[int, str]
