"""The campaign object: the one place that reads the config, the campaign database and Label
Studio together. Label Studio is never reached here: the campaign gets a connector that fails
the test when called."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import apeach_ls
from apeach_ls.campaign import Campaign, outcomes_line, submission_prompts
from apeach_ls.campaign_config import load_config
from apeach_ls.correction import CorrectedSubmission
from apeach_ls.database import open_database
from apeach_ls.errors import ApeachError
from apeach_ls.labelstudio.submissions import Submission
from apeach_ls.votes.agreement import decision_agreement, tally_agreement
from apeach_ls.votes.model import TallyResult
from apeach_ls.votes.store import save_tallies

PACKAGE = Path(apeach_ls.__file__).parent

# The campaign's parts: reading Label Studio's projects, and the campaign database's tables.
LABEL_STUDIO_PARTS = (
    "apeach_ls.labelstudio.submissions",
    "apeach_ls.labelstudio.vote_round",
    "apeach_ls.labelstudio.projects",
)
DATABASE_PARTS = ("apeach_ls.database", "apeach_ls.votes.store")
CONFIG = ("apeach_ls.campaign_config",)


def imported_modules(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """Every apeach_ls module ``path`` imports (at the top or inside functions), except for
    type annotations only."""
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    tree = ast.parse(path.read_text(encoding="utf-8"))
    types_only = {  # imports under `if TYPE_CHECKING:` name types and read nothing
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in types_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return {m for m in found if m.startswith("apeach_ls")}


def uses(imports: set[str], parts: tuple[str, ...]) -> bool:
    return any(m == p or m.startswith(p + ".") for m in imports for p in parts)


def product_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.resolve().is_relative_to(PACKAGE))


def test_the_import_inspection_sees_relative_and_late_imports(tmp_path):
    # the check below can fail: the campaign module itself is seen reading every part
    imports = imported_modules(PACKAGE / "campaign.py")
    assert uses(imports, LABEL_STUDIO_PARTS) and uses(imports, DATABASE_PARTS)
    sample = tmp_path / "apeach_ls" / "cli" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..votes import store\n"
        "def f():\n    from ..labelstudio.submissions import read_submissions\n",
        encoding="utf-8",
    )
    assert imported_modules(sample, root=tmp_path) == {
        "apeach_ls.labelstudio.submissions",
        "apeach_ls.labelstudio.submissions.read_submissions",
    }


def test_only_the_campaign_reads_label_studio_and_the_database_together():
    together = [
        str(path.relative_to(PACKAGE))
        for path in product_modules()
        if path.name != "campaign.py" or path.parent != PACKAGE
        if uses(imported_modules(path), LABEL_STUDIO_PARTS)
        and uses(imported_modules(path), DATABASE_PARTS)
    ]
    assert together == []


@pytest.mark.parametrize(
    "command",
    ["votes", "rewards", "release", "submissions", "rounds", "validation", "writer_quality"],
)
def test_campaign_commands_read_no_part_of_the_campaign_themselves(command):
    imports = imported_modules(PACKAGE / "cli" / f"{command}.py")
    assert not uses(imports, LABEL_STUDIO_PARTS + DATABASE_PARTS + CONFIG), sorted(imports)
    assert "apeach_ls.cli.common.open_campaign" in imports or (
        "apeach_ls.cli.common.campaign_named" in imports
    )


def no_label_studio():
    pytest.fail("Label Studio was read")


def no_key():
    pytest.fail("the verdict key was read")


@pytest.fixture
def campaign(tmp_path):
    config = tmp_path / "campaign.toml"
    config.write_text(
        '[campaign]\nname = "c1"\ndatabase = "c1.db"\n[votes]\nmanagers = ["m@example.org"]\nk = 1\n',
        encoding="utf-8",
    )
    said = []
    return Campaign(
        load_config(config, env={}),
        label_studio=no_label_studio,
        verdict_key=no_key,
        progress=said.append,
    )


def result(submission_id, outcome, keeps, drops, reason_counts=None):
    return TallyResult(submission_id, outcome, frozenset(), keeps, drops, reason_counts or {})


def test_agreement_reads_the_stored_tallies_not_label_studio(campaign):
    results = [
        result(1, "accepted", 3, 0),
        result(2, "dropped", 1, 2, {"copied": 2, "off_topic": 1}),
        result(3, "accepted", 2, 1, {"copied": 1}),
        result(4, "pending", 1, 0),
    ]
    save_tallies(open_database(campaign.config.database), results)
    agreement = campaign.agreement()
    assert agreement == tally_agreement(
        [(3, 0, {}), (1, 2, {"copied": 2, "off_topic": 1}), (2, 1, {"copied": 1}), (1, 0, {})]
    )
    assert agreement.decision == decision_agreement([(3, 0), (1, 2), (2, 1), (1, 0)]).decision
    assert agreement.decision.krippendorff_alpha.items == 3  # the one-vote item cannot pair
    assert agreement.reasons["copied"].krippendorff_alpha.items == 3


def test_tallies_stored_before_reason_counts_were_kept_say_to_tally_again(campaign, tmp_path):
    engine = open_database(campaign.config.database)
    save_tallies(engine, [result(1, "dropped", 0, 2, {"copied": 2}), result(2, "accepted", 2, 0)])
    with engine.begin() as conn:  # as an earlier version stored it
        conn.exec_driver_sql("UPDATE vote_tallies SET reason_counts = NULL WHERE submission_id = 1")
    said = []
    agreement = Campaign(
        campaign.config, label_studio=no_label_studio, verdict_key=no_key, progress=said.append
    ).agreement()
    assert agreement.reasons == {} and agreement.decision.krippendorff_alpha.items == 2
    assert said == [
        "note: agreement per reason needs the tallies' reason counts; run: "
        f"apeach-ls votes tally --config {campaign.config.path}"
    ]


def test_without_a_stored_tally_it_says_so_and_names_the_command(campaign):
    message = (
        "No submission of campaign 'c1' has been tallied yet, so nothing is accepted. "
        f"Run: apeach-ls votes tally --config {campaign.config.path}"
    )
    with pytest.raises(ApeachError) as no_database:
        campaign.agreement()
    open_database(campaign.config.database)  # a database without any tally
    with pytest.raises(ApeachError) as no_tally:
        Campaign(campaign.config, label_studio=no_label_studio, verdict_key=no_key).agreement()
    assert str(no_database.value) == str(no_tally.value) == message


def test_agreement_without_two_counted_votes_on_any_submission_is_none(campaign):
    save_tallies(open_database(campaign.config.database), [result(1, "pending", 1, 0)])
    assert campaign.agreement() is None


def submission(submission_id, prompt):
    corrected = CorrectedSubmission("문장", "hate", None, None, "hate", False, frozenset())
    return Submission(submission_id, 1, 7, prompt, "", None, corrected)


def test_prompts_come_from_the_stored_topic_key_and_from_prompt_id_for_older_tasks():
    new = {"prompt_id": "x-0001", "topic_key": "appearance", "topic": "외모", "guideline": "g"}
    old = {"prompt_id": "racism-0003", "topic": "인종", "topic_eng": "Racism"}
    prompts = submission_prompts([submission(1, new), submission(2, old), submission(3, old)])
    assert sorted(prompts) == ["appearance", "racism"]
    assert (prompts["appearance"].topic, prompts["racism"].topic_eng) == ("외모", "Racism")


def test_outcomes_line_names_every_outcome():
    assert outcomes_line(["dropped", "accepted", "dropped"]) == "1 accepted, 2 dropped, 0 pending"


def test_a_campaign_known_by_name_needs_its_config_for_the_database():
    named = Campaign.named("c2", label_studio=no_label_studio, verdict_key=no_key)
    with pytest.raises(ApeachError, match="campaign 'c2': this needs the campaign config"):
        named.database()


def test_a_stored_acceptance_holds_only_for_the_version_of_the_sentence_it_tallied():
    """The writer rewrote submission 2 after the tally: payouts and the release take it as
    pending until the managers vote on the new version; a tally stored before versions
    (None) and one still about the current version are taken as they are."""
    from apeach_ls.campaign import rewritten_since_tally
    from apeach_ls.votes.store import StoredTally

    def stored(sid, outcome, version):
        return StoredTally(
            sid, outcome, ("copied",) if outcome == "dropped" else (), 3, 0, "t", version
        )

    tallies = {
        1: stored(1, "accepted", "v1"),
        2: stored(2, "accepted", "v2"),
        3: stored(3, "accepted", None),
        4: stored(4, "dropped", "v4"),
    }
    held = rewritten_since_tally(tallies, {1: "v1", 2: "v2-new", 3: "v3", 4: "v4-new"})
    assert {sid: t.outcome for sid, t in held.items()} == {
        1: "accepted",
        2: "pending",
        3: "accepted",
        4: "pending",
    }
    assert held[1] is tallies[1] and held[4].reasons == ()
