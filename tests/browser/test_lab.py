"""The quickstart in JupyterLab 4, Notebook 7 and Voilà, in a real Chromium: Generate, then watch it play.

What headless widget tests cannot show: the widgets render, the click reaches the kernel, the job updates the
page while the kernel stays free, and the saved mp4 is served by relative path (``/files/`` in Jupyter,
``/voila/files/`` in Voilà) and really decodes and plays (H.264 in Debian's Chromium). Run alone with
``pytest -m browser``; screenshots land in ``test-artifacts/`` (``panel.png`` from JupyterLab).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

LONG = 90_000
"""Milliseconds for waits that include a simulated task (a few seconds here; generous for CI)."""

KERNEL_IDLE = """() => {
  const widget = window.jupyterapp?.shell?.currentWidget;
  return widget?.sessionContext?.session?.kernel?.status === 'idle';
}"""
VIDEO_STATE = """v => ({readyState: v.readyState, currentTime: v.currentTime, duration: v.duration,
  width: v.videoWidth, error: v.error && v.error.message, src: v.currentSrc, muted: v.muted})"""
FILES = {"lab": "/files/wan_outputs/", "notebook": "/files/wan_outputs/", "voila": "/wan_outputs/"}
"""Where each front end resolves the relative ``wan_outputs/x.mp4``. Voilà (one notebook at ``/``) redirects
it to ``/voila/files/wan_outputs/x.mp4``, which answers 403 for mp4 unless ``file_allowlist`` allows it."""


@pytest.fixture
def page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 2400})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.mark.parametrize("frontend", ["lab", "notebook", "voila"], indirect=True)
def test_quickstart_generates_and_plays_a_video(
    page: Any, frontend: Any, lab_root: Path, artifacts: Path
) -> None:
    page.goto(frontend.url, timeout=LONG)  # Voilà answers once it has run every cell
    if frontend.run_all:
        _run_all(page)

    # The quickstart's "same from code" cell already made one video; ours is the next.
    videos = page.locator(".wan-panel video")
    videos.first.wait_for(timeout=LONG)
    if frontend.run_all:
        page.wait_for_function(KERNEL_IDLE, timeout=LONG)
    before = videos.count()
    page.locator("button.wan-generate").click()
    page.wait_for_function(
        f"() => document.querySelectorAll('.wan-panel video').length > {before}", timeout=LONG
    )

    newest = videos.first  # the newest card comes first
    newest.scroll_into_view_if_needed()
    newest.evaluate("v => v.play()")  # muted, so no user gesture is needed
    page.wait_for_function(
        "v => v.readyState >= 2 && v.currentTime > 0.3", arg=newest.element_handle(), timeout=30_000
    )
    state = newest.evaluate(VIDEO_STATE)
    assert state["error"] is None and state["muted"], state
    assert state["readyState"] >= 2 and state["currentTime"] > 0.3, state
    assert state["width"] > 0 and state["duration"] > 1, state
    assert FILES[frontend.name] in state["src"], state  # served by relative path, not widget bytes
    assert len(list((lab_root / "wan_outputs").glob("*.mp4"))) >= before + 1

    newest.evaluate("v => { v.pause(); v.currentTime = Math.min(1.0, v.duration / 2); }")
    page.wait_for_function(
        "v => !v.seeking && v.readyState >= 2", arg=newest.element_handle(), timeout=10_000
    )
    name = "panel.png" if frontend.name == "lab" else f"panel-{frontend.name}.png"
    _screenshot(page, artifacts / name)


def _run_all(page: Any) -> None:
    page.wait_for_function(KERNEL_IDLE, timeout=LONG)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft?.()")  # the file browser would squeeze the page
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.locator("button.wan-generate").wait_for(timeout=LONG)


def _screenshot(page: Any, path: Path) -> None:
    """The panel from its title down to the newest card (older cards below are left out)."""
    top = page.locator(".wan-panel").first.bounding_box()
    card = page.locator(".wan-panel .wan-card").first.bounding_box()
    bottom = card["y"] + card["height"] + 6
    clip = {"x": top["x"], "y": top["y"], "width": top["width"], "height": bottom - top["y"]}
    page.screenshot(path=str(path), clip=clip)
