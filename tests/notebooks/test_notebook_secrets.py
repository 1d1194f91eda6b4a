"""Secrets audit of the tutorials (issue 6): each notebook runs with the canary as both provider keys.

The audit's tools are in ``tests/fixtures/secrets.py``; ``tests/integration/test_secrets_audit.py`` audits the
client, the CLI and the panel the same way. The run itself is the tier's one pass per tutorial
(``conftest.py``): 01 takes its provider from the environment (dashscope, at the canary-requiring simulator
served on loopback through ``WAN_NB_BASE_URL``); 02-05 use the in-process simulators and must connect nowhere.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures.notebooks import TUTORIALS, TutorialRun
from tests.fixtures.secrets import (
    UNREACHABLE,
    assert_connects_only,
    assert_journal_kept,
    assert_wire_clean,
    scan_files,
)


@pytest.mark.parametrize("name", TUTORIALS)
def test_notebook_keeps_the_key_to_itself(name: str, tutorial: Callable[[str], TutorialRun]) -> None:
    """The saved .ipynb, the kernel's stdout/stderr and every file of the run hold no trace of the key.

    Every file of the run is read raw: the notebook's folder (its videos and pages), the saved notebook, the
    kernel's runtime, temporary and IPython files, and ``$WAN_NB_HOME`` (the journal, its WAL held open).
    """
    done = tutorial(name)
    scanned = scan_files(done.base, done.home, done.ipython_dir)
    assert b"wan-audit: armed" in done.kernel_output.read_bytes(), "the kernel's stderr was not captured"
    assert_journal_kept(done.home, scanned)
    armed, connects = done.watch.read()
    assert armed, "the sitecustomize audit hook never loaded in the kernel"
    assert UNREACHABLE in connects, "the kernel's audit hook did not report the probe connect"
    served = done.served
    allowed = served.addresses if name == "01_quickstart.ipynb" else set()
    assert_connects_only(connects, allowed | {UNREACHABLE})
    if name == "01_quickstart.ipynb":
        assert served.api in {a[:2] for a in connects}, "the hook missed the kernel's connects to the API"
        create = [s for s in served.recorder.seen if s.path.endswith("video-synthesis")]
        assert create, "the notebook never submitted"
        assert_wire_clean(served.recorder)
