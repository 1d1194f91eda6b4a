"""The prompt lab in JupyterLab and Chromium: a grid shows posters, a chain action pre-fills the form and runs,
and an exported report plays its video with the network blocked.

Run alone with ``pytest -m browser tests/browser/test_prompt_lab.py``; screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

LONG = 120_000
KERNEL_IDLE = """() => {
  const widget = window.jupyterapp?.shell?.currentWidget;
  return widget?.sessionContext?.session?.kernel?.status === 'idle';
}"""
NOTEBOOK = "lab_prompt_lab.ipynb"
CELL = """\
import wan_nb
panel = wan_nb.panel(prompt="a cat turns its head", first_frame=wan_nb.assets.cat, history=False)
panel.form.duration.value = 2
panel.form.random_seed.value = False
panel.form.seed.value = 5
panel.compare.values.value = "1, 2"
panel
"""
POSTERS_LOADED = """n => [...document.querySelectorAll('.wan-panel .wan-poster img')]
  .filter(i => i.complete && i.naturalWidth > 0).length >= n"""


def _notebook(folder: Path) -> None:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": CELL}
    nb = {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / NOTEBOOK).write_text(json.dumps(nb))


@pytest.fixture
def page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 2400})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.mark.parametrize("frontend", ["lab"], indirect=True)
def test_a_grid_shows_posters_and_a_chain_action_prefills_and_runs(
    page: Any, frontend: Any, lab_root: Path, artifacts: Path
) -> None:
    _notebook(lab_root)
    page.goto(frontend.url.rsplit("/lab/tree/", 1)[0] + f"/lab/tree/{NOTEBOOK}", timeout=LONG)
    page.wait_for_function(KERNEL_IDLE, timeout=LONG)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft?.()")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.locator("button.wan-generate").wait_for(timeout=LONG)

    # The grid: its estimate is there before it runs, then every cell shows its stills.
    page.get_by_text("Compare: prompts × seeds").first.click()
    estimate = page.locator(".wan-estimate-grid")
    estimate.wait_for(timeout=LONG)
    assert "2 tasks × 2 s · 720P · wan2.7-i2v ≈ ¥2.40" in estimate.inner_text()
    page.locator("button.wan-compare-run").click()
    page.wait_for_function(POSTERS_LOADED, arg=2, timeout=LONG)
    page.locator(".wan-compare").screenshot(path=str(artifacts / "grid-posters.png"))

    # A single run, then "last frame → next" fills the form from it; Generate runs the chained try.
    page.locator("button.wan-generate").click()
    page.wait_for_function(POSTERS_LOADED, arg=3, timeout=LONG)
    chain = page.locator(".wan-panel .wan-card .wan-chain button", has_text="last frame → next").first
    chain.wait_for(timeout=LONG)
    page.locator(".wan-panel textarea").first.fill("something else")
    chain.click()
    page.wait_for_function(
        "() => document.querySelector('.wan-panel textarea').value === 'a cat turns its head'", timeout=LONG
    )
    assert ".last.jpg" in page.locator(".wan-panel").first.inner_text()  # the form's first frame is the still
    page.wait_for_function(KERNEL_IDLE, timeout=LONG)
    page.locator("button.wan-generate").click()
    page.wait_for_function(POSTERS_LOADED, arg=4, timeout=LONG)
    newest = page.locator(".wan-panel .wan-card").first
    assert "SUCCEEDED" in newest.inner_text()
    newest.screenshot(path=str(artifacts / "chained-card.png"))


def _report(folder: Path) -> Path:
    """A session of one try on the simulator, exported (in a thread: Playwright's loop owns this one)."""
    import wan_nb

    async def make() -> Path:
        async with wan_nb.AsyncWanClient("sim", journal=False) as client:
            request = wan_nb.VideoRequest(prompt="a cat turns its head", first_frame=_cat(), duration=2)
            task = await client.generate(request, out=folder / "videos/")
        return wan_nb.report([(request, task)], folder / "session.html")

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result(timeout=300)


def _cat() -> Path:
    return Path(__file__).resolve().parents[2] / "examples" / "cat.png"


def test_the_exported_report_plays_offline(
    browser: Any, tmp_path: Path, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAN_NB_HOME", str(tmp_path / "home"))
    page_file = _report(tmp_path)
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    blocked: list[str] = []

    def gate(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", gate)
    page = context.new_page()
    page.goto(page_file.as_uri())
    video = page.locator("video").first
    video.evaluate("v => v.play()")
    page.wait_for_function(
        "v => v.readyState >= 2 && v.currentTime > 0.3", arg=video.element_handle(), timeout=30_000
    )
    state = video.evaluate(
        "v => ({error: v.error && v.error.message, width: v.videoWidth, src: v.currentSrc})"
    )
    assert state["error"] is None and state["width"] > 0 and state["src"].startswith("data:video/mp4")
    assert blocked == []  # the page asked for nothing beyond itself
    page.screenshot(path=str(artifacts / "report.png"))
    context.close()
