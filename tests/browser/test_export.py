"""A saved notebook stays readable: the quickstart, executed and exported to HTML by nbconvert, opened in
Chromium with every network request blocked. Its task shows a poster (an embedded JPEG) and its video plays
(an embedded H.264 ``data:`` video: nbclient is a kernel with no front end, wan_nb.display.frontend)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import NOTEBOOK, ROOT

pytestmark = pytest.mark.browser

POSTER = """v => new Promise(done => {
  const still = new Image();
  still.onload = () => done({width: still.naturalWidth, height: still.naturalHeight, src: v.poster.slice(0, 30)});
  still.onerror = () => done({width: 0, height: 0, src: v.poster.slice(0, 30)});
  still.src = v.poster;
})"""
VIDEO_STATE = """v => ({readyState: v.readyState, currentTime: v.currentTime, width: v.videoWidth,
  error: v.error && v.error.message, src: v.currentSrc.slice(0, 30)})"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("export")
    shutil.copytree(
        ROOT / "notebooks", base / "notebooks", ignore=shutil.ignore_patterns("wan_outputs", ".*")
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DASHSCOPE_API_KEY", "WAN_API_KEY", "WAN_NB_PROVIDER")
    }
    env.update(WAN_NB_HOME=str(base / "home"), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute", NOTEBOOK]
    subprocess.run([*command, "--output", str(base / "quickstart.html")], cwd=base / "notebooks", env=env,
                   check=True, timeout=600)  # fmt: skip
    # Opened from elsewhere: nothing next to the page (wan_outputs/) may be what makes it play.
    page = base / "elsewhere" / "quickstart.html"
    page.parent.mkdir()
    shutil.move(base / "quickstart.html", page)
    return page


def test_exported_quickstart_shows_the_poster_and_plays_offline(browser: Any, exported: Path) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 2400})
    blocked: list[str] = []

    def block(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()  # the page itself
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", block)
    page = context.new_page()
    try:
        page.goto(exported.as_uri())
        video = page.locator(".wan-nb-task video").first
        video.wait_for(timeout=30_000)
        video.scroll_into_view_if_needed()
        poster = video.evaluate(POSTER)
        assert poster["src"].startswith("data:image/jpeg;base64,") and poster["width"] > 100, poster
        video.evaluate("v => v.play()")  # muted, so no user gesture is needed
        page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0.3", arg=video.element_handle(),
                               timeout=30_000)  # fmt: skip
        state = video.evaluate(VIDEO_STATE)
        assert state["error"] is None and state["width"] > 0, state
        assert state["src"].startswith("data:video/mp4;base64,"), state
        assert "SUCCEEDED" in page.locator(".wan-nb-task").first.inner_text()
    finally:
        context.close()
    assert all(not url.startswith("file:") for url in blocked)
    print(
        f"blocked {len(blocked)} network requests: {sorted({u.split('/')[2] for u in blocked if '//' in u})}"
    )
