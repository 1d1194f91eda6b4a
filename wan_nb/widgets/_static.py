"""What the panel shows where no widget manager runs (nbviewer, GitHub, static HTML exports).

A widget's output is only a model id; without its saved state a static page shows nothing. So the panel
displays a second output, its *stand-in*: plain text and HTML listing its tasks (each as
``wan_nb.display.html.task_card``, escaped, with a relative link to the saved video; GitHub strips ``<video>``, so
the link is what remains there, notebook_tech.md §2.3 c), paired with a hidden widget, which is what a front
end with a widget manager renders instead: nothing.

The stand-in carries a ``display_id`` and is replaced (``update_display``) as tasks finish, so a notebook saved
later lists the tasks started after the panel was shown. Why a second output rather than updating the panel's
own: JupyterLab answers an update of a widget output by building a new view of the whole panel (playing videos
restart, the focus is lost); re-rendering the hidden widget costs nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import ipywidgets as widgets

from wan_nb.display import frontend
from wan_nb.display.html import task_card
from wan_nb.models import Task
from wan_nb.widgets._throttle import Throttle

__all__ = ["VIEW", "StandIn", "plain", "static_html"]

VIEW = "application/vnd.jupyter.widget-view+json"
UPDATE_INTERVAL = 0.5
"""Seconds between updates of the stand-in (tasks of a grid often finish together)."""


class StandIn:
    """The panel's static stand-in: shown once with :meth:`display`, then kept current with :meth:`refresh`."""

    def __init__(self) -> None:
        self.display_id = uuid4().hex
        self.anchor = widgets.HTML(layout=widgets.Layout(display="none"))
        self.shown = False
        self._throttle: Throttle[list[Task]] = Throttle(self._update, UPDATE_INTERVAL)

    def bundle(self, tasks: list[Task]) -> dict[str, Any]:
        """The hidden widget's view, plus text and HTML listing ``tasks``.

        Under a kernel with no front end (nbclient, ``nbconvert --execute``, papermill) the view is left
        out: nbconvert's HTML exporter renders a widget view whenever there is one (its display priority puts
        it before text/html) and needs a CDN for it, so an exported page would show nothing offline; and
        there is no live front end that would show the panel twice."""
        static = {"text/plain": plain(tasks), "text/html": static_html(tasks)}
        if frontend.detect().kind is frontend.Kind.KERNEL:
            return static
        return {VIEW: self.anchor._repr_mimebundle_()[VIEW], **static}

    def display(self, panel: dict[str, Any], tasks: list[Task]) -> None:
        """Show the panel's own bundle, then the stand-in, as outputs of the current cell."""
        _publish(panel)
        _publish(self.bundle(tasks), display_id=self.display_id)
        self.shown = True

    def refresh(self, tasks: list[Task]) -> None:
        """Replace every shown copy of the stand-in with one listing ``tasks`` (coalesced)."""
        if self.shown:
            self._throttle.push(tasks)

    def flush(self, tasks: list[Task]) -> None:
        """Replace the shown stand-in now, from the caller's context: a cell awaiting the panel
        (``await panel.wait_idle()``) owns the message, so nbclient/nbconvert, which record only messages of
        the cell being run, save the finished tasks into the notebook and its HTML export."""
        if self.shown:
            self._update(tasks)

    def _update(self, tasks: list[Task]) -> None:
        _publish(self.bundle(tasks), display_id=self.display_id, update=True)


def _publish(bundle: dict[str, Any], *, display_id: str | None = None, update: bool = False) -> None:
    from IPython.display import display  # here: IPython is imported only once a panel is displayed

    display(bundle, raw=True, display_id=display_id, update=update)  # type: ignore[no-untyped-call]  # IPython is untyped


def plain(tasks: list[Task]) -> str:
    """One line per task, under a header saying what the panel is."""
    lines = [f"wan_nb panel: {len(tasks)} task(s) (interactive in Jupyter with ipywidgets)"]
    lines += [f"  {t.id} {t.status.value}" + (f" {t.path}" if t.path else "") for t in tasks]
    return "\n".join(lines)


def static_html(tasks: list[Task]) -> str:
    """A note that the panel is interactive, then a status card per task."""
    intro = (
        "<p><b>wan_nb panel</b>: an interactive widget; run the notebook in Jupyter (or Voilà) to use it. "
        f"{len(tasks)} task(s) when the notebook last ran:</p>"
    )
    return intro + "".join(task_card(task) for task in tasks)
