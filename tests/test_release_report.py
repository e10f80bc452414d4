"""The release report: self-contained HTML whose figures load in a real browser (Debian
chromium via Playwright), the same figures as PNG files, and a deterministic rendering."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from apeach_ls.release.campaign_figures import agreement_rows
from apeach_ls.release.figures import cjk_font, topic_labeler
from apeach_ls.release.report import ReportData, write_report
from apeach_ls.votes.agreement import manager_agreement
from apeach_ls.votes.model import ManagerVote
from release_samples import sample_rows, sample_tallies



def votes(sid: int, *decisions: str) -> list[ManagerVote]:
    return [ManagerVote(sid, f"m{i}@example.com", d, frozenset({"copied"}) if d == "drop" else frozenset(),  # type: ignore[arg-type]
                        "", sid * 10 + i, "2024-05-01T10:00:00Z") for i, d in enumerate(decisions)]


@pytest.fixture(scope="module")
def data() -> ReportData:
    rows = sample_rows()
    agreement = manager_agreement([votes(1, "keep", "keep", "keep"), votes(2, "drop", "drop", "keep"),
                                   votes(3, "keep", "keep", "drop"), votes(4, "drop", "drop", "drop")])
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
    assert {f["id"] for f in figures} >= {"img-topic-class", "img-length", "img-fooled", "img-writer-ages",
                                          "img-writer-gender", "img-votes", "img-throughput", "img-agreement"}
    assert [u for u in requested if not u.startswith(("file:", "data:"))] == []


def test_pngs_are_the_embedded_figures_and_rendering_is_deterministic(data, rendered, tmp_path):
    page = (rendered / "report.html").read_text(encoding="utf-8")
    embedded = re.findall(r'<img id="img-([a-z-]+)" alt="[^"]*" src="data:image/png;base64,([^"]+)"', page)
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
    assert "<td>성별 고정관념에 기반한 발언</td><td>Gender sterotypes</td><td>4</td><td>2</td><td>6</td>" in page
    assert "Fleiss&#x27; kappa" in page and "<td>keep/drop</td>" in page
    assert "<td>dropped</td><td>5</td>" in page and "<td>pending</td><td>3</td>" in page


def test_agreement_from_a_plain_mapping_and_an_empty_report(tmp_path):
    rows = agreement_rows({"keep/drop": {"fleiss_kappa": 0.61, "krippendorff_alpha": None}})
    assert [(r.what, r.kappa, r.alpha) for r in rows] == [("keep/drop", 0.61, None)]
    files = write_report(ReportData("empty", [], []), tmp_path / "empty")
    assert len(files.figures) == 7 and all(p.stat().st_size > 0 for p in files.figures)
    assert "Not available: no vote data was given." in files.html.read_text(encoding="utf-8")


def test_topic_names_in_korean_with_a_cjk_font_else_in_english():
    assert topic_labeler(korean=False)("지역에 따른 차별 발언", "Origin and residence") == "Origin and residence"
    assert topic_labeler(korean=True)("지역에 따른 차별 발언", "Origin and residence") == "지역에 따른 차별 발언"
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
    if "Noto Sans CJK KR" not in fonts:
        pytest.skip("fonts-noto-cjk is not installed: figures fall back to English topic names")
    assert cjk_font() == "Noto Sans CJK KR"
