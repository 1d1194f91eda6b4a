"""Front-end detection and the playback choice, per front end, with faithful stand-ins of the markers each
really sets (the real front ends cannot run here). Sources are named at each stand-in; frontend.py cites them.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

from wan_nb.display import frontend
from wan_nb.display.frontend import EMBED_CAP, FrontEnd, Kind, detect, playback

KERNEL: dict[str, Any] = {}  # modules beyond the kernel's own that a front end adds


def shell(**user_ns: Any) -> Any:
    """A stand-in of ipykernel's running shell: it has a ``kernel`` and a user namespace."""
    return types.SimpleNamespace(kernel=object(), user_ns=user_ns)


# Colab: the kernel imports google.colab at start (its shell is google.colab._shell.Shell); COLAB_RELEASE_TAG
# is set too, but Kaggle's Colab-based image sets it as well (Kaggle/kagglehub PR 230).
COLAB = (
    {"COLAB_RELEASE_TAG": "release-colab_20261120-060000_RC00"},
    {**KERNEL, "google.colab": object()},
    shell(),
)
# VS Code: the Jupyter extension injects __vsc_ipynb_file__ into the user namespace; kernels it launches
# inherit VSCODE_PID / VSCODE_CWD from the editor process.
VSCODE = (
    {"VSCODE_PID": "4242", "VSCODE_CWD": "/home/u"},
    KERNEL,
    shell(__vsc_ipynb_file__="/home/u/a.ipynb"),
)
# Voilà 0.5 starts kernels with these variables (installed voila/handler.py, voila_kernel_manager.py).
VOILA = (
    {"VOILA_KERNEL_ID": "k", "VOILA_BASE_URL": "/", "VOILA_SERVER_URL": "/", "VOILA_APP_PORT": "8866"},
    KERNEL,
    shell(),
)
# jupyter_server 2 starts a notebook's kernel with JPY_SESSION_NAME = the notebook's path
# (installed jupyter_server/services/sessions/sessionmanager.py); jupyter_client adds JPY_PARENT_PID.
JUPYTER = ({"JPY_SESSION_NAME": "/srv/nb/01_quickstart.ipynb", "JPY_PARENT_PID": "17"}, KERNEL, shell())
# nbclient / nbconvert --execute / papermill: jupyter_client's launcher sets only JPY_PARENT_PID.
NBCLIENT = ({"JPY_PARENT_PID": "17"}, KERNEL, shell())
# A script: no running shell (IPython may be imported, ipykernel too: ipywidgets 8.0 imports it).
SCRIPT: tuple[dict[str, str], dict[str, Any], Any] = ({}, {"ipykernel": object()}, types.SimpleNamespace())

CASES = {
    Kind.COLAB: COLAB,
    Kind.VSCODE: VSCODE,
    Kind.VOILA: VOILA,
    Kind.JUPYTER: JUPYTER,
    Kind.KERNEL: NBCLIENT,
    Kind.NONE: SCRIPT,
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_front_end_is_recognised_by_its_markers(kind: Kind) -> None:
    env, modules, running = CASES[kind]
    assert detect(env, modules, running).kind is kind


def test_vscode_pid_alone_marks_vscode_only_without_a_jupyter_session() -> None:
    # A JupyterLab started from VS Code's integrated terminal inherits VSCODE_PID: it is still JupyterLab.
    env = {"VSCODE_PID": "4242", "JPY_SESSION_NAME": "/srv/a.ipynb"}
    assert detect(env, KERNEL, shell()).kind is Kind.JUPYTER
    assert detect({"VSCODE_PID": "4242"}, KERNEL, shell()).kind is Kind.VSCODE
    no_kernel = types.SimpleNamespace()
    assert detect({"VSCODE_PID": "4242"}, {}, no_kernel).kind is Kind.NONE  # a script in VS Code's terminal
    # `!wan-nb generate` from a Lab cell inherits JPY_SESSION_NAME, but has no kernel: no front end.
    assert detect({"JPY_SESSION_NAME": "/srv/a.ipynb"}, {}, no_kernel).kind is Kind.NONE


def test_colab_release_tag_without_the_module_is_not_colab() -> None:
    assert detect({"COLAB_RELEASE_TAG": "x"}, KERNEL, shell()).kind is Kind.KERNEL  # Kaggle's image


def test_the_shell_is_read_from_a_running_ipython() -> None:
    ipython = types.SimpleNamespace(get_ipython=lambda: shell(__vsc_ipynb_file__="/x.ipynb"))
    assert detect({}, {"IPython": ipython}).kind is Kind.VSCODE
    assert detect({}, {"IPython": types.SimpleNamespace(get_ipython=lambda: None)}).kind is Kind.NONE


def test_markers_are_reported_by_name_never_value() -> None:
    env, modules, running = VOILA
    found = detect(env, modules, running)
    assert set(found.markers) == {"VOILA_KERNEL_ID", "VOILA_BASE_URL", "VOILA_SERVER_URL", "VOILA_APP_PORT"}
    assert "8866" not in repr(found)


EXPECTED = {
    # front end: (a served file, a small unserved file, a big file)
    Kind.JUPYTER: ("relative", "embed", "link"),
    Kind.VOILA: ("relative", "embed", "link"),
    Kind.VSCODE: ("embed", "embed", "link"),  # VS Code does not resolve relative src in outputs
    Kind.COLAB: ("embed", "embed", "link"),  # Colab has no file server
    Kind.KERNEL: ("embed", "embed", "link"),  # the saved notebook or its HTML export must carry the video
    Kind.NONE: ("embed", "embed", "link"),
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_playback_choice_per_front_end(kind: Kind) -> None:
    front = FrontEnd(kind)
    small, big = 300_000, EMBED_CAP + 1
    chosen = (
        playback(front, live_url=False, relative=True, size=small),
        playback(front, live_url=False, relative=False, size=small),
        playback(front, live_url=False, relative=True, size=big),
    )
    want = list(EXPECTED[kind])
    if kind in (Kind.JUPYTER, Kind.VOILA):
        want[2] = "relative"  # served files play by path whatever their size
    assert chosen == tuple(want)
    # A live https result URL plays from that URL everywhere; nothing to play yet: None.
    assert playback(front, live_url=True, relative=False, size=None) == "url"
    assert playback(front, live_url=True, relative=True, size=small) == "url"  # live view: no kernel bytes
    assert playback(front, live_url=False, relative=False, size=None) is None
    # A saved output prefers the local file (the URL expires in 24 h), and falls back to the URL above the cap.
    assert playback(front, live_url=True, relative=False, size=small, saved=True) == "embed"
    assert playback(front, live_url=True, relative=False, size=big, saved=True) == "url"


def test_only_vscode_lacks_aac() -> None:
    assert [kind for kind in Kind if not FrontEnd(kind).plays_aac] == [Kind.VSCODE]


def test_say_prints_one_line_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(frontend, "_SAID", set())
    for _ in range(2):
        frontend.say("wan_nb: hello")
    out = capsys.readouterr()
    assert out.err == "wan_nb: hello\n" and out.out == ""  # no kernel in pytest: stderr


def test_detect_runs_on_the_real_process() -> None:
    assert detect().kind in set(Kind)
    assert Path(frontend.__file__).read_text().count("import wan_nb") == 0  # a leaf
