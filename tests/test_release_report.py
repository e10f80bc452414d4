"""The release report: self-contained HTML whose figures load in a real browser (Debian
chromium via Playwright), the same figures as PNG files, and a deterministic rendering."""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from release_samples import fooling_sample, sample_rows, sample_tallies

from apeach_ls.release.campaign_figures import agreement_rows
from apeach_ls.release.consistency import hold_back_repeats
from apeach_ls.release.figures import cjk_font, topic_labeler
from apeach_ls.release.report import ReportData, render_html, write_report
from apeach_ls.votes.agreement import manager_agreement
from apeach_ls.votes.model import ManagerVote


def votes(sid: int, *decisions: str) -> list[ManagerVote]:
    return [
        ManagerVote(
            sid,
            f"m{i}@example.com",
            d,
            frozenset({"copied"}) if d == "drop" else frozenset(),  # type: ignore[arg-type]
            "",
            sid * 10 + i,
            "2024-05-01T10:00:00Z",
        )
        for i, d in enumerate(decisions)
    ]


@pytest.fixture(scope="module")
def data() -> ReportData:
    rows = sample_rows()
    agreement = manager_agreement(
        [
            votes(1, "keep", "keep", "keep"),
            votes(2, "drop", "drop", "keep"),
            votes(3, "keep", "keep", "drop"),
            votes(4, "drop", "drop", "drop"),
        ]
    )
    return ReportData("sample", rows, sample_tallies(rows), agreement=agreement)


@pytest.fixture(scope="module")
def rendered(data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "r"
    write_report(data, out)
    return out


def test_every_figure_loads_in_chromium_without_external_requests(browser, rendered):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto((rendered / "report.html").as_uri(), wait_until="load")
        figures = page.evaluate("""() => [...document.querySelectorAll('figure')].map(f => {
            const img = f.querySelector('img');
            return {id: img && img.id, alt: img && img.alt, complete: img && img.complete,
                    width: img ? img.naturalWidth : 0, caption: (f.querySelector('figcaption') || {}).textContent};
        })""")
    finally:
        page.close()
    assert len(figures) >= 6
    for figure in figures:
        assert figure["id"] and figure["alt"] and figure["caption"], figure
        assert figure["complete"] and figure["width"] > 0, figure
    assert {f["id"] for f in figures} >= {
        "img-topic-class",
        "img-length",
        "img-fooled",
        "img-writer-ages",
        "img-writer-gender",
        "img-votes",
        "img-throughput",
        "img-agreement",
    }
    assert [u for u in requested if not u.startswith(("file:", "data:"))] == []


def test_pngs_are_the_embedded_figures_and_rendering_is_deterministic(data, rendered, tmp_path):
    page = (rendered / "report.html").read_text(encoding="utf-8")
    embedded = re.findall(
        r'<img id="img-([a-z-]+)" alt="[^"]*" src="data:image/png;base64,([^"]+)"', page
    )
    pngs = sorted(p.name for p in (rendered / "figures").iterdir())
    assert sorted(f"{key}.png" for key, _ in embedded) == pngs and len(pngs) == 8
    for key, b64 in embedded:
        assert base64.b64decode(b64) == (rendered / "figures" / f"{key}.png").read_bytes()
    assert "http://" not in page and "https://" not in page and "<script" not in page
    again = tmp_path / "again"
    write_report(data, again)
    assert (again / "report.html").read_bytes() == (rendered / "report.html").read_bytes()


def test_tables_show_counts_and_the_managers_agreement(rendered):
    page = (rendered / "report.html").read_text(encoding="utf-8")
    assert (
        "<td>성별 고정관념에 기반한 발언</td><td>Gender sterotypes</td><td>4</td><td>2</td><td>6</td>"
        in page
    )
    assert "Fleiss&#x27; kappa" in page and "<td>keep/drop</td>" in page
    assert "<td>dropped</td><td>5</td>" in page and "<td>pending</td><td>3</td>" in page


def test_agreement_from_a_plain_mapping_and_an_empty_report(tmp_path):
    rows = agreement_rows({"keep/drop": {"fleiss_kappa": 0.61, "krippendorff_alpha": None}})
    assert [(r.what, r.kappa, r.alpha) for r in rows] == [("keep/drop", 0.61, None)]
    files = write_report(ReportData("empty", [], []), tmp_path / "empty")
    assert len(files.figures) == 7 and all(p.stat().st_size > 0 for p in files.figures)
    assert "Not available: no vote data was given." in files.html.read_text(encoding="utf-8")


def test_topic_names_in_korean_with_a_cjk_font_else_in_english():
    assert (
        topic_labeler(korean=False)("지역에 따른 차별 발언", "Origin and residence")
        == "Origin and residence"
    )
    assert (
        topic_labeler(korean=True)("지역에 따른 차별 발언", "Origin and residence")
        == "지역에 따른 차별 발언"
    )
    fonts = (
        subprocess.run(["fc-list"], capture_output=True, text=True).stdout
        if shutil.which("fc-list")
        else ""
    )
    if "Noto Sans CJK KR" not in fonts:
        pytest.skip("fonts-noto-cjk is not installed: figures fall back to English topic names")
    assert cjk_font() == "Noto Sans CJK KR"


def test_held_back_conflicts_and_duplicates_are_listed_with_their_ids():
    rows = sample_rows(12)
    first, second = rows[5], rows[6]
    conflict = replace(
        first,
        submission_id=2001,
        text=f" {first.text}  ",
        apeach_class="Default" if first.apeach_class == "Spoiled" else "Spoiled",
    )
    duplicate = replace(second, submission_id=2002)
    consistent = hold_back_repeats([*rows, conflict, duplicate])
    page = render_html(
        ReportData("sample", consistent.rows, sample_tallies(rows), held_back=consistent.held_back),
        [],
    )
    section = page[page.index("<h2>Held back from the release</h2>") : page.index("<h2>Managers")]
    cells = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td><td>(\w+)</td>", section)
    assert cells == [
        (str(first.submission_id), "conflict", first.apeach_class),
        ("2001", "conflict", conflict.apeach_class),
        ("2002", "duplicate", second.apeach_class),
    ]
    assert (
        f"conflict: same sentence as submission 2001 with class {conflict.apeach_class}" in section
        and f"conflict: same sentence as submission {first.submission_id} with class {first.apeach_class}"
        in section
    )
    assert (
        f"duplicate: same sentence and class as submission {second.submission_id}, which is released"
        in section
    )
    assert html.escape(first.text) in section and html.escape(conflict.text) in section
    assert (
        "2 conflicts (1 sentence accepted with both classes, not released); 1 duplicate" in section
    )
    assert "<td>held back: conflicts (same sentence, both classes)</td><td>2</td>" in page
    assert "<td>held back: duplicates (same sentence and class)</td><td>1</td>" in page
    assert f"<td>released sentences</td><td>{len(rows) - 1}</td>" in page


def test_a_report_without_repeats_says_none_were_held_back():
    rows = sample_rows(12)
    page = render_html(ReportData("sample", rows, sample_tallies(rows)), [])
    assert (
        "<h2>Held back from the release</h2>" in page
        and "None: no accepted sentence repeats another." in page
    )
    assert "<td>held back: conflicts (same sentence, both classes)</td><td>0</td>" in page


def test_the_report_counts_submissions_whose_verdict_did_not_verify():
    rows = sample_rows(6)
    page = render_html(
        ReportData("sample", rows, sample_tallies(rows), verdict_unverified=3, no_verdict=2), []
    )
    assert (
        "<td>submissions whose verdict did not verify (label = the writer&#x27;s intent, never fooled)</td>"
        "<td>3</td>"
    ) in page
    assert "<td>submissions made without a verdict</td><td>2</td>" in page


def test_the_report_shows_mer_and_vmer_per_round_with_a_plot(data, tmp_path):
    records, rounds = fooling_sample()
    files = write_report(replace(data, fooling=records, rounds=rounds), tmp_path / "r")
    page = files.html.read_text(encoding="utf-8")
    assert (tmp_path / "r" / "figures" / "rounds.png").stat().st_size > 0
    assert 'id="fig-rounds"' in page and "MER and vMER over rounds" in page
    per_round = page[page.index('<table class="per-round">') :]
    per_round = per_round[: per_round.index("</table>")]
    assert (
        "<td>r1</td><td>4</td><td>2</td><td>50.0%</td><td>1</td><td>25.0%</td><td>1</td>"
        in per_round
    )
    assert (
        "<td>r2</td><td>5</td><td>1</td><td>20.0%</td><td>1</td><td>20.0%</td><td>0</td>"
        in per_round
    )
    assert '<table class="per-model-version">' in page and "<td>ng-b</td><td>5</td>" in page
    assert "MER" not in render_html(data, [])  # without records, no such section
