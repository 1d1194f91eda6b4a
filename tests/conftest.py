"""Suite-wide isolation: every test starts with no provider keys, no proxy variables and its own WAN_NB_HOME.

Like httpx's suite, tests never see the developer's real environment: a key in the shell must not turn an
offline test into a paid request, and the journal/simulator state of one test must not leak into another.
Also the ``fast_sim`` clock for tests that run the built-in simulator without measuring its time.

Tiers (``tests/unit``, ``integration``, ``notebooks``, ``browser``) share helpers through ``tests/fixtures/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

PROVIDER_VARIABLES = ("DASHSCOPE_API_KEY", "WAN_API_KEY", "WAN_NB_PROVIDER", "WAN_NB_BASE_URL")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in PROVIDER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in [name for name in os.environ if name.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)  # HTTP(S)_PROXY, ALL_PROXY, NO_PROXY in any case: httpx would route by them
    home = tmp_path / "wan_nb_home"
    monkeypatch.setenv("WAN_NB_HOME", str(home))
    return home


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kernel's working directory (a notebook's folder), where the panel saves videos; a test file may
    define its own (``test_panel.py`` adds JupyterLab's marker, ``test_cli.py`` a cat.png)."""
    folder = tmp_path / "notebook"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


SIM_TIME_SCALE = 0.1
"""``fast_sim``'s factor on the simulator's task time: its default 4 s task (a quarter PENDING) takes 0.4 s."""


@pytest.fixture
def fast_sim(monkeypatch: pytest.MonkeyPatch) -> float:
    """Every simulator this test creates (the built-in ``sim`` providers too) runs its tasks ten times faster.

    For tests that check what a run gives, not how long it takes: ``wan_nb.sim.create_app`` gets
    ``time_scale=SIM_TIME_SCALE`` unless the caller sets its own (the client's ``sim_transport`` looks the
    factory up when it first serves a state folder, and each test has its own ``WAN_NB_HOME``).
    """
    import wan_nb.sim

    make = wan_nb.sim.create_app

    def faster(**knobs: Any) -> wan_nb.sim.SimApp:
        return make(**({"time_scale": SIM_TIME_SCALE} | knobs))

    monkeypatch.setattr(wan_nb.sim, "create_app", faster)
    return SIM_TIME_SCALE
