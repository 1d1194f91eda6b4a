"""Colab, with a faithful stand-in of what its runtime provides (it cannot run here).

Colab's kernel imports ``google.colab`` at start (its shell is ``google.colab._shell.Shell``); Secrets are read
with ``google.colab.userdata.get(name)``, which raises ``SecretNotFoundError`` for an unknown name and
``NotebookAccessError`` when the notebook was not granted access; ``google.colab.output
.enable_custom_widget_manager()`` switches on the widget manager ipywidgets 8 needs there (Colab's own
documentation, "Custom widget support"; googlecolab/colabtools ``google/colab/userdata.py``, ``output/``).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from wan_nb.client import providers
from wan_nb.client.providers import available_providers, resolve
from wan_nb.display import frontend

KEY = "sk-colab-secret-0123456789abcdef"


class SecretNotFoundError(Exception):
    pass


class NotebookAccessError(Exception):
    pass


@pytest.fixture
def colab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, object]:
    secrets: dict[str, object] = {}
    calls: dict[str, object] = {"widget_manager": 0}

    def get(name: str) -> object:
        value = secrets.get(name)
        if isinstance(value, Exception):
            raise value
        if value is None:
            raise SecretNotFoundError(name)
        return value

    def enable_custom_widget_manager() -> None:
        calls["widget_manager"] = int(calls["widget_manager"]) + 1  # type: ignore[call-overload]

    google = types.ModuleType("google")
    colab_module = types.ModuleType("google.colab")
    userdata = types.ModuleType("google.colab.userdata")
    userdata.get = get  # type: ignore[attr-defined]
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = enable_custom_widget_manager  # type: ignore[attr-defined]
    for name, module in [
        ("google", google),
        ("google.colab", colab_module),
        ("google.colab.userdata", userdata),
        ("google.colab.output", output),
    ]:
        monkeypatch.setitem(sys.modules, name, module)
    for variable in ("DASHSCOPE_API_KEY", "WAN_API_KEY", "WAN_NB_PROVIDER", "WAN_NB_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("WAN_NB_HOME", str(tmp_path))
    monkeypatch.setattr(frontend, "_SAID", set())
    return {"secrets": secrets, "calls": calls}


def test_detected_as_colab(colab: dict[str, object]) -> None:
    kernel = types.SimpleNamespace(kernel=object(), user_ns={})  # Colab's shell is ipykernel's subclass
    assert frontend.detect(shell=kernel).kind is frontend.Kind.COLAB


def test_a_key_in_colab_secrets_picks_the_provider_and_is_never_echoed(
    colab: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    colab["secrets"]["DASHSCOPE_API_KEY"] = KEY  # type: ignore[index]
    resolved = resolve()
    assert resolved.provider.name == "dashscope" and resolved.api_key == KEY
    assert KEY not in repr(resolved)
    assert "dashscope" in available_providers()
    out = capsys.readouterr()
    assert KEY not in out.out + out.err


@pytest.mark.parametrize("failure", [None, NotebookAccessError("access not granted")])
def test_no_or_inaccessible_secret_falls_back_to_the_simulator(
    colab: dict[str, object], failure: Exception | None
) -> None:
    if failure is not None:
        colab["secrets"]["WAN_API_KEY"] = failure  # type: ignore[index]
    assert resolve().provider.name == "sim"


def test_the_environment_wins_over_secrets(colab: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    colab["secrets"]["DASHSCOPE_API_KEY"] = KEY  # type: ignore[index]
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-from-env")
    assert resolve().api_key == "sk-from-env"


def test_secrets_are_read_only_on_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert providers.with_colab_secrets({"A": "b"}) == {"A": "b"}


def test_the_panel_enables_colabs_widget_manager_once(colab: dict[str, object]) -> None:
    from wan_nb.widgets import WanPanel, _colab

    _colab._enabled = False
    WanPanel(provider="sim", history=False)
    WanPanel(provider="sim", history=False)
    assert colab["calls"]["widget_manager"] == 1  # type: ignore[index]


def test_the_panel_uses_no_accordion() -> None:
    import ipywidgets as widgets

    from wan_nb.widgets import WanPanel

    panel = WanPanel(provider="sim", history=False)
    seen, stack = [], [panel]
    while stack:
        widget = stack.pop()
        seen.append(type(widget))
        stack.extend(getattr(widget, "children", ()))
    assert not any(issubclass(kind, (widgets.Accordion, widgets.Tab)) for kind in seen)
