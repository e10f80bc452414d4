"""End to end against a real Label Studio: writers' submissions over three topics, a roster
and a vote tally in the campaign database, then `apeach-ls export` and `apeach-ls report`.
Two writers wrote one sentence with different classes (issue 11, case 4): both are held back."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from verdicts import generation_result

from apeach_ls.cli.release import export, report
from apeach_ls.database import open_database
from apeach_ls.labelstudio.projects import setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.labelstudio.vote_round import user_emails
from apeach_ls.prompts import default_prompts
from apeach_ls.rewards.roster import Accounts, import_roster
from apeach_ls.votes.model import TallyResult
from apeach_ls.votes.store import save_tallies

pytestmark = pytest.mark.integration

TRICKY = 'ooo 같은 사람들은, 진짜 "별로"야\n두 줄로 써 봄'


def result(
    text: str,
    intent: str,
    verdict: str,
    score: float,
    agreement: str,
    project_id: int,
    task_id: int,
) -> list[dict]:
    return generation_result(text, intent, (verdict, score), agreement, project_id, task_id)


def test_export_releases_exactly_the_accepted_sentences(label_studio, campaign, tmp_path):
    client = label_studio.client()
    project_id = setup_generation(client, campaign, None).project_id
    topics = default_prompts()[:3]
    import_prompts(client, project_id, topics, 4)
    tasks: dict[str, list[int]] = {}
    for task in client.tasks.list(project=project_id, fields="task_only"):
        tasks.setdefault(task.data["topic"], []).append(task.id)
    writers = [
        client.users.create(
            username=f"{campaign}-w{i}", email=f"{campaign}-w{i}@example.com", first_name=f"W{i}"
        )
        for i in range(4)
    ]

    def submit(topic: int, writer: int, text: str, *how) -> int:
        task_id = tasks[topics[topic].topic].pop()
        return client.annotations.create(
            id=task_id,
            result=result(text, *how, project_id, task_id),
            completed_by=writers[writer].id,
            lead_time=8.0,
        ).id

    # (annotation id, text, topic, writer, class) of what must be released
    s1 = submit(0, 0, "여자들은 원래 다 그래, 운전도 못하고", "hate", "hate", 0.91, "confirm")
    s2 = submit(
        0, 1, "남자든 여자든 능력대로 평가받아야지", "not_hate", "hate", 0.71, "flip"
    )  # fooled
    s3 = submit(1, 2, TRICKY, "not_hate", "not_hate", 0.82, "confirm")
    s4 = submit(
        1, 3, "그런 사람들은 다 이상하다니까", "hate", "not_hate", 0.64, "flip"
    )  # fooled, no roster
    s5 = submit(2, 0, "인터넷에서 퍼온 문장", "hate", "hate", 0.88, "confirm")  # dropped
    s6 = submit(2, 1, "아직 투표 중인 문장", "not_hate", "not_hate", 0.77, "confirm")  # pending
    s7 = submit(2, 2, "얼굴 보니 성격 알겠네 ㅋㅋ", "hate", "hate", 0.93, "confirm")
    submit(0, 1, "아직 집계되지 않은 문장", "not_hate", "not_hate", 0.6, "confirm")  # never tallied
    # held back: the same sentence accepted as Spoiled and as Default (spacing differs), and s7 written again
    s8 = submit(1, 0, "같은 문장을 두 사람이 썼다", "hate", "hate", 0.9, "confirm")
    s9 = submit(2, 1, "같은 문장을  두 사람이 썼다 ", "not_hate", "not_hate", 0.8, "confirm")
    s10 = submit(0, 3, "얼굴 보니 성격 알겠네 ㅋㅋ", "hate", "hate", 0.93, "confirm")

    database = tmp_path / "campaign.db"
    config = tmp_path / "campaign.toml"
    config.write_text(
        f'[campaign]\nname = "{campaign}"\ndatabase = "{database}"\n', encoding="utf-8"
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "ls_user,platform,platform_id,age,gender,name\n"
        f"{writers[0].id},manual,P-one,19,female,Kim\n"
        f"{campaign}-W1@Example.com,manual,P-two,37,male,Lee\n"
        f"{writers[2].id},manual,P-three,68,Female,Park\n",
        encoding="utf-8",
    )
    engine = open_database(database)
    import_roster(engine, roster, Accounts(user_emails(client)))
    accepted = [
        TallyResult(sid, "accepted", frozenset(), 3, 0) for sid in (s1, s2, s3, s7, s8, s9, s10)
    ]
    save_tallies(
        engine,
        [
            *accepted,
            TallyResult(s4, "accepted", frozenset(), 2, 1),
            TallyResult(s5, "dropped", frozenset({"copied"}), 1, 2),
            TallyResult(s6, "pending", frozenset(), 1, 0),
        ],
    )

    env = {
        "LABEL_STUDIO_URL": label_studio.url,
        "LABEL_STUDIO_API_KEY": label_studio.api_key,
        "APEACH_DATABASE_URL": None,
        "APEACH_LS_MODEL": None,
    }
    out = tmp_path / "release"
    run = CliRunner().invoke(export, ["--config", str(config), "--out", str(out)], env=env)
    assert run.exit_code == 0, run.output
    assert "5 accepted sentences (3 Spoiled, 2 Default) over 3 topics" in run.output
    assert (
        "3 accepted submissions were held back (sentences compared after Unicode NFKC and whitespace "
        "collapsing): 2 conflicts (1 sentence accepted with both classes, not released); 1 duplicate of a "
        "released sentence with the same class."
    ) in run.output
    assert (
        f"held back submission {s8} (Spoiled): conflict: same sentence as submission {s9} with class Default"
        in run.output
    )
    assert (
        f"held back submission {s9} (Default): conflict: same sentence as submission {s8} with class Spoiled"
        in run.output
    )
    assert (
        f"held back submission {s10} (Spoiled): duplicate: same sentence and class as submission {s7}, "
        "which is released"
    ) in run.output

    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(out / "apeach.csv", keep_default_na=False, dtype=str)
    t = [(p.topic, p.topic_eng) for p in topics]
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        ("여자들은 원래 다 그래, 운전도 못하고", "19", "female", t[0][0], "Spoiled", "20", t[0][1]),
        ("남자든 여자든 능력대로 평가받아야지", "37", "male", t[0][0], "Default", "35", t[0][1]),
        (TRICKY, "68", "female", t[1][0], "Default", "65", t[1][1]),
        ("그런 사람들은 다 이상하다니까", "", "", t[1][0], "Spoiled", "", t[1][1]),
        ("얼굴 보니 성격 알겠네 ㅋㅋ", "68", "female", t[2][0], "Spoiled", "65", t[2][1]),
    ]
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(
        "csv",
        data_files=str(out / "apeach.csv"),
        keep_default_na=False,
        cache_dir=str(tmp_path / "hf-cache"),
        split="train",
    )
    assert loaded["text"] == frame["text"].tolist() and loaded["class"] == frame["class"].tolist()

    extended = [
        json.loads(line)
        for line in (out / "extended.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [e["annotation_id"] for e in extended] == [s1, s2, s3, s4, s7]
    assert [e["fooled"] for e in extended] == [False, True, False, True, False]
    assert extended[0]["id"] == f"apeach-ls:{campaign}:{s1}"
    assert (extended[3]["keeps"], extended[3]["drops"], extended[3]["verdict_score"]) == (
        2,
        1,
        0.64,
    )
    assert extended[2]["writer"] == extended[4]["writer"] != extended[0]["writer"]
    everything = "".join(
        p.read_text(encoding="utf-8", errors="ignore") for p in out.rglob("*") if p.is_file()
    )
    assert (
        "@example.com" not in everything.lower()
        and "P-one" not in everything
        and "Kim" not in everything
    )

    again = CliRunner().invoke(export, ["--config", str(config), "--out", str(out)], env=env)
    assert again.exit_code == 1 and "Use --replace" in again.output
    replaced = tmp_path / "release2"
    assert (
        CliRunner()
        .invoke(export, ["--config", str(config), "--out", str(replaced)], env=env)
        .exit_code
        == 0
    )
    for name in ("apeach.csv", "extended.jsonl", "extended.parquet", "README.md"):
        assert (out / name).read_bytes() == (replaced / name).read_bytes(), name

    page = tmp_path / "report"
    run = CliRunner().invoke(report, ["--config", str(config), "--out", str(page)], env=env)
    assert run.exit_code == 0, run.output
    html = (page / "report.html").read_text(encoding="utf-8")
    assert html.count("<figure ") >= 6 and "<td>dropped</td><td>1</td>" in html
    held = html[html.index("<h2>Held back from the release</h2>") : html.index("<h2>Managers")]
    assert (
        f"<td>{s8}</td><td>conflict</td><td>Spoiled</td>" in held
        and f"<td>{s9}</td><td>conflict</td><td>Default</td>" in held
        and f"<td>{s10}</td><td>duplicate</td><td>Spoiled</td>" in held
    )
    assert "held back: conflicts (same sentence, both classes)</td><td>2</td>" in html
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "3 accepted submissions were held back" in card
