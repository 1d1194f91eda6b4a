"""wan_nb.doctor() and `wan-nb doctor`: one table, keys by name only, proxies redacted, fixes that are exact."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wan_nb.display.frontend import FrontEnd, Kind
from wan_nb.notebook.doctor import doctor, redact

SECRET = "sk-doctor-secret-0123456789"


def test_the_table_names_every_area(tmp_path: Path) -> None:
    report = doctor({"WAN_NB_HOME": str(tmp_path)}, FrontEnd(Kind.JUPYTER, ("JPY_SESSION_NAME",)))
    names = [check.name for check in report.checks]
    assert names == [
        "front end", "ipywidgets", "simulator encoder", "file serving", "providers", "proxies", "journal home"
    ]  # fmt: skip
    assert report.ok
    assert "libx264" in str(report) and "JPY_SESSION_NAME" in str(report)
    assert "<table" in report._repr_html_()


def test_keys_by_name_never_value_and_proxy_passwords_redacted(tmp_path: Path) -> None:
    env = {
        "WAN_NB_HOME": str(tmp_path),
        "DASHSCOPE_API_KEY": SECRET,
        "HTTPS_PROXY": "http://alice:hunter2@proxy.example:3128",
        "no_proxy": "localhost,.internal",
    }
    report = doctor(env, FrontEnd(Kind.NONE))
    text = str(report) + report._repr_html_()
    assert "DASHSCOPE_API_KEY" in text and SECRET not in text
    assert "hunter2" not in text and "alice:***@proxy.example:3128" in text
    assert "dashscope-intl" in text  # usable providers follow from the keys


def test_an_unsupported_proxy_fails_with_the_fix(tmp_path: Path) -> None:
    report = doctor({"WAN_NB_HOME": str(tmp_path), "ALL_PROXY": "socks4://p:1080"}, FrontEnd(Kind.NONE))
    (proxy,) = [check for check in report.checks if check.name == "proxies"]
    assert proxy.state == "fail" and "socks5://" in proxy.fix and not report.ok


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_home_fails(tmp_path: Path) -> None:
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        report = doctor({"WAN_NB_HOME": str(tmp_path / "home")}, FrontEnd(Kind.NONE))
    finally:
        tmp_path.chmod(stat.S_IRWXU)
    (home,) = [check for check in report.checks if check.name == "journal home"]
    assert home.state == "fail" and "WAN_NB_HOME" in home.fix


def test_a_home_that_is_a_file_fails(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    report = doctor({"WAN_NB_HOME": str(tmp_path / "file")}, FrontEnd(Kind.NONE))
    (home,) = [check for check in report.checks if check.name == "journal home"]
    assert home.state == "fail" and "not writable" in home.found


def test_colab_says_how_to_enable_its_widget_manager(tmp_path: Path) -> None:
    report = doctor({"WAN_NB_HOME": str(tmp_path)}, FrontEnd(Kind.COLAB, ("google.colab",)))
    (widgets,) = [check for check in report.checks if check.name == "ipywidgets"]
    assert widgets.fix == "from google.colab import output; output.enable_custom_widget_manager()"


def test_vscode_says_simulator_videos_have_no_audio(tmp_path: Path) -> None:
    report = doctor({"WAN_NB_HOME": str(tmp_path)}, FrontEnd(Kind.VSCODE, ("__vsc_ipynb_file__",)))
    assert "without audio" in report.checks[0].found and "embedded" in report.checks[0].found


def test_unknown_default_provider_fails(tmp_path: Path) -> None:
    report = doctor({"WAN_NB_HOME": str(tmp_path), "WAN_NB_PROVIDER": "dashcope"}, FrontEnd(Kind.NONE))
    assert not report.ok and "dashscope-intl" in str(report)


def test_redact() -> None:
    assert redact("http://proxy:3128") == "http://proxy:3128"
    assert redact("http://u:p@proxy:3128/") == "http://u:***@proxy:3128/"
    assert redact("http://token@proxy") == "http://***@proxy"


def test_wan_nb_sim_without_uvicorn_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from wan_nb.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    assert main(["sim", "--port", "0"]) == 2
    assert 'pip install "wan_nb[sim]"' in capsys.readouterr().err
