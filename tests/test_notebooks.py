"""The tutorial notebooks stand alone: each runs top to bottom, copied alone into an empty folder, on wan_nb
installed from the built wheel, with no key, and is committed clean.

The runner builds the wheel once per session and installs it (``pip install --no-deps --target``) beside a
cached virtual environment that holds only wan_nb's dependencies plus ipykernel (cached under
``$WAN_NB_TEST_CACHE``, default the system temp folder, keyed by ``pyproject.toml`` and the interpreter; built
from the package index once, about two minutes). Nothing of the repository is on that kernel's path. Each
notebook is copied *alone* into an empty temporary folder and executed there with nbclient, exercises included,
on a private kernelspec put first on ``JUPYTER_PATH``. An audit hook in the kernel (an IPython startup file)
records every file it opens or lists outside the notebook's folder, the environment, the wheel's install and
the folders Python, Jupyter and wan_nb keep their state in: any such read fails the test, as does a code cell
naming a repository path (``../``, ``examples/``, ``notebooks/``, ``assets/``, an absolute path).
(Keys: ``tests/test_secrets_audit.py`` runs the same notebooks with canary keys in the environment.)

Each notebook's wall time is printed and recorded in ``test-artifacts/notebook-times.json`` (and ``.md``);
over :data:`NOTEBOOK_BUDGET` fails. ``WAN_NB_EXECUTED_DIR=dir`` keeps the executed copies:

    .venv/bin/python -m pytest -m notebooks tests/test_notebooks.py
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TUTORIALS = (
    "01_quickstart.ipynb",
    "02_unified_calls.ipynb",
    "03_native_calls.ipynb",
    "04_prompt_exploration.ipynb",
    "05_event_loop.ipynb",
)
CELL_TIMEOUT = 120  # seconds per cell
NOTEBOOK_BUDGET = 150.0
"""Seconds a whole notebook may take against the simulator (kernel start in the fresh environment included)."""
TIMINGS = ROOT / "test-artifacts" / "notebook-times.json"
KERNEL = "wan-nb-wheel"
KEY_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9][A-Za-z0-9_-]{7,}"),  # DashScope / OpenAI-style keys
    re.compile(r"Bearer\s+(?!\*)[A-Za-z0-9._~+/-]{8,}"),  # a bearer token printed with its value
)
REPOSITORY_PATHS = re.compile(
    r"\.\./|\bexamples/|\bnotebooks/|[\"']assets/|Path\([\"']assets"
    r"|[\"'](?:/(?:home|root|tmp|work|usr|etc|opt|var|mnt|srv|Users)\b|~/|[A-Za-z]:\\)"
)
"""What a cell must not name: the repository around it, or a machine's absolute paths."""
BADGES = (
    "https://mybinder.org/v2/gh/wan-nb/wan_nb/main?urlpath=lab/tree/notebooks/{name}",
    "https://colab.research.google.com/github/wan-nb/wan_nb/blob/main/notebooks/{name}",
)
AUDIT = textwrap.dedent(
    """
    # Installed by tests/test_notebooks.py: records what the kernel opens or lists outside the allowed roots.
    import os, sys

    def _arm():
        roots = tuple(os.path.join(root, "") for root in os.environ["WAN_NB_TEST_ROOTS"].split(os.pathsep))
        log = open(os.environ["WAN_NB_TEST_READS"], "a", buffering=1)
        log.write("armed\\n")

        def hook(event, args):
            if event not in ("open", "os.listdir", "os.scandir") or not args:
                return
            target = args[0]
            if not isinstance(target, (str, bytes, os.PathLike)):
                return  # a file descriptor
            path = os.path.abspath(os.fsdecode(target))
            if not os.path.join(path, "").startswith(roots):
                log.write(f"{event} {path}\\n")

        sys.addaudithook(hook)

    _arm()
    """
)


@dataclass(frozen=True)
class Runtime:
    """A kernel whose wan_nb is the built wheel's: the cached dependencies' venv plus the wheel's install."""

    python: Path
    site: Path
    jupyter_path: Path
    ipython_dir: Path


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One builder at a time for the cached venv (two pytest runs may start together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pip(python: Path, *args: str, cwd: Path | None = None) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        check=True, timeout=1200, env=env, cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, as ``pip wheel`` builds it (hatchling, package data included)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True, timeout=600,
    )  # fmt: skip
    (built,) = out.glob("wan_nb-*.whl")
    return built


def dependencies_venv(wheel: Path) -> Path:
    """A venv holding wan_nb's dependencies (with the simulator's) and ipykernel, but not wan_nb itself."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(str(Path(sys.base_prefix).resolve()).encode())
    cache = Path(os.environ.get("WAN_NB_TEST_CACHE") or Path(tempfile.gettempdir()) / "wan_nb-test-cache")
    venv = cache / f"standalone-{digest.hexdigest()[:16]}"
    with locked(venv.with_suffix(".lock")):
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            python = venv / "bin" / "python"
            pip(python, f"{wheel}[sim]", "ipykernel")
            subprocess.run([str(python), "-m", "pip", "uninstall", "--quiet", "-y", "wan_nb"], check=True)
            (venv / ".complete").touch()
    return venv


@pytest.fixture(scope="session")
def runtime(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    venv = dependencies_venv(wheel)
    python = venv / "bin" / "python"
    base = tmp_path_factory.mktemp("standalone")
    site = base / "site"
    pip(python, "--no-deps", "--target", str(site), str(wheel))
    spec = base / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(
        json.dumps({
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "wan_nb from the wheel",
            "language": "python",
            "env": {"PYTHONPATH": str(site)},  # the wheel's install, and nothing of the repository
        })
    )  # fmt: skip
    startup = base / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    startup.joinpath("00-audit-reads.py").write_text(AUDIT)
    return Runtime(python, site, base / "jupyter", base / "ipython")


def outputs_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(json.dumps(cell.get("outputs", [])) for cell in nb.cells)


def record_time(name: str, seconds: float) -> None:
    """Merge one notebook's wall time into the JSON summary and rewrite the markdown table beside it."""
    TIMINGS.parent.mkdir(exist_ok=True)
    times = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    times[name] = {"seconds": round(seconds, 1), "measured": datetime.now(UTC).isoformat(timespec="seconds")}
    times = dict(sorted(times.items()))
    TIMINGS.write_text(json.dumps(times, indent=2) + "\n")
    rows = [f"| `{nb}` | {row['seconds']:.1f} | {row['measured']} |" for nb, row in times.items()]
    table = ["| notebook | seconds | measured (UTC) |", "|---|---:|---|", *rows]
    TIMINGS.with_suffix(".md").write_text("\n".join(table) + "\n")


def stand_in_texts(nb: nbformat.NotebookNode) -> list[str]:
    """The plain text of each panel stand-in (the output static renderers show instead of the widget)."""
    texts = (
        out.get("data", {}).get("text/plain", "") for cell in nb.cells for out in cell.get("outputs", [])
    )
    return [text for text in texts if text.startswith("wan_nb panel:")]


def errored_cells(nb: nbformat.NotebookNode) -> list[str]:
    """Cells that raised, except those tagged ``raises-exception`` (which must raise)."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        expected = "raises-exception" in cell.metadata.get("tags", [])
        if errors and not expected:
            error = errors[0]
            problems.append(f"cell {index}: {error.ename}: {error.evalue}\n{cell.source[:300]}")
        if expected and not errors:
            problems.append(f"cell {index} is tagged raises-exception but raised nothing")
    return problems


def tagged(nb: nbformat.NotebookNode, tag: str) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code" and tag in cell.metadata.get("tags", [])]


PROBE = "import sys, wan_nb\nprint('wan_nb from', wan_nb.__file__)\nprint('python', sys.prefix)"


@dataclass(frozen=True)
class Run:
    nb: nbformat.NotebookNode
    seconds: float
    outside: list[str]
    """What the kernel opened or listed outside the allowed roots (``event path`` lines)."""


def run_alone(
    nb: nbformat.NotebookNode,
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    filename: str = "notebook.ipynb",
) -> Run:
    """Execute ``nb`` alone in an empty folder, on the wheel's kernel, with the read audit armed."""
    folder, kernel_tmp, reads = tmp_path / "class", tmp_path / "kernel-tmp", tmp_path / "reads.log"
    folder.mkdir()
    kernel_tmp.mkdir()
    nbformat.write(nb, folder / filename)  # the only file in its folder
    home = Path(os.environ["WAN_NB_HOME"])  # conftest: private, and no provider key in the environment
    allowed = [folder, runtime.site, Path(sys.base_prefix), runtime.python.parents[1], home, kernel_tmp]
    allowed += [runtime.ipython_dir, tmp_path / "runtime", Path("/dev"), Path("/proc"), Path("/sys")]
    allowed += [Path("/etc"), Path("/usr")]  # the system's certificates, time zones and shared libraries
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("JUPYTER_PATH", str(runtime.jupyter_path))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(runtime.ipython_dir))  # no user startup files, and the audit hook
    monkeypatch.setenv("TMPDIR", str(kernel_tmp))
    monkeypatch.setenv("MPLBACKEND", "agg")
    monkeypatch.setenv("WAN_NB_TEST_ROOTS", os.pathsep.join(str(path.resolve()) for path in allowed))
    monkeypatch.setenv("WAN_NB_TEST_READS", str(reads))
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL,
        allow_errors=True,  # collect every failing cell, then report them together
        resources={"metadata": {"path": str(folder)}},
    )
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    lines = reads.read_text().splitlines() if reads.exists() else []
    assert lines[:1] == ["armed"], "the kernel's read audit never started"
    probe = "".join(out.get("text", "") for out in nb.cells[-1].outputs)
    assert f"wan_nb from {runtime.site}" in probe, probe  # the wheel's install, not the repository
    return Run(nb, seconds, sorted(set(lines[1:])))


@pytest.mark.notebooks
@pytest.mark.parametrize("name", TUTORIALS)
def test_notebook_runs_alone_from_the_wheel(
    name: str,
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Copied alone into an empty folder, on the wheel's wan_nb, with no key: every cell runs clean."""
    run = run_alone(nbformat.read(NOTEBOOKS / name, as_version=4), runtime, tmp_path, monkeypatch, name)
    nb = run.nb
    with capsys.disabled():
        print(f"\n[notebooks] {name} ran alone from the wheel in {run.seconds:.1f} s", flush=True)
    record_time(name, run.seconds)
    keep = Path(os.environ.get("WAN_NB_EXECUTED_DIR") or tmp_path)  # for a post-mortem
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
        (stand_in,) = stand_in_texts(nb)
        assert "2 task(s)" in stand_in and "SUCCEEDED" in stand_in, stand_in
    if name == "04_prompt_exploration.ipynb":  # the prompt lab, as a reader of the saved notebook sees it
        assert "requests the simulator received: 0" in text and "nothing was sent" in text, "the refusal"
        assert "<ins" in text, "the rewrite's word diff"
        assert text.count('"image/jpeg"') >= 8, "contact sheets of the grid and of the chain"
        page = (tmp_path / "class" / "session.html").read_text()  # written in the notebook's own folder
        assert page.count("<video") >= 7 and "data:video/mp4;base64," in page, "the report plays its videos"
    assert run.seconds <= NOTEBOOK_BUDGET, (
        f"{name} took {run.seconds:.0f} s; the budget is {NOTEBOOK_BUDGET:.0f} s"
    )


@pytest.mark.notebooks
def test_the_audit_catches_a_cell_reading_the_repository(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook that reads the repository's picture is caught; one that reads its own folder is not."""
    cells = [
        "from pathlib import Path\nPath('mine.txt').write_text('ok'); Path('mine.txt').read_text()",
        f"len(open({str(ROOT / 'examples' / 'cat.png')!r}, 'rb').read())",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
    run = run_alone(nb, runtime, tmp_path, monkeypatch)
    assert not errored_cells(run.nb), errored_cells(run.nb)
    assert run.outside == [f"open {ROOT / 'examples' / 'cat.png'}"]


def test_the_wheel_ships_the_sample_media(wheel: Path) -> None:
    import zipfile

    from wan_nb import assets

    names = set(zipfile.ZipFile(wheel).namelist())
    for asset in assets.NAMES:
        assert f"wan_nb/assets/{asset}" in names, f"{asset} is not in the wheel"
    assert assets.clip.stat().st_size < 200_000, "keep the sample clip small"


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
