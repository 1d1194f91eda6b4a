"""The tutorial notebooks stand alone: each runs top to bottom, copied alone into an empty folder, on wan_nb
installed from the built wheel, and is committed clean (``tests/unit/test_notebook_sources.py``).

Each tutorial executes once per run (``conftest.py``'s ``tutorial``), with the canary as its provider keys, and
this module, the secrets audit and the Binder check all read that pass. The runner
(``tests/fixtures/notebooks.py``) puts an audit hook in the kernel that records every file it opens or lists
outside the notebook's folder, the environment, the wheel's install and the folders Python, Jupyter and
wan_nb keep their state in: any such read fails the test, as does a code cell naming a repository path
(``../``, ``examples/``, ``notebooks/``, ``assets/``, an absolute path).

Each notebook's wall time is printed and recorded in ``test-artifacts/notebook-times.json`` (and ``.md``);
over :data:`NOTEBOOK_BUDGET` fails. ``WAN_NB_EXECUTED_DIR=dir`` keeps the executed copies:

    .venv/bin/python -m pytest tests/notebooks/test_notebooks.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from tests.fixtures.notebooks import (
    KEY_PATTERNS,
    NOTEBOOK_BUDGET,
    ROOT,
    TUTORIALS,
    Runtime,
    TutorialRun,
    errored_cells,
    outputs_text,
    record_time,
    run_alone,
    stand_in_texts,
    tagged,
)


@pytest.mark.parametrize("name", TUTORIALS)
def test_notebook_runs_alone_from_the_wheel(
    name: str, tutorial: Callable[[str], TutorialRun], capsys: pytest.CaptureFixture[str]
) -> None:
    """Copied alone into an empty folder, on the wheel's wan_nb: every cell runs clean."""
    done = tutorial(name)
    run, nb = done.run, done.run.nb
    with capsys.disabled():
        print(f"\n[notebooks] {name} ran alone from the wheel in {run.seconds:.1f} s", flush=True)
    record_time(name, run.seconds)
    keep = Path(os.environ.get("WAN_NB_EXECUTED_DIR") or done.base)  # for a post-mortem
    keep.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, keep / name)

    assert not errored_cells(nb), "\n\n".join(errored_cells(nb))
    assert run.outside == [], f"{name} read outside its folder and the package:\n" + "\n".join(
        run.outside[:20]
    )
    for cell in tagged(nb, "exercise"):
        assert cell.outputs, f"the exercise cell ran but showed nothing:\n{cell.source[:200]}"
    text = outputs_text(nb)
    for pattern in KEY_PATTERNS:
        match = pattern.search(text)
        assert match is None, f"{name} shows key material: {match.group(0)[:12]}…"
    if name == "01_quickstart.ipynb":  # the tasks run after the panel was shown reached its static stand-in
        (stand_in,) = stand_in_texts(nb)  # the one-line video made before the panel is an earlier task of it
        assert "3 task(s)" in stand_in and "SUCCEEDED" in stand_in, stand_in
    if name == "04_prompt_exploration.ipynb":  # the prompt lab, as a reader of the saved notebook sees it
        assert "requests the simulator received: 0" in text and "nothing was sent" in text, "the refusal"
        assert "<ins" in text, "the rewrite's word diff"
        assert text.count('"image/jpeg"') >= 8, "contact sheets of the grid and of the chain"
        page = (done.folder / "session.html").read_text()  # written in the notebook's own folder
        assert page.count("<video") >= 7 and "data:video/mp4;base64," in page, "the report plays its videos"
    if name == "06_family.ipynb":  # the family, as a reader of the saved notebook sees it
        for model in ("wan2.7-t2v", "wan2.7-r2v", "wan2.7-videoedit"):
            assert f"model='{model}' (chosen)" in text or f"{model}\\n" in text, f"no {model} chosen"
        assert "names Image 3" in text and "(Image 1-2)" in text, "the prompt's names, checked"
        assert "input_seconds=2.0" in text, "the reference video and the edit's source are billed"
        assert "requests the simulator received: 0" in text and "nothing was sent" in text, "the budget"
        assert text.count("providers that take it") == 3, "the gateway refuses text, references and edits"
    assert run.seconds <= NOTEBOOK_BUDGET, (
        f"{name} took {run.seconds:.0f} s; the budget is {NOTEBOOK_BUDGET:.0f} s"
    )


def test_the_audit_catches_a_cell_reading_the_repository(runtime: Runtime, tmp_path: Path) -> None:
    """A notebook that reads the repository's picture is caught; one that reads its own folder is not."""
    cells = [
        "from pathlib import Path\nPath('mine.txt').write_text('ok'); Path('mine.txt').read_text()",
        f"len(open({str(ROOT / 'examples' / 'cat.png')!r}, 'rb').read())",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
    run = run_alone(nb, runtime, tmp_path)
    assert not errored_cells(run.nb), errored_cells(run.nb)
    assert run.outside == [f"open {ROOT / 'examples' / 'cat.png'}"]


def test_the_wheel_ships_the_sample_media(wheel: Path) -> None:
    import zipfile

    from wan_nb import assets

    names = set(zipfile.ZipFile(wheel).namelist())
    for asset in assets.NAMES:
        assert f"wan_nb/assets/{asset}" in names, f"{asset} is not in the wheel"
    assert assets.clip.stat().st_size < 200_000, "keep the sample clip small"
