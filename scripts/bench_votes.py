"""Benchmark ``apeach-ls votes create`` and ``votes tally`` against Label Studio's own bulk calls.

Starts a local Label Studio (SQLite, 127.0.0.1, a temporary data dir), seeds one campaign with
N writers' submissions (default 10,000: BEEP! unlabeled comments, one annotation per generation
task, by ~50 writer users), then times:

* ``votes create`` (reads the submissions, computes the aids, imports N vote tasks into each of
  the 3 managers' own vote projects), next to the baseline of Label Studio's own bulk import of
  the same 3N vote tasks into a scratch project;
* ``votes tally`` on 3N votes, next to the baseline of Label Studio's own JSON exports of the
  generation project and the 3 managers' vote projects.

The managers sign up through the invite link and cast their votes with their own tokens, one
``annotations.create`` each (a few threads per manager): only such votes count (a vote
bulk-imported with its task, or made by the admin with ``completed_by``, is not the manager's
own). That is slow: about 6 votes a second on 2 busy CPUs, so the default size needs hours.
``--import-votes`` seeds the votes by bulk import instead (fast); Label Studio then records no
``updated_by``, so the tally reads and parses every vote but counts none (all pending,
``changed_by_other``): it measures reading, not deciding.

The ratio (command / baseline) is our overhead. Both commands run in this process through
click's CliRunner; ``votes create`` reports its steps (vote projects set up, batches imported)
to a ``StepWatcher`` (apeach_ls.cli.common), which times them. Then the library's public
functions the commands are built from are timed one by one on the same campaign (read-only, or
into a scratch project), so the table also shows what dominates. Nothing is patched. Progress
goes to stderr; one table goes to stdout.

    python scripts/bench_votes.py --quick            # 1,000 submissions (3,000 votes cast one by one)
    python scripts/bench_votes.py --import-votes     # 10,000 submissions (30,000 votes, bulk-imported)
    python scripts/bench_votes.py --submissions 3000 --keep
    python scripts/bench_votes.py --submissions 50 --import-votes   # a smoke run, a few minutes
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
BEEP_DIR = Path(os.environ.get("APEACH_BEEP_DIR", REPO.parent / "shared" / "data" / "beep"))
BATCH = 1000
WRITERS = 50
MANAGERS = 3
REASONS = ("copied", "private_person", "off_topic", "other")
VOTE_THREADS = 3  # concurrent annotations.create calls per manager while seeding votes
T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f} s] {message}", file=sys.stderr, flush=True)


class BenchTimeout(BaseException):
    """Raised by SIGALRM; a BaseException so that neither click nor the library swallows it."""


@contextlib.contextmanager
def deadline(minutes: float) -> Iterator[None]:
    def expired(signum, frame):
        raise BenchTimeout(f"the benchmark ran longer than --max-minutes {minutes:g}")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(max(1, int(minutes * 60)))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


# ---- seeding ---------------------------------------------------------------------------------------------


def generation_result(text: str, label: str, agreement: str) -> list[dict[str, Any]]:
    """A writer's generation annotation (as in tests/campaign_seed.py ``result``)."""
    return [
        {
            "from_name": "intent",
            "to_name": "prompt",
            "type": "choices",
            "value": {"choices": [label]},
        },
        {"from_name": "text", "to_name": "prompt", "type": "textarea", "value": {"text": [text]}},
        {
            "from_name": "verdict",
            "to_name": "prompt",
            "type": "choices",
            "value": {
                "choices": [
                    label if agreement == "confirm" else ("not_hate" if label == "hate" else "hate")
                ]
            },
            "score": 0.8,
            "readonly": True,
        },
        {
            "from_name": "agreement",
            "to_name": "prompt",
            "type": "choices",
            "value": {"choices": [agreement]},
        },
    ]


def vote_result(decision: str, *reasons: str) -> list[dict[str, Any]]:
    """A manager's vote (as in tests/campaign_seed.py ``vote``)."""
    items = [
        {
            "from_name": "decision",
            "to_name": "sentence",
            "type": "choices",
            "value": {"choices": [decision]},
        }
    ]
    if reasons:
        items.append(
            {
                "from_name": "reasons",
                "to_name": "sentence",
                "type": "choices",
                "value": {"choices": list(reasons)},
            }
        )
    return items


def generation_tasks(n: int, writer_ids: list[int], rng: random.Random) -> list[dict[str, Any]]:
    from apeach_ls.prompts import default_prompts, task_data

    prompts = default_prompts()
    lines = [
        line.strip()
        for line in (BEEP_DIR / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()
    ]
    texts = [line for line in lines if line]
    tasks = []
    for i in range(n):
        prompt = prompts[i % len(prompts)]
        annotation = {
            "result": generation_result(
                texts[i % len(texts)],
                rng.choice(("hate", "not_hate")),
                "flip" if rng.random() < 0.15 else "confirm",
            ),
            "completed_by": writer_ids[i % len(writer_ids)],
            "lead_time": round(rng.uniform(10, 90), 1),
        }
        tasks.append(
            {"data": task_data(prompt, i // len(prompts) + 1), "annotations": [annotation]}
        )
    return tasks


def ballots(rng: random.Random) -> list[list[dict[str, Any]]]:
    """Three correlated votes on one sentence: ~80% of votes keep, ~20% drop with a reason."""
    if rng.random() < 0.8:  # a fine sentence: a manager drops it now and then
        return [
            vote_result("drop", rng.choice(REASONS)) if rng.random() < 0.05 else vote_result("keep")
            for _ in range(MANAGERS)
        ]
    reason = rng.choice(
        REASONS
    )  # a bad sentence: most managers drop it, mostly for the same reason
    return [
        vote_result("drop", reason if rng.random() < 0.85 else rng.choice(REASONS))
        if rng.random() < 0.85
        else vote_result("keep")
        for _ in range(MANAGERS)
    ]


def import_batches(client, project_id: int, tasks: list[dict[str, Any]], what: str) -> float:
    """Label Studio's bulk import, in batches of 1,000; returns the seconds spent in import calls."""
    total = 0.0
    for start in range(0, len(tasks), BATCH):
        seconds, _ = timed(
            lambda start=start: client.projects.import_tasks(
                id=project_id, request=tasks[start : start + BATCH], return_task_ids=True
            )
        )
        total += seconds
        log(f"  {what}: {min(start + BATCH, len(tasks)):,}/{len(tasks):,} ({total:.1f} s)")
    return total


def export_json(client, project_id: int) -> tuple[float, int, int]:
    """Seconds, bytes and tasks of one ``download_sync(export_type='JSON')``."""
    seconds, raw = timed(
        lambda: b"".join(client.projects.exports.download_sync(id=project_id, export_type="JSON"))
    )
    return seconds, len(raw), len(json.loads(raw))


# ---- timing the commands ---------------------------------------------------------------------------------


class StepClock:
    """When each step a command reports happened (seconds since the command started)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.times: list[tuple[str, float]] = []

    def __call__(self, step: str) -> None:
        self.times.append((step, time.perf_counter() - self.start))

    def of(self, step: str) -> list[float]:
        return [t for s, t in self.times if s == step]


def run_cli(
    argv: list[str], env: dict[str, str | None], http_timeout: float | None = None
) -> tuple[float, str, int, StepClock]:
    """Run ``apeach-ls ARGV`` in this process; its seconds, output, exit code and steps."""
    from click.testing import CliRunner

    from apeach_ls.cli import cli
    from apeach_ls.cli.common import StepWatcher

    if http_timeout is not None:  # --cli-http-timeout: the commands read LABEL_STUDIO_TIMEOUT
        env = {**env, "LABEL_STUDIO_TIMEOUT": str(http_timeout)}
    clock = StepClock()
    seconds, result = timed(
        lambda: CliRunner().invoke(
            cli, argv, env=env, catch_exceptions=True, obj=StepWatcher(clock)
        )
    )
    if result.exit_code != 0:
        if result.exc_info and not isinstance(result.exception, SystemExit):
            import traceback

            traceback.print_exception(*result.exc_info, file=sys.stderr)
        log(
            f"apeach-ls {' '.join(argv[:2])} FAILED (exit {result.exit_code}) after {seconds:.1f} s:\n"
            f"{result.output[-3000:]}"
        )
    return seconds, result.output, result.exit_code, clock


def failure_line(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    return (
        errors[-1] if errors else output.strip().splitlines()[-1] if output.strip() else "no output"
    )[:300]


def write_config(path: Path, campaign: str, managers: list[str], corpus: Path) -> Path:
    path.write_text(
        f"[campaign]\nname = {json.dumps(campaign)}\ndatabase = {json.dumps(str(path.parent / 'campaign.db'))}\n\n"
        f"[votes]\nmanagers = {json.dumps(managers)}\nk = {MANAGERS}\n\n"
        f"[aids]\nreference_corpora = {json.dumps([str(corpus)])}\n",
        encoding="utf-8",
    )
    return path


# ---- the run ---------------------------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float | None, float | None]] = []

    def add(self, step: str, seconds: float | None, baseline: float | None = None) -> None:
        self.rows.append((step, seconds, baseline))

    def render(self) -> str:
        width = max(len(r[0]) for r in self.rows) + 2
        lines = [
            f"{'step':<{width}}{'seconds':>9}{'baseline s':>12}{'ratio':>8}",
            "-" * (width + 29),
        ]
        for step, seconds, baseline in self.rows:
            s = f"{seconds:9.2f}" if seconds is not None else " " * 9
            b = f"{baseline:12.2f}" if baseline is not None else " " * 12
            r = f"{seconds / baseline:7.1f}x" if seconds is not None and baseline else " " * 8
            lines.append(f"{step:<{width}}{s}{b}{r}".rstrip())
        return "\n".join(lines)


def create_breakdown(table: Table, clock: StepClock, total: float) -> None:
    """What the steps ``votes create`` reported say about where its time went."""
    from apeach_ls.labelstudio.vote_round import VOTE_PROJECT_SET_UP, VOTE_TASKS_IMPORTED

    projects, batches = clock.of(VOTE_PROJECT_SET_UP), clock.of(VOTE_TASKS_IMPORTED)
    set_up = projects[-1] if projects else 0.0
    table.add(
        f"  until the {len(projects)} vote projects were set up (read submissions, projects)",
        set_up,
    )
    if batches:
        table.add(
            "  then until the 1st batch was imported (aids, list vote tasks, import)",
            batches[0] - set_up,
        )
        table.add(f"  then the other {len(batches) - 1} batches", batches[-1] - batches[0])
        table.add("  after the last batch (report)", total - batches[-1])


def library_create(
    table: Table,
    client,
    gen_pid: int,
    secret: str,
    config_path: Path,
    baseline_import: float,
) -> None:
    """The public functions ``votes create`` is built from, timed one by one (read-only, and
    the vote tasks of one manager imported into a scratch project)."""
    from apeach_ls import label_config
    from apeach_ls.aids import SubmissionText, compute_aids
    from apeach_ls.campaign_config import load_config
    from apeach_ls.labelstudio.submissions import export_tasks, read_submissions
    from apeach_ls.labelstudio.vote_round import add_vote_tasks
    from apeach_ls.prompts import task_prompt
    from apeach_ls.settings import receipt_key_of

    config = load_config(config_path, os.environ)
    seconds, _ = timed(lambda: export_tasks(client, gen_pid))
    table.add("  library: export_tasks (the generation project's JSON export)", seconds)
    key = receipt_key_of(secret)
    seconds, submissions = timed(lambda: list(read_submissions(client, gen_pid, key)))
    table.add("  library: read_submissions (export + parse + correct)", seconds)
    prompts = {}
    texts = []
    for s in submissions:
        prompt = task_prompt(s.prompt)
        prompts.setdefault(prompt.key, prompt)
        texts.append(SubmissionText(s.submission_id, s.corrected.text, prompt.key, s.writer_id))
    seconds, aids = timed(
        lambda: compute_aids(
            texts,
            prompts,
            config.reference_corpora,
            duplicate_threshold=config.duplicate_threshold,
            copy_threshold=config.copy_threshold,
            off_topic_below=config.off_topic_below,
            off_topic_without_words=config.off_topic_without_words,
        )
    )
    table.add(f"  library: compute_aids ({len(texts):,} submissions, no cache)", seconds)
    scratch = client.projects.create(
        title=f"{config.name} scratch (add_vote_tasks)", label_config=label_config.load("vote")
    )
    batches: list[str] = []
    seconds, _ = timed(
        lambda: add_vote_tasks(
            client, int(scratch.id), submissions, aids, key, BATCH, on_step=batches.append
        )
    )
    table.add(
        f"  library: add_vote_tasks, one manager ({len(submissions):,} tasks, "
        f"{len(batches)} batches; baseline 1/{MANAGERS} of the LS import)",
        seconds,
        baseline_import / MANAGERS,
    )
    client.projects.delete(id=int(scratch.id))


def library_tally(table: Table, client, gen_pid: int, secret: str, config_path: Path) -> None:
    """The public functions ``votes tally`` is built from, timed one by one (read-only)."""
    from apeach_ls.campaign_config import load_config
    from apeach_ls.labelstudio.submissions import read_submissions
    from apeach_ls.labelstudio.vote_round import (
        find_vote_projects,
        read_votes,
        tally_vote_projects,
        user_emails,
    )
    from apeach_ls.settings import receipt_key_of
    from apeach_ls.votes import counted_agreement

    config = load_config(config_path, os.environ)
    submissions = list(read_submissions(client, gen_pid, receipt_key_of(secret)))
    seconds, projects = timed(lambda: find_vote_projects(client, config.name, config.managers))
    table.add("  library: find_vote_projects (projects.list)", seconds)
    seconds, emails = timed(lambda: user_emails(client))
    table.add("  library: user_emails (users.list)", seconds)
    reading = 0.0
    for manager, pid in projects.by_manager.items():
        seconds, _ = timed(lambda p=pid, m=manager: read_votes(client, p, emails, m))
        reading += seconds
    table.add(
        f"  library: read_votes ({len(projects.by_manager)} projects: export + parse)", reading
    )
    seconds, (results, _) = timed(
        lambda: tally_vote_projects(
            client,
            projects,
            submissions,
            emails,
            config.managers,
            config.k,
            config.rule,
            receipt_key_of(secret),
        )
    )
    table.add("  library: tally_vote_projects (read_votes + tally)", seconds)
    seconds, _ = timed(lambda: counted_agreement(r.counted for r in results.values()))
    table.add("  library: counted_agreement (kappa, alpha)", seconds)


def bench(args: argparse.Namespace, work: Path, table: Table, notes: list[str]) -> None:
    from ls_users import sign_up  # tests/: sign-up through the invite link, as a person does

    from apeach_ls import label_config
    from apeach_ls.embedded import LS_START_TIMEOUT, AdminLogin, label_studio_process
    from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
    from apeach_ls.labelstudio.projects import find_project, setup_generation
    from apeach_ls.processes import free_port

    n = args.submissions
    rng = random.Random(args.seed)
    login = AdminLogin(
        username="admin@example.com",
        password=secrets.token_urlsafe(12),
        api_key=secrets.token_hex(20),
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log(f"starting Label Studio on {url} (data in {work})")
    process = label_studio_process(work, port, login).start()
    try:
        seconds, _ = timed(lambda: process.wait_healthy(LS_START_TIMEOUT))
        log(f"Label Studio healthy after {seconds:.1f} s")
        client = connect(
            LabelStudioSettings(url=url, api_key=login.api_key, timeout=args.http_timeout)
        )
        campaign = f"bench-{uuid.uuid4().hex[:8]}"
        secret = secrets.token_hex(
            32
        )  # the seeded verdicts carry no receipt: flagged, as in real use
        env: dict[str, str | None] = {
            "LABEL_STUDIO_URL": url,
            "LABEL_STUDIO_API_KEY": login.api_key,
            "LABEL_STUDIO_API_KEY_FILE": None,
            "APEACH_DATABASE_URL": None,
            "APEACH_CAMPAIGN_CONFIG": None,
            "APEACH_VERDICT_SECRET": secret,
            "APEACH_VERDICT_SECRET_FILE": None,
        }

        # 1. the campaign, its users and N submissions (setup: not a baseline)
        report = setup_generation(client, campaign, None)
        gen_pid = report.project_id

        def make_users():
            writers = [
                client.users.create(
                    username=f"{campaign}-w{i:03d}",
                    email=f"{campaign}-w{i:03d}@example.com",
                    first_name=f"W{i}",
                ).id
                for i in range(1, WRITERS + 1)
            ]
            managers = [f"{campaign}-m{i}@example.com" for i in range(1, MANAGERS + 1)]
            tokens = [sign_up(url, client, m, secrets.token_urlsafe(12)) for m in managers]
            return (
                writers,
                managers,
                [
                    connect(LabelStudioSettings(url=url, api_key=t, timeout=args.http_timeout))
                    for t in tokens
                ],
            )

        seconds, (writer_ids, managers, manager_clients) = timed(make_users)
        table.add(
            f"setup: {WRITERS} writers (users.create) + {MANAGERS} managers (invite sign-up)",
            seconds,
        )
        log(f"created {WRITERS + MANAGERS} users in {seconds:.1f} s; generation project {gen_pid}")
        tasks = generation_tasks(n, writer_ids, rng)
        seconds = import_batches(client, gen_pid, tasks, "generation tasks + annotations")
        table.add(f"setup: LS import {n:,} generation tasks + {n:,} annotations", seconds)
        del tasks
        config = write_config(
            work / "campaign.toml", campaign, managers, BEEP_DIR / "unlabeled_comments_5.txt"
        )

        # 2. votes create, and Label Studio's own import of the same vote tasks
        log("running: apeach-ls votes create")
        create_s, output, code, clock = run_cli(
            ["votes", "create", "--config", str(config)], env, args.cli_http_timeout
        )
        if code != 0:
            table.add(f"votes create FAILED: {failure_line(output)}", create_s)
            raise SystemExit("votes create failed; the rest depends on its vote project")
        for line in output.splitlines():
            if line.strip() and "adding vote tasks" not in line:
                log(f"  | {line}")
        vote_pids = [int(find_project(client, campaign, "vote", m).id) for m in managers]
        per_manager = [
            {
                t.data["submission_id"]: t.id
                for t in client.tasks.list(project=pid, fields="task_only", page_size=BATCH)
            }
            for pid in vote_pids
        ]
        for manager, tasks_of in zip(managers, per_manager):
            if len(tasks_of) != n:
                notes.append(
                    f"votes create made {len(tasks_of):,} vote tasks for {n:,} submissions in {manager}'s "
                    "project"
                )
        vote_tasks = sorted(
            (
                {"data": dict(t.data)}
                for t in client.tasks.list(
                    project=vote_pids[0], fields="task_only", page_size=BATCH
                )
            ),
            key=lambda t: t["data"]["submission_id"],
        )
        flagged = sum(1 for t in vote_tasks if "copy_paste" in (t["data"].get("aid_flags") or []))
        notes.append(
            f"aids: {flagged:,}/{len(vote_tasks):,} vote tasks flagged copy_paste (the texts ARE the "
            "reference corpus's lines)"
        )
        scratch = client.projects.create(
            title=f"{campaign} scratch (baseline)", label_config=label_config.load("vote")
        )
        log(
            f"baseline: LS import of the same {MANAGERS} x {len(vote_tasks):,} vote tasks into scratch project "
            f"{scratch.id}"
        )
        baseline_import = import_batches(
            client, int(scratch.id), vote_tasks * MANAGERS, "baseline vote tasks"
        )
        table.add("votes create", create_s, baseline_import)
        create_breakdown(table, clock, create_s)
        library_create(table, client, gen_pid, secret, config, baseline_import)
        table.add(
            f"  baseline: LS import {MANAGERS} x {len(vote_tasks):,} vote tasks ({BATCH:,}/call)",
            baseline_import,
        )
        seconds, _ = timed(lambda: client.projects.delete(id=int(scratch.id)))
        log(f"deleted the scratch project in {seconds:.1f} s")

        # 3. 3N votes in the managers' own projects
        plan = [ballots(rng) for _ in vote_tasks]
        submission_ids = [t["data"]["submission_id"] for t in vote_tasks]
        if args.import_votes:
            manager_ids = [c.users.whoami().id for c in manager_clients]
            for index, pid in enumerate(vote_pids):
                seconds, _ = timed(lambda pid=pid: client.tasks.delete_all_tasks(id=pid))
                for task, ballot in zip(vote_tasks, plan):
                    task["annotations"] = [
                        {
                            "result": ballot[index],
                            "completed_by": manager_ids[index],
                            "lead_time": round(rng.uniform(3, 20), 1),
                        }
                    ]
                seconds += import_batches(
                    client, pid, vote_tasks, f"{managers[index]}'s vote tasks + votes"
                )
                table.add(
                    f"setup: {managers[index].split('@')[0]}'s project: LS import {len(vote_tasks):,} vote "
                    "tasks + votes in their place",
                    seconds,
                )
            notes.append(
                "votes were bulk-imported (--import-votes): Label Studio records no updated_by for them, "
                "so the tally counts none"
            )
        else:
            lead_times = [
                round(rng.uniform(3, 20), 1) for _ in range(MANAGERS * len(submission_ids))
            ]

            def cast(index: int) -> None:
                """Manager ``index`` votes on every sentence in their own project, with their own token."""
                manager_client, tasks_of = manager_clients[index], per_manager[index]
                with ThreadPoolExecutor(VOTE_THREADS) as pool:
                    list(
                        pool.map(
                            lambda i: manager_client.annotations.create(
                                id=tasks_of[submission_ids[i]],
                                result=plan[i][index],
                                lead_time=lead_times[index * len(submission_ids) + i],
                            ),
                            range(len(submission_ids)),
                        )
                    )

            log(
                f"the {MANAGERS} managers cast {MANAGERS * len(submission_ids):,} votes with their own tokens ..."
            )
            with ThreadPoolExecutor(MANAGERS) as managers_at_once:
                seconds, _ = timed(lambda: list(managers_at_once.map(cast, range(MANAGERS))))
            log(f"  {MANAGERS * len(submission_ids):,} votes cast in {seconds:.1f} s")
            table.add(
                f"setup: {MANAGERS} managers cast {MANAGERS * len(submission_ids):,} votes with their own "
                f"tokens (annotations.create, {VOTE_THREADS} threads each)",
                seconds,
            )

        del vote_tasks

        # 4. votes tally, and Label Studio's own exports of the same data
        log("running: apeach-ls votes tally")
        tally_s, output, code, _ = run_cli(
            ["votes", "tally", "--config", str(config)], env, args.cli_http_timeout
        )
        if code != 0:
            notes.append(f"votes tally FAILED after {tally_s:.1f} s: {failure_line(output)}")
        for line in output.splitlines():
            if line.strip():
                log(f"  | {line}")
                if re.match(r"^\d+ submissions: ", line) or line.startswith(
                    ("drop reasons", "votes not counted", "managers'", "  keep/drop")
                ):
                    notes.append(f"tally: {line.strip()}")
        log("baseline: LS exports (JSON) of the generation and the managers' vote projects")
        gen_s, gen_bytes, gen_tasks = export_json(client, gen_pid)
        vote_exports = [export_json(client, pid) for pid in vote_pids]
        vote_s = sum(e[0] for e in vote_exports)
        table.add(
            "votes tally" + (" (FAILED, see below)" if code != 0 else ""), tally_s, gen_s + vote_s
        )
        library_tally(table, client, gen_pid, secret, config)
        table.add(
            f"  baseline: LS export generation ({gen_tasks:,} tasks, {gen_bytes / 2**20:.1f} MiB)",
            gen_s,
        )
        for manager, (seconds, size, tasks_n) in zip(managers, vote_exports):
            table.add(
                f"  baseline: LS export {manager.split('@')[0]}'s votes ({tasks_n:,} tasks, "
                f"{size / 2**20:.1f} MiB)",
                seconds,
            )

        seconds, _ = timed(
            lambda: subprocess.run(
                [sys.executable, "-m", "apeach_ls.cli", "--help"],
                cwd=REPO,
                capture_output=True,
                check=True,
                timeout=120,
            )
        )
        table.add(
            "info: CLI start-up (python -m apeach_ls.cli --help; not included above)", seconds
        )
    finally:
        log("stopping Label Studio")
        process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--submissions", type=int, default=10_000, help="writers' submissions (votes: 3 each)"
    )
    parser.add_argument("--quick", action="store_true", help="1,000 submissions")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the labels and votes")
    parser.add_argument(
        "--http-timeout", type=float, default=600.0, help="the seeding client's HTTP timeout (s)"
    )
    parser.add_argument(
        "--cli-http-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="the commands' HTTP timeout (LABEL_STUDIO_TIMEOUT; default 900 s)",
    )
    parser.add_argument(
        "--import-votes",
        action="store_true",
        help="seed the votes by bulk import (fast, but the tally then counts none of them)",
    )
    parser.add_argument(
        "--max-minutes", type=float, default=60.0, help="abort (and clean up) after this long"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary data dir (Label Studio DB, log)"
    )
    args = parser.parse_args()
    if args.quick:
        args.submissions = 1_000
    if args.submissions < 1:
        parser.error("--submissions must be at least 1")
    if not (BEEP_DIR / "unlabeled_comments_5.txt").exists():
        parser.error(f"BEEP! unlabeled comments not found in {BEEP_DIR}; set APEACH_BEEP_DIR")
    work = Path(tempfile.mkdtemp(prefix="bench-votes-"))
    table, notes = Table(), []
    load_before = os.getloadavg()
    try:
        with deadline(args.max_minutes):
            bench(args, work, table, notes)
    except BaseException:
        log(f"failed; Label Studio's log: {work / 'logs' / 'label-studio.log'}")
        args.keep = True
        if table.rows:
            print(f"INCOMPLETE apeach-ls votes benchmark ({args.submissions:,} submissions)")
            print(table.render())
            print("\n".join(notes), flush=True)
        raise
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    timeout = (
        f"{args.cli_http_timeout:g} s (--cli-http-timeout)"
        if args.cli_http_timeout
        else "900 s (as shipped)"
    )
    print(
        f"apeach-ls votes benchmark: {args.submissions:,} submissions, {MANAGERS * args.submissions:,} votes, "
        f"Label Studio on 127.0.0.1 (SQLite); load average {load_before[0]:.1f} -> {load_after[0]:.1f} "
        f"on {os.cpu_count()} CPUs; the commands' HTTP timeout {timeout}"
    )
    print(table.render())
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
