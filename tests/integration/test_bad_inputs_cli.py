"""The bad-input catalogue through the CLI (issue 6): exit 2, one line naming the field, and nothing sent.

The CLI builds its own client, so "nothing sent" is proven by a counting loopback server as ``--base-url``
and by an audit hook on ``socket.connect``/``getaddrinfo`` (``tests/fixtures/bad_inputs.py`` holds the table).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.fixtures.bad_inputs import (
    BASE_PROMPT,
    CLI_CASES,
    CLI_ONLY_USAGE,
    Bad,
    cli_form,
    make_media,
)
from tests.fixtures.servers import loopback, serving, url
from tests.fixtures.sockets import SocketWatch
from wan_nb.cli.output import EXIT_USAGE, PROG


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return make_media(tmp_path_factory.mktemp("bad-media"))


class _Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []  # one server per test, one list

    def _count(self) -> None:
        _Counter.hits.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _count

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server counting every request; the CLI's ``--base-url``."""
    _Counter.hits = []
    with serving(loopback(_Counter)) as server:
        yield url(server), _Counter.hits


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-never-sent")
    monkeypatch.setenv("WAN_API_KEY", "sk-never-sent")
    monkeypatch.chdir(tmp_path)  # relative paths in the table resolve against an empty folder


def run_cli(words: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, list[Any]]:
    from wan_nb.cli import main

    with SocketWatch() as net:
        code = main(words)
    captured = capsys.readouterr()
    return code, captured.out, captured.err, net.events


def assert_usage_refusal(err: str, flag: str, prog: str = f"{PROG} generate") -> None:
    """argparse's format: its usage block (``usage: wan-nb generate`` and indented continuation lines), then
    exactly one error line naming the flag. The documented exception to "one line"."""
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith(f"usage: {prog}"), lines
    assert all(line.startswith(" ") for line in lines[1:-1]), lines
    assert lines[-1].startswith(f"{prog}: error: "), lines
    assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", lines[-1]), (flag, lines[-1])


def assert_one_error_line(err: str, field: str) -> None:
    """``wan-nb: error: <field>: <message>`` (wan_nb.cli.output.fail), one line, the field exactly."""
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith(f"{PROG}: error: {field}: "), err


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("bad", CLI_CASES, ids=[bad.id for bad in CLI_CASES])
def test_cli_refuses_with_exit_2_and_one_line(
    media: dict[str, str],
    counting_server: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    bad: Bad,
) -> None:
    url, hits = counting_server
    form = cli_form(bad, media)
    assert form is not None
    words = ["generate", *(w for pair in form.options.items() for w in pair)]
    words += ["--provider", bad.provider, "--out", str(tmp_path / "out")]
    if not bad.cloud_only:  # a loopback API may fetch local links: aim at the provider's own (cloud) URL
        words += ["--base-url", url]
    code, out, err, events = run_cli(words, capsys)
    assert code == EXIT_USAGE, err
    assert out == ""
    if form.usage_flag is not None:
        assert_usage_refusal(err, form.usage_flag)
    else:
        assert_one_error_line(err, bad.field)
    assert hits == []
    assert events == []


# (id, argv after `generate` and the valid defaults, the flag argparse must name): refusals with no API form


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("extra", "flag"), [c[1:] for c in CLI_ONLY_USAGE], ids=[c[0] for c in CLI_ONLY_USAGE]
)
def test_cli_usage_errors_name_the_flag_and_send_nothing(
    media: dict[str, str],
    counting_server: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    flag: str,
) -> None:
    url, hits = counting_server
    words = ["generate", "--image", media["ok"], "--prompt", BASE_PROMPT, "--base-url", url, *extra]
    code, out, err, events = run_cli(words, capsys)
    assert code == EXIT_USAGE, err
    assert out == ""
    assert_usage_refusal(err, flag, PROG if flag == "--size" else f"{PROG} generate")
    assert hits == []
    assert events == []
