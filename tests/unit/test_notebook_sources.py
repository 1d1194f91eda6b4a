"""What each tutorial notebook must look like as committed: clean, standing alone, teaching its lesson.

(``tests/notebooks/test_notebooks.py`` runs them.)
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tests.fixtures.notebooks import (
    BADGES,
    KEY_PATTERNS,
    NOTEBOOKS,
    REPOSITORY_PATHS,
    TUTORIALS,
    tagged,
)


@pytest.mark.parametrize("name", TUTORIALS)
def test_notebook_is_committed_clean(name: str) -> None:
    """No outputs or execution counts, the python3 kernel, a first markdown cell, a parameters cell."""
    path = NOTEBOOKS / name
    if not path.exists():
        pytest.fail(f"notebooks/{name} is missing")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert nb.cells and nb.cells[0].cell_type == "markdown", "the first cell says what you will learn"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), "strip the outputs"
    parameters = tagged(nb, "parameters")
    assert len(parameters) == 1, "exactly one cell tagged `parameters`"
    assert re.search(r"^provider\s*=\s*None\b", parameters[0].source, re.M), "provider = None → the simulator"
    source = "\n".join(cell.source for cell in nb.cells)
    assert not any(pattern.search(source) for pattern in KEY_PATTERNS), "no key typed into a notebook"


@pytest.mark.parametrize("name", TUTORIALS)
def test_notebook_stands_alone_and_teaches(name: str) -> None:
    """Badges, a first setup cell, media from the package, exercises with an answer, a recap, one time figure."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for badge in BADGES:
        assert badge.format(name=name) in nb.cells[0].source, (
            f"the first cell links {badge.format(name=name)}"
        )
    setup = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert "setup" in setup.metadata.get("tags", []), "the first code cell is the setup cell"
    assert "%pip install" in setup.source and "except ImportError" in setup.source, "install where missing"
    assert '"google.colab" in sys.modules' in setup.source and "enable_custom_widget_manager" in setup.source
    assert "Colab Secrets" in setup.source, "says where keys come from on Colab"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            match = REPOSITORY_PATHS.search(cell.source)
            assert match is None, f"cell {index} names a path outside the package: {match.group(0)!r}"
    turns = [i for i, cell in enumerate(nb.cells) if cell.source.startswith("### Your turn")]
    assert turns, "at least one exercise"
    for index in turns:
        assert "**You should see:**" in nb.cells[index].source
        follow = nb.cells[index + 1]
        assert follow.cell_type == "code" and "exercise" in follow.metadata.get("tags", [])
        assert follow.source.startswith("# Suggested answer"), "the exercise cell holds its suggested answer"
    assert any(re.search(r"^## Recap", cell.source, re.M) for cell in nb.cells), "a recap"
    text = "\n".join(cell.source for cell in nb.cells)
    assert "1–3 minutes" in text, "the one task-time figure"
    for stale in ("5 minutes", "1–5 minutes", "seed 000", "seed 003", "the seed's", "The seed lists"):
        assert stale not in text, f"{name} still says {stale!r}"


def test_notebook_04_teaches_the_prompt_lab() -> None:
    """A grid and its estimate, a budget, the rewrite's diff, a chain, a report; and what the simulator cannot show."""
    nb = nbformat.read(NOTEBOOKS / "04_prompt_exploration.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "### What the simulator can and cannot show" in text
    assert "rehearsal, not a preview" in " ".join(text.split())
    for call in ("client.estimate(", "budget=budget", "except wan_nb.BudgetExceeded", "diff(", "contact_sheet(",
                 "chain.next_from_last_frame(", "wan_nb.report("):  # fmt: skip
        assert call in code, f"notebook 04 does not show {call}"
    steps = ("client.estimate(", "except wan_nb.BudgetExceeded", "diff(", "chain.next_from", "wan_nb.report(")
    order = [code.index(call) for call in steps]
    assert order == sorted(order), "the lesson's order: estimate, budget, diff, chain, report"


def test_notebook_06_teaches_the_family() -> None:
    """Text and ratios, references named in the prompt with a voice, an edit chain, costs and a budget, the gateway."""
    nb = nbformat.read(NOTEBOOKS / "06_family.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    for word in ('"Image 1"', '"Video 1"', "Image 3", "audio_setting", "input seconds", "image-to-video only"):  # fmt: skip
        assert word in text, f"notebook 06 does not explain {word}"
    steps = ("ratio=", "Reference(assets.cat, voice=", "except wan_nb.ValidationError", "video=text.path",
             'audio_setting="origin"', "client.estimate(", "except wan_nb.BudgetExceeded", 'provider="sim-gateway"')  # fmt: skip
    order = [code.index(step) for step in steps]
    assert order == sorted(order), "the lesson's order: text, references, names, edits, costs, gateway"


@pytest.mark.parametrize(
    "source",
    ['Path("assets/cat.png")', "open('examples/cat.png')", '"../notebooks/x.png"', "'/work/repo/cat.png'",
     '"~/cat.png"', "Path('notebooks/assets/voice.wav')"],
)  # fmt: skip
def test_the_path_scan_flags_repository_and_absolute_paths(source: str) -> None:
    assert REPOSITORY_PATHS.search(source)


@pytest.mark.parametrize(
    "source", ['http.post("/v1/videos")', 'f"/api/v1/tasks/{task_id}"', "assets.cat", 'OUT / "tiny.png"']
)
def test_the_path_scan_leaves_urls_and_package_media_alone(source: str) -> None:
    assert REPOSITORY_PATHS.search(source) is None
