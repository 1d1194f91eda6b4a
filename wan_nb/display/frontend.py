"""Where the kernel runs, and how a finished video should play there. Stdlib only; imports nothing from wan_nb.

Each front end is recognised by markers it really sets (sources in brackets):

- **Colab**: its kernel imports ``google.colab`` at start-up (the shell class is ``google.colab._shell.Shell``),
  so ``"google.colab" in sys.modules`` [stackoverflow.com/a/53586419; fastai PR 1812]. ``COLAB_RELEASE_TAG``
  alone is not enough: Kaggle's image, built on Colab's, sets it too [Kaggle/kagglehub PR 230].
- **VS Code**: its Jupyter extension puts ``__vsc_ipynb_file__`` (the notebook's path) in the kernel's user
  namespace; a kernel VS Code launches inherits ``VSCODE_PID`` / ``VSCODE_CWD`` from it. ``VSCODE_PID`` also
  reaches a JupyterLab started from VS Code's terminal, so it counts only without a Jupyter server session.
- **Voilà**: it starts each kernel with ``VOILA_KERNEL_ID``/``VOILA_BASE_URL``/``VOILA_SERVER_URL``/
  ``VOILA_REQUEST_URL``/``VOILA_APP_PORT`` in its environment [installed voila 0.5 ``handler.py``,
  ``voila_kernel_manager.py``].
- **JupyterLab / Notebook 7 / Binder**: jupyter_server starts a notebook's kernel with ``JPY_SESSION_NAME``
  set to the notebook's path [installed jupyter_server 2 ``services/sessions/sessionmanager.py``]; its
  ``/files/`` handler serves the root folder, so a relative ``src`` plays (notebook_tech.md §2.2).
- **A kernel with no known front end** (nbclient, papermill, ``jupyter nbconvert --execute``, classic
  Notebook 6): an IPython kernel (the running shell has a ``kernel``) without any marker above. Its outputs are written
  into a file that is read later, so videos are embedded.
- **No front end** (a script, the CLI, pytest, a ``!command`` from a cell): no IPython kernel in this process.

Playback follows: a live https result URL plays from that URL everywhere; a local file plays by relative
path where a Jupyter server serves the folder; elsewhere it is embedded (widget bytes in the panel, a
``data:`` URI in static HTML) below a size cap, and only linked above it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

__all__ = ["EMBED_CAP", "FrontEnd", "Kind", "Playback", "detect", "playback", "say"]

EMBED_CAP = 4 * 1024 * 1024
"""Largest video embedded as a ``data:`` URI (base64 grows it by a third, and it lands in the .ipynb)."""

VOILA_MARKERS = (
    "VOILA_KERNEL_ID",
    "VOILA_BASE_URL",
    "VOILA_SERVER_URL",
    "VOILA_REQUEST_URL",
    "VOILA_APP_PORT",
)
VSCODE_ENV = ("VSCODE_PID", "VSCODE_CWD")

Playback = Literal["url", "relative", "embed", "link"]


class Kind(StrEnum):
    JUPYTER = "jupyter"
    VOILA = "voila"
    VSCODE = "vscode"
    COLAB = "colab"
    KERNEL = "kernel"
    NONE = "none"


_LABELS = {
    Kind.JUPYTER: "JupyterLab / Notebook 7 (a Jupyter server)",
    Kind.VOILA: "Voilà",
    Kind.VSCODE: "VS Code",
    Kind.COLAB: "Google Colab",
    Kind.KERNEL: "a kernel without a known front end (nbclient, nbconvert, papermill)",
    Kind.NONE: "no notebook (a script or the command line)",
}


@dataclass(frozen=True, slots=True)
class FrontEnd:
    """What :func:`detect` found: the kind and the names of the markers that said so (never their values)."""

    kind: Kind
    markers: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return _LABELS[self.kind]

    @property
    def serves_files(self) -> bool:
        """A Jupyter server serves the notebook's folder, so a relative ``src`` plays."""
        return self.kind in (Kind.JUPYTER, Kind.VOILA)

    @property
    def plays_aac(self) -> bool:
        """VS Code's Electron ships FFmpeg without AAC (microsoft/vscode issues 162062, 167685): H.264 video
        plays there, an AAC track stays silent (the simulator renders no soundtrack there)."""
        return self.kind is not Kind.VSCODE

    @property
    def in_kernel(self) -> bool:
        return self.kind is not Kind.NONE

    @property
    def widget_note(self) -> str:
        """How ipywidgets 8 render here."""
        if self.kind is Kind.COLAB:
            return "through Colab's custom widget manager (wan_nb.panel() enables it)"
        if self.kind is Kind.NONE:
            return "no widget front end"
        if self.kind is Kind.KERNEL:
            return "saved as widget state at most; the static stand-in shows the tasks"
        return "native ipywidgets 8"


def detect(
    env: Mapping[str, str] | None = None,
    modules: Mapping[str, Any] | None = None,
    shell: Any = None,
) -> FrontEnd:
    """The front end this process runs under. ``shell``: the running IPython shell (default: IPython's own,
    when IPython is already imported); a kernel's shell has a ``kernel``. Arguments are for tests."""
    env = os.environ if env is None else env
    modules = sys.modules if modules is None else modules
    shell = _running_shell(modules) if shell is None else shell
    if getattr(shell, "kernel", None) is None:
        # No kernel: a script, the CLI, or a `!command` run from a cell (which inherits the kernel's env).
        return FrontEnd(Kind.NONE)
    user_ns = getattr(shell, "user_ns", None)
    if "google.colab" in modules:
        return FrontEnd(Kind.COLAB, ("google.colab",))
    if isinstance(user_ns, Mapping) and "__vsc_ipynb_file__" in user_ns:
        return FrontEnd(Kind.VSCODE, ("__vsc_ipynb_file__",))
    voila = tuple(name for name in VOILA_MARKERS if env.get(name))
    if voila:
        return FrontEnd(Kind.VOILA, voila)
    if env.get("JPY_SESSION_NAME"):
        return FrontEnd(Kind.JUPYTER, ("JPY_SESSION_NAME",))
    vscode = tuple(name for name in VSCODE_ENV if env.get(name))
    if vscode:
        return FrontEnd(Kind.VSCODE, vscode)
    return FrontEnd(Kind.KERNEL, ("kernel",))


def _running_shell(modules: Mapping[str, Any]) -> Any:
    """IPython's running shell, when IPython is already imported (never imported here: it is slow).
    ``ipykernel`` being imported proves nothing: ipywidgets 8.0 imports it in plain scripts too."""
    ipython = modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None


def playback(
    front: FrontEnd,
    *,
    live_url: bool,
    relative: bool,
    size: int | None,
    cap: int = EMBED_CAP,
    saved: bool = False,
) -> Playback | None:
    """How a result plays: ``live_url`` (a live https result URL), ``relative`` (the file is under the
    served folder), ``size`` (bytes of the local file, None without one). None: nothing to play.

    ``saved``: for an output that outlives the session (a task's HTML, the panel's stand-in): the local file
    comes before the result URL, which expires after 24 h (protocol.md §2). A live view (the panel) plays the
    URL first, so no bytes go through the kernel.
    """
    if live_url and not saved:
        return "url"
    if size is not None and relative and front.serves_files:
        return "relative"
    if size is not None and size <= cap:
        return "embed"
    if live_url:
        return "url"
    return "link" if size is not None else None


_SAID: set[str] = set()


def say(line: str) -> None:
    """One notice line, once per process: below the cell in a notebook (stdout, not a warning with a source
    location), on stderr in a script or the command line (stdout may be data there)."""
    if line in _SAID:
        return
    _SAID.add(line)
    stream = sys.stdout if detect().in_kernel else sys.stderr
    print(line, file=stream, flush=True)
