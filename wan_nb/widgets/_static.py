"""What the panel shows where no widget manager runs (nbviewer, GitHub, static HTML exports).

A widget's output is only a model id; without its saved state a static page shows nothing, so the panel's
mime bundle also carries plain text and HTML: the tasks known when it was displayed, each as
``wan_nb.display.task_card`` (escaped; a relative link to the saved video). GitHub strips ``<video>``, so the
link is what remains there (notebook_tech.md §2.3 c).
"""

from __future__ import annotations

from wan_nb.display import task_card
from wan_nb.models import Task

__all__ = ["plain", "static_html"]


def plain(tasks: list[Task]) -> str:
    """One line per task, under a header saying what the panel is."""
    lines = [f"WanPanel ({len(tasks)} tasks; interactive in Jupyter with ipywidgets)"]
    lines += [f"  {t.id} {t.status.value}" + (f" {t.path}" if t.path else "") for t in tasks]
    return "\n".join(lines)


def static_html(tasks: list[Task]) -> str:
    """A note that the panel is interactive, then a status card per task."""
    intro = (
        "<p><b>wan_nb panel</b>: an interactive widget; run the notebook in Jupyter (or Voilà) to use it. "
        f"{len(tasks)} task(s) at the time it was displayed:</p>"
    )
    return intro + "".join(task_card(task) for task in tasks)
