"""The report's figures find a CJK font the system has, also one installed after matplotlib
built its font cache, and say loudly when they fall back to English topic names."""

from __future__ import annotations

import copy

import pytest
from matplotlib import font_manager

from apeach_ls.release import figures


def stale_cache(monkeypatch, system_fonts=None):
    """A font manager whose cache predates the CJK fonts' install."""
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [f for f in font_manager.fontManager.ttflist if f.name not in figures.CJK_FONTS]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    if system_fonts is not None:
        monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: system_fonts)
    return stale


def test_a_cjk_font_missing_from_a_stale_font_cache_is_found_on_the_system(monkeypatch):
    if not any("cjk" in path.lower() for path in font_manager.findSystemFonts()):
        pytest.fail(
            "fonts-noto-cjk is not installed (apt-get install fonts-noto-cjk); .ci/run installs it"
        )
    stale = stale_cache(monkeypatch)
    assert not {f.name for f in stale.ttflist} & set(figures.CJK_FONTS)
    found = figures.cjk_font()
    assert found in figures.CJK_FONTS


def test_without_any_cjk_font_the_figures_warn_that_they_fell_back(monkeypatch):
    stale_cache(monkeypatch, system_fonts=[])
    with pytest.warns(
        UserWarning,
        match="no font with Hangul found .* English topic names. "
        "Install one, e.g. apt-get install fonts-noto-cjk",
    ):
        assert figures.cjk_font() is None
