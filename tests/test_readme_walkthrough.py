"""The README's campaign walkthrough, run exactly as written against `apeach-ls up`.

The README's bash blocks run verbatim in bash, in a folder laid out like a checkout (with
`.venv/bin/activate` putting `apeach-ls` on PATH, and BEEP! in `../shared/data/beep`).
Between them, writers and managers do what the README says they do in the browser, here
through Label Studio's API with their own accounts (signed up through the invite link).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from campaign_seed import vote
from ls_users import sign_up
from readme import bash_blocks, section
from up_run import UpRun, ask_verdict, clean_env

from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
from apeach_ls.labelstudio.projects import find_project
from apeach_ls.processes import free_port

pytestmark = pytest.mark.integration

WALKTHROUGH = "## A campaign on the embedded default, start to finish"
MANAGERS = ["m1@example.org", "m2@example.org", "m3@example.org"]
# (writer, intent, sentence): what the two writers of the README's roster write
SENTENCES = [
    ("w1@example.org", "hate", "여자는 집에서 밥이나 하라는 말은 아직도 흔하다 여자들은 다 멍청해"),
    (
        "w1@example.org",
        "not_hate",
        "나이가 어리다고 의견을 무시하지 말고 끝까지 들어 주세요",
    ),  # called hate: flipped
    (
        "w1@example.org",
        "hate",
        "지방대 나온 사람한테 일을 맡기기는 좀 그렇지 않나요",
    ),  # called not hate: flipped
    ("w2@example.org", "not_hate", "채식하는 친구를 위해 메뉴를 같이 골랐어요"),
    ("w2@example.org", "hate", "어느 지역 출신은 다 사기꾼이라 믿으면 안 된다"),
]
DROPPED = "채식하는 친구를 위해 메뉴를 같이 골랐어요"  # two managers drop it as off topic


def checkout(tmp_path: Path, beep_dir: Path) -> Path:
    """A folder like the repository's: .venv/bin/activate puts apeach-ls (this code) on PATH,
    and BEEP! is in ../shared/data/beep as on the machines the README describes."""
    repo = tmp_path / "repo"
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "apeach-ls").write_text(f'#!/bin/sh\nexec {sys.executable} -m apeach_ls.cli "$@"\n')
    (bin_dir / "apeach-ls").chmod(0o755)
    (bin_dir / "activate").write_text(
        f'export VIRTUAL_ENV={repo / ".venv"}\nexport PATH="$VIRTUAL_ENV/bin:$PATH"\n'
    )
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "beep").symlink_to(beep_dir)
    return repo


def run_block(blocks: list[str], index: int, cwd: Path) -> str:
    """Block ``index`` verbatim, after the lines of earlier blocks that set the environment
    (as the README's reader's terminal keeps them)."""
    earlier = [
        line
        for block in blocks[:index]
        for line in block.splitlines()
        if line.startswith(("source ", "eval ", "export "))
    ]
    script = "set -euo pipefail\n" + "\n".join(earlier) + "\n" + blocks[index]
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"README block {index} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def write_sentences(ls_url: str, admin, tokens: dict[str, str]) -> int:
    """Each writer writes as in the browser: intent, sentence, Enter (the verdict comes from
    the backend through Label Studio), confirm or flip, submit; with their own token."""
    project = find_project(admin, "apeach", "generation")
    tasks = [t.id for t in admin.tasks.list(project=project.id, fields="task_only")]
    [ml] = admin.ml.list(project=project.id)
    flipped = 0
    for (writer, intent, text), task_id in zip(SENTENCES, tasks):
        answer = ask_verdict(ls_url, tokens[writer], ml.id, task_id, text, intent)
        verdict = next(i for i in answer["result"] if i["from_name"] == "verdict")
        agreement = "confirm" if verdict["value"]["choices"] == [intent] else "flip"
        flipped += agreement == "flip"
        result = [
            {
                "from_name": "intent",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [intent]},
            },
            {
                "from_name": "text",
                "to_name": "prompt",
                "type": "textarea",
                "value": {"text": [text]},
            },
            *[i for i in answer["result"] if i["from_name"] not in ("intent", "text", "agreement")],
            {
                "from_name": "agreement",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [agreement]},
            },
        ]
        connect(LabelStudioSettings(url=ls_url, api_key=tokens[writer])).annotations.create(
            id=task_id, result=result
        )
    return flipped


def cast_votes(ls_url: str, admin, tokens: dict[str, str]) -> None:
    """Every manager votes on every vote task with their own token: keep, except DROPPED,
    which two of three drop as off topic. (One place to adapt when votes change shape.)"""
    for n, manager in enumerate(MANAGERS):
        project = find_project(admin, "apeach", "vote", manager)  # each manager's own vote project
        client = connect(LabelStudioSettings(url=ls_url, api_key=tokens[manager]))
        for task in admin.tasks.list(project=project.id, fields="task_only"):
            decision = (
                vote("drop", "off_topic")
                if task.data["text"] == DROPPED and n < 2
                else vote("keep")
            )
            client.annotations.create(id=task.id, result=decision)


def test_the_readme_walkthrough_runs_as_written(tmp_path, beep_dir):
    blocks = bash_blocks(section(WALKTHROUGH))
    assert len(blocks) == 3, "the walkthrough's blocks changed: update the actions between them"
    repo = checkout(tmp_path, beep_dir)
    port, ml_port = free_port(), free_port()
    up = UpRun(
        ["--port", str(port), "--ml-port", str(ml_port), "--per-topic", "1"], clean_env(), cwd=repo
    )
    up.wait_for("ready.")
    ls_url = f"http://127.0.0.1:{port}"
    admin = connect(
        LabelStudioSettings(
            url=ls_url,
            api_key=(repo / "apeach-ls-data" / "label-studio-api-key").read_text().strip(),
        )
    )

    out = run_block(blocks, 0, repo)
    assert (
        "m1@example.org: missing: needs to sign up" in out
        and f"invite link (sign up with the e-mail above): {ls_url}/user/signup/?token=" in out
    )

    tokens = {
        email: sign_up(ls_url, admin, email, "pass-" + email.split("@")[0] + "-123")
        for email in MANAGERS + ["w1@example.org", "w2@example.org"]
    }
    flipped = write_sentences(ls_url, admin, tokens)
    assert flipped == 2  # the built-in model was fooled twice

    out = run_block(blocks, 1, repo)
    assert all(f"{m}: has an account" in out for m in MANAGERS)
    assert all(f"{m}: 5 vote tasks added, 0 already there" in out for m in MANAGERS)
    with open(repo / "submissions.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["text"] for row in rows} == {text for _, _, text in SENTENCES}
    assert not any(row["flags"] for row in rows), (
        rows
    )  # every verdict's receipt verified: honest writers

    cast_votes(ls_url, admin, tokens)
    out = run_block(blocks, 2, repo)
    assert "5 submissions: 4 accepted, 1 dropped, 0 pending (rule majority, k=3)" in out
    # one round: 5 submitted, 2 fooled (both accepted: verified), the dropped one not fooled
    metrics = [line.split() for line in out.splitlines() if line.startswith("round-1 ")]
    assert metrics == [["round-1", "5", "2", "40.0%", "2", "40.0%", "1"]], out
    assert "2 writers added, 0 updated, 0 unchanged" in out
    assert "batch 1: files written to" in out and "batch 1 confirmed paid at" in out
    with open(repo / "release" / "apeach.csv", encoding="utf-8", newline="") as fh:
        released = list(csv.DictReader(fh))
    assert {row["text"] for row in released} == {text for _, _, text in SENTENCES} - {DROPPED}
    assert {row["user_gender"] for row in released} == {"female", "male"}
    assert (repo / "report" / "report.html").is_file() and (
        repo / "overlap" / "overlap.csv"
    ).is_file()
    assert any((repo / "payouts").iterdir())
    out = up.stop()
    assert "stopped." in out and up.process.returncode == 0
