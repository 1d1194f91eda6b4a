"""Every task of the panel in JupyterLab and Debian's Chromium: pick it, give it its inputs as a user does
(clicks, typing, file pickers), Generate, and watch the video play.

*Text → video* from a sentence, then *edit this clip* on its card (a videoedit of the result); *References → video* with two pictures picked through each row's file input;
*Edit a video* on an uploaded clip, whose poster and length show before Generate; *Image → video* and the
*Wan 3.0* preview. Each step leaves a screenshot of the panel in ``test-artifacts/panel-<task>.png``; with
``WAN_NB_DOCS_SCREENSHOTS=1`` they are written to ``docs/`` instead (the README shows them):

    WAN_NB_DOCS_SCREENSHOTS=1 pytest -m browser tests/browser/test_panel_tasks.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "wan_nb" / "assets"
LONG = 120_000
KERNEL_IDLE = """() => {
  const widget = window.jupyterapp?.shell?.currentWidget;
  return widget?.sessionContext?.session?.kernel?.status === 'idle';
}"""
NOTEBOOK = "panel_tasks.ipynb"
CELL = """\
import wan_nb
panel = wan_nb.panel(history=False)
panel.form.duration.value = 2
panel
"""
VIDEOS = "n => document.querySelectorAll('.wan-panel .wan-card video').length >= n"
PLAYING = "v => v.readyState >= 2 && v.currentTime > 0.3"


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
def shots(artifacts: Path) -> Path:
    """Where the panel's screenshots go: ``docs/`` when asked (to commit them), else ``test-artifacts/``."""
    return ROOT / "docs" if os.environ.get("WAN_NB_DOCS_SCREENSHOTS") == "1" else artifacts


@pytest.fixture
def page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 2600})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.mark.parametrize("frontend", ["lab"], indirect=True)
def test_each_task_runs_and_plays_in_chromium(page: Any, frontend: Any, lab_root: Path, shots: Path) -> None:
    _notebook(lab_root)
    page.goto(frontend.url.rsplit("/lab/tree/", 1)[0] + f"/lab/tree/{NOTEBOOK}", timeout=LONG)
    page.wait_for_function(KERNEL_IDLE, timeout=LONG)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft?.()")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.locator("button.wan-generate").wait_for(timeout=LONG)
    page.wait_for_function(KERNEL_IDLE, timeout=LONG)
    panel = page.locator(".wan-panel").first

    # Text → video: the panel opened without inputs starts there; a sentence is all it needs.
    assert "wan2.7-t2v" in panel.locator(".wan-title").inner_text()
    assert not page.locator(".wan-source-video").is_visible()
    _pick(page, "Text → video", "wan2.7-t2v")
    _prompt(page, "a paper boat drifts down a rainy street, slow push in")
    _generate_and_play(page, 1)
    _shoot(page, shots / "panel-text.png")

    # "edit this clip" on that card: the form becomes an edit of its video (poster shown), which runs and plays.
    chain = page.locator(".wan-panel .wan-card").first.locator(".wan-chain button", has_text="edit this clip")
    chain.click()
    page.wait_for_function(
        "() => document.querySelector('.wan-panel .wan-title')?.innerText.includes('wan2.7-videoedit')",
        timeout=LONG,
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.wan-source-video img')].some(i => i.complete && i.naturalWidth > 0)",
        timeout=LONG,
    )
    _prompt(page, "make it night, with falling snow")
    _generate_and_play(page, 2)
    assert page.locator(".wan-panel .wan-card").first.locator(".wan-parent").count() == 1  # names its parent

    # References → video: two pictures, each picked through its row's file input, named Image 1 and Image 2.
    _pick(page, "References → video", "wan2.7-r2v")
    assert "wan2.7-r2v" in panel.locator(".wan-title").inner_text()
    add = page.locator("button.wan-add-reference")
    for index, name in enumerate(("cat.png", "cat_last.png")):
        add.click()
        row = page.locator(".wan-reference").nth(index)
        _upload(page, row, ASSETS / name)
        page.get_by_text(f"Image {index + 1}", exact=True).wait_for(timeout=LONG)
    _prompt(page, "Image 1 and Image 2 sit by the window, Image 3 watches")
    page.locator(".wan-prompt-hint").wait_for(timeout=LONG)  # there is no Image 3: said while typing
    assert "Image 3" in page.locator(".wan-prompt-hint").inner_text()
    _prompt(page, "Image 1 and Image 2 sit by the window, soft light")
    page.wait_for_function("() => !document.querySelector('.wan-prompt-hint')", timeout=LONG)
    _generate_and_play(page, 3)
    _shoot(page, shots / "panel-references.png")

    # Edit a video: the uploaded source shows its poster and length before Generate; input seconds are billed.
    _pick(page, "Edit a video", "wan2.7-videoedit")
    source = page.locator(".wan-source-video")
    source.wait_for(timeout=LONG)
    _upload(page, source, ASSETS / "clip.mp4")
    # The field held the chained clip a moment ago: wait for the upload's own name, length and poster.
    page.wait_for_function(
        """() => {
          const field = document.querySelector('.wan-source-video');
          const poster = [...field.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0);
          return poster && field.innerText.includes('clip.mp4') && field.innerText.includes('2.0 s');
        }""",
        timeout=LONG,
    )
    page.wait_for_function(
        "() => document.querySelector('.wan-estimate-single')?.innerText.includes('s in')", timeout=LONG
    )
    _prompt(page, "make it snow")
    _generate_and_play(page, 4)
    _shoot(page, shots / "panel-edit.png")

    # Image → video and the Wan 3.0 preview: their fields, shown before a run.
    _pick(page, "Image → video", "wan2.7-i2v")
    _upload(page, page.locator(".wan-first-frame"), ASSETS / "cat.png")
    page.get_by_text("cat.png", exact=False).first.wait_for(timeout=LONG)
    _prompt(page, "the cat turns its head toward the window")
    _generate_and_play(page, 5)
    _shoot(page, shots / "panel-image.png")
    _pick(page, "Wan 3.0 (preview)", "wan3.0-video")
    assert "wan3.0-video" in panel.locator(".wan-title").inner_text()
    _shoot(page, shots / "panel-wan3.png", card=False)


def _pick(page: Any, label: str, model: str) -> None:
    """Click a task's button; the kernel answers by retitling the panel with the task's model."""
    page.locator(".wan-task button", has_text=label).click()
    page.wait_for_function(
        "model => document.querySelector('.wan-panel .wan-title')?.innerText.includes(model)",
        arg=model,
        timeout=LONG,
    )
    page.wait_for_function(KERNEL_IDLE, timeout=LONG)


def _upload(page: Any, where: Any, path: Path) -> None:
    """Click the upload button inside ``where`` and choose ``path`` in the file chooser it opens."""
    with page.expect_file_chooser() as chooser:
        where.locator("button", has_text="upload").first.click()
    chooser.value.set_files(str(path))


def _prompt(page: Any, text: str) -> None:
    page.locator(".wan-prompt textarea").fill(text)


def _generate_and_play(page: Any, count: int) -> None:
    page.wait_for_function(KERNEL_IDLE, timeout=LONG)
    page.locator("button.wan-generate").click()
    page.wait_for_function(VIDEOS, arg=count, timeout=LONG)
    newest = page.locator(".wan-panel .wan-card video").first  # the newest card comes first
    newest.scroll_into_view_if_needed()
    newest.evaluate("v => v.play()")  # muted: no user gesture needed
    page.wait_for_function(PLAYING, arg=newest.element_handle(), timeout=30_000)
    state = newest.evaluate("v => ({error: v.error && v.error.message, width: v.videoWidth})")
    assert state["error"] is None and state["width"] > 0, state
    newest.evaluate("v => { v.pause(); v.currentTime = Math.min(1.0, v.duration / 2); }")
    page.wait_for_function(
        "v => !v.seeking && v.readyState >= 2", arg=newest.element_handle(), timeout=10_000
    )


def _shoot(page: Any, path: Path, *, card: bool = True) -> None:
    """The panel from its title down to the newest card (or to Generate), older cards left out."""
    page.mouse.move(0, 0)  # no hover tooltip over the picture
    top = page.locator(".wan-panel").first.bounding_box()
    last = page.locator(".wan-panel .wan-card").first if card else page.locator("button.wan-generate")
    box = last.bounding_box()
    bottom = box["y"] + box["height"] + 8
    clip = {"x": top["x"], "y": top["y"], "width": top["width"], "height": bottom - top["y"]}
    page.screenshot(path=str(path), clip=clip)
    _shrink(path)


def _shrink(path: Path) -> None:
    """256 colours: a third of the bytes for a page of widgets (and the README's pictures stay light)."""
    from PIL import Image

    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(256)
    small.save(path, optimize=True)
