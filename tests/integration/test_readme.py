"""README.md stays true: every ```python block runs, in order, against the simulator.

The blocks share one namespace and one event loop, in an empty temporary working folder: their media come from
the package (``wan_nb.assets``), so they run from any folder. They are compiled with
``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT``, as IPython does, because they are written for notebook cells. Blocks that
must not run use another fence (```bash, ```text, ```json).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
BADGE = "https://mybinder.org/v2/gh/wan-nb/wan_nb/main?urlpath=lab/tree/notebooks/01_quickstart.ipynb"


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text(encoding="utf-8")) if lang == language]


async def run_blocks(sources: list[str], namespace: dict[str, Any]) -> None:
    for number, source in enumerate(sources, start=1):
        code = compile(
            source, f"README.md python block {number}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        result = eval(code, namespace)  # exec-mode code with top-level await evaluates to a coroutine
        if inspect.iscoroutine(result):
            await result


@pytest.mark.usefixtures("fast_sim")  # the snippets' results, not the simulator's task time
def test_readme_python_blocks_run_against_the_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = blocks("python")
    assert len(sources) >= 3, "the README shows the unified call, the native call and more"
    monkeypatch.chdir(tmp_path)  # empty: nothing of the repository beside the snippets
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    asyncio.run(run_blocks(sources, namespace))

    out = capsys.readouterr().out
    assert out.count("SUCCEEDED") >= 3, out  # unified, native and the sync facade each made a video
    assert "InvalidApiKey" in out and "own region" in out, "the region troubleshooting block shows the hint"
    assert "24 h" in out, "the expired-URL troubleshooting block shows ResultExpired"
    assert list((tmp_path / "wan_outputs").glob("*.mp4")), "videos land in wan_outputs/"


def test_readme_shows_the_two_newcomer_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_shell = blocks("bash")[0]
    commands = [line.split("#")[0].strip() for line in first_shell.splitlines() if line.strip()]
    assert commands == ["make lab", "make test"]
    assert text.index("make lab") < text.index("## Quickstart"), "the two commands come first"
    assert "make test" in text


def test_readme_links_binder_and_the_panel_screenshot() -> None:
    text = README.read_text(encoding="utf-8")
    assert BADGE in text
    assert "(docs/panel.png)" in text and (ROOT / "docs" / "panel.png").exists()
    for name in re.findall(r"\(notebooks/(\d\d_\w+\.ipynb)\)", text):
        assert (ROOT / "notebooks" / name).exists(), name


def test_readme_links_every_notebook_on_binder_and_colab() -> None:
    text = README.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"https://mybinder.org/v2/gh/wan-nb/wan_nb/main?urlpath=lab/tree/notebooks/{path.name}" in text
        assert (
            f"https://colab.research.google.com/github/wan-nb/wan_nb/blob/main/notebooks/{path.name}" in text
        )


def test_readme_has_a_teachers_section_and_one_task_time() -> None:
    text = README.read_text(encoding="utf-8")
    teachers = text[text.index("## For teachers") : text.index("## Development")]
    for topic in ("60-minute", "The day before", "release tag", "no key", "idle", "journal", "real key"):
        assert topic in teachers, f"the teachers' section covers {topic!r}"
    assert "1–3 minutes" in text and "1–5 minutes" not in text and "5 minutes" not in text
    assert "examples/" not in "".join(blocks("python")), "snippets find their media through wan_nb.assets"


def test_readme_lists_every_provider_and_cli_command() -> None:
    from wan_nb.client import PROVIDERS

    text = README.read_text(encoding="utf-8")
    for name, row in PROVIDERS.items():
        assert f"| `{name}` | {row.dialect}" in text, f"provider {name} missing from the table"
        if row.key_env:
            assert row.key_env in text
    usage = subprocess.run(
        [sys.executable, "-m", "wan_nb", "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    shown = set(re.findall(r"^wan-nb (\w+)", "\n".join(blocks("bash")), re.M))
    assert shown >= {"generate", "status", "wait", "download", "cancel", "list", "resume", "sim"}
    for command in shown:
        assert re.search(rf"^\s+{command}\s", usage, re.M), f"`wan-nb {command}` is not a CLI command"
