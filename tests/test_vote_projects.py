"""Each manager's own vote project: its options and the warnings about a campaign's vote projects (no server)."""

from __future__ import annotations

from apeach_ls.labelstudio.projects import marker
from apeach_ls.labelstudio.vote_round import TITLE_MAX, VoteProjects, vote_options


def test_a_managers_vote_project_is_marked_with_the_manager_and_takes_one_vote_per_task():
    options = vote_options("apeach-2026", "m1@example.org")
    assert (
        "[apeach-ls campaign=apeach-2026 role=vote manager=m1@example.org]"
        in options["description"]
    )
    assert options["maximum_annotations"] == 1
    assert options["title"] == "apeach-2026 · vote · m1@example.org"


def test_a_long_title_is_cut_to_label_studios_limit_but_the_marker_keeps_the_whole_e_mail():
    manager = "a.very.long.manager.name@research-institute.example.org"
    options = vote_options("campaign-with-a-long-name-2026", manager)
    assert len(options["title"]) == TITLE_MAX and options["title"].endswith("…")
    assert marker("campaign-with-a-long-name-2026", "vote", manager) in options["description"]


def test_the_markers_of_the_shared_and_the_managers_projects_do_not_contain_each_other():
    shared, own = marker("c", "vote"), marker("c", "vote", "m1@example.org")
    assert shared not in own and own not in shared


def test_warnings_name_the_old_shared_project_and_the_managers_without_a_project():
    projects = VoteProjects({"m1@example.org": 5}, shared=2)
    lines = projects.warnings("c", ["m1@example.org", "m2@example.org"])
    assert len(lines) == 2
    assert lines[0].startswith("vote project 2 is the campaign's old shared vote project")
    assert (
        "its votes are not counted" in lines[0] and "[apeach-ls campaign=c role=vote]" in lines[0]
    )
    assert lines[1] == (
        "manager m2@example.org has no vote project yet, so none of their votes count; "
        "run: apeach-ls votes create"
    )
    assert VoteProjects({"m1@example.org": 5}).warnings("c", ["m1@example.org"]) == []


def test_a_submission_whose_verdict_did_not_verify_shows_managers_a_hint():
    from verdicts import KEY, context, generation_result

    from apeach_ls.correction import correct
    from apeach_ls.labelstudio.submissions import Submission
    from apeach_ls.labelstudio.vote_round import UNVERIFIED_HINT_KO, vote_task

    def submission(signed):
        corrected = correct(
            generation_result("아무 문장", "hate", ("not_hate", 0.99), "flip", signed=signed),
            receipts=context(),
        )
        return Submission(
            submission_id=7,
            task_id=1,
            writer_id=3,
            prompt={"topic": "t"},
            created_at="",
            lead_time=None,
            corrected=corrected,
        )

    forged = vote_task(submission(signed=False), None, KEY)["data"]
    assert forged["aid_flags"] == ["verdict_unverified"] and forged["aids"] == UNVERIFIED_HINT_KO
    honest = vote_task(submission(signed=True), None, KEY)["data"]
    assert honest["aid_flags"] == [] and honest["aids"] == ""
    # and nothing about the label or the verdict reaches the managers
    assert not {"label", "verdict", "intent", "writer_id"} & set(forged)


def test_a_vote_task_binds_its_votes_to_one_version_of_the_sentence():
    """The vote task carries a version of the sentence: another text, intent or label is another
    version, and the version does not give away the label the task hides."""
    from dataclasses import replace

    from verdicts import KEY, context, generation_result

    from apeach_ls.correction import correct
    from apeach_ls.labelstudio.submissions import Submission
    from apeach_ls.labelstudio.vote_round import shown_in_tasks, shown_to_managers, vote_task
    from apeach_ls.receipts import ReceiptKey

    corrected = correct(
        generation_result("원래 문장", "hate", ("hate", 0.9), "confirm"), receipts=context()
    )
    sub = Submission(1, 1, 3, {"topic": "t"}, "", None, corrected)
    data = vote_task(sub, None, KEY)["data"]
    shown = shown_to_managers(sub, KEY)
    assert data["sentence_version"] == shown.version and data["text"] == "원래 문장"
    versions = {
        shown.version,
        shown_to_managers(
            replace(sub, corrected=replace(corrected, text="바꾼 문장")), KEY
        ).version,
        shown_to_managers(
            replace(sub, corrected=replace(corrected, intent="not_hate")), KEY
        ).version,
        shown_to_managers(
            replace(sub, corrected=replace(corrected, label="not_hate")), KEY
        ).version,
        shown_to_managers(replace(sub, submission_id=2), KEY).version,
        shown_to_managers(sub, ReceiptKey("another secret of 16+ chars")).version,
    }
    assert len(versions) == 6  # each change is another version; a key is needed to make one
    assert "hate" not in str(data["sentence_version"])
    # the tasks a project holds: a task made before versions binds to its text only
    held = shown_in_tasks([data, {"submission_id": 1, "text": "옛 문장"}, {"text": "x"}])
    assert [s.still(shown) for s in held[1]] == [True, False] and set(held) == {1}
