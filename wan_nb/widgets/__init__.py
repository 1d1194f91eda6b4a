"""The notebook panel: submit image-to-video tasks, watch them live and play the results in the cell.

```python
import wan_nb
panel = wan_nb.panel(first_frame="cat.png", prompt="a cat turns its head")   # simulator without a key
panel
```

Imports ipywidgets and IPython.display, so ``import wan_nb`` never imports this package; ``wan_nb.panel()``
does, on first use. (It is not called ``wan_nb.panel``: a subpackage of that name would replace the
``wan_nb.panel()`` function as soon as it was imported.) Works in JupyterLab 4, Notebook 7 and Voilà. Videos saved under the notebook's folder
(``wan_outputs/``) play by relative path; Voilà serves only images from that folder by default, so allow mp4
(without it ``/voila/files/*.mp4`` answers 403, notebook_tech.md §2.2), in ``voila.json`` next to the notebook
or in the Binder config::

    {"VoilaConfiguration": {"file_allowlist": [".*\\\\.(png|jpg|gif|svg|mp4)"]}}

or on the command line: ``voila --VoilaConfiguration.file_allowlist="['.*\\\\.(png|jpg|gif|svg|mp4)']" nb.ipynb``.
"""

from __future__ import annotations

from wan_nb.widgets.card import TaskCard
from wan_nb.widgets.panel import WanPanel

__all__ = ["TaskCard", "WanPanel"]
