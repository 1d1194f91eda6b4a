"""The panel without a front end: click its buttons, await its jobs, read its widgets (notebook_tech.md §3.2).

Every test runs against the in-process simulator (its own ``WAN_NB_HOME``, tasks of about a second, fast
polling); outside a kernel ipywidgets uses a dummy comm, so the widgets are plain objects here.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import html
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import ipywidgets as widgets
import pytest

from wan_nb.client import AsyncWanClient, PollSchedule
from wan_nb.display import frontend
from wan_nb.models import TaskStatus
from wan_nb.sim import SimApp, create_app
from wan_nb.widgets import TaskCard, WanPanel

ROOT = Path(__file__).resolve().parents[2]
CAT = ROOT / "examples" / "cat.png"
FAST = PollSchedule(quick=(0.1,), floor=0.1, cap=0.2)
SECRET = "sk-panel-secret-key-never-synced"

Factory = Callable[..., AsyncWanClient]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kernel's working directory (the notebook's folder): videos are saved under it."""
    folder = tmp_path / "notebook"
    folder.mkdir()
    monkeypatch.chdir(folder)
    # As under JupyterLab (a kernel whose server set JPY_SESSION_NAME; tests/unit/test_frontend.py checks that).
    lab = frontend.FrontEnd(frontend.Kind.JUPYTER, ("JPY_SESSION_NAME",))
    monkeypatch.setattr(frontend, "detect", lambda *args, **kwargs: lab)
    return folder


@pytest.fixture
def home() -> Path:
    """``$WAN_NB_HOME`` (conftest.py gives each test its own)."""
    return Path(os.environ["WAN_NB_HOME"])


@pytest.fixture
def sim_apps(home: Path) -> Iterator[Callable[..., SimApp]]:
    """Simulators over ``$WAN_NB_HOME/sim`` (several over one folder act as restarts)."""
    apps: list[SimApp] = []

    def make(**knobs: Any) -> SimApp:
        apps.append(create_app(state_dir=home / "sim", **{"task_time": 1.0, **knobs}))
        return apps[-1]

    yield make
    for app in apps:
        app.close()


@pytest.fixture
async def clients(sim_apps: Callable[..., SimApp]) -> AsyncIterator[Factory]:
    """Clients of a simulator app (provider "sim", native dialect unless told)."""
    made: list[AsyncWanClient] = []

    def make(app: SimApp | None = None, provider: str = "sim", **kwargs: Any) -> AsyncWanClient:
        transport = httpx.ASGITransport(app=app or sim_apps())
        made.append(AsyncWanClient(provider, transport=transport, poll=FAST, **kwargs))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def panels() -> AsyncIterator[Callable[..., WanPanel]]:
    made: list[WanPanel] = []

    def make(client: AsyncWanClient, **kwargs: Any) -> WanPanel:
        panel = WanPanel(client, **{"prompt": "a cat turns its head", "first_frame": CAT, **kwargs})
        panel.form.duration.value = 2  # the simulator renders real H.264: shorter clips, faster tests
        made.append(panel)
        return panel

    yield make
    for panel in made:
        await panel.aclose()


def requests_made(app: SimApp) -> int:
    return sum(app.stats.requests.values())


async def generate(panel: WanPanel) -> TaskCard:
    panel.generate.click()
    await panel.wait_idle()
    return panel.cards[-1]


async def test_success_plays_the_saved_video_by_relative_path(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients())
    panel.generate.click()
    assert panel.jobs and panel.last_job in panel.jobs  # the click returned at once; the job runs on
    await panel.wait_idle()
    card = panel.cards[-1]
    assert card.state == "SUCCEEDED" and card.error is None
    assert card.task is not None and card.task.path is not None
    saved = workdir / "wan_outputs" / f"{card.task.id}.mp4"
    assert saved.is_file() and saved.stat().st_size > 1000
    assert card.playback is not None and card.playback.kind == "relative"
    assert card.playback.src == f"wan_outputs/{card.task.id}.mp4"
    (output,) = card.player.outputs
    assert f'src="wan_outputs/{card.task.id}.mp4"' in output["data"]["text/html"]
    assert f'href="wan_outputs/{card.task.id}.mp4"' in card.links.value
    assert card.bar.value == 1.0 and card.bar.bar_style == "success"
    assert panel.results.children[0] is card


async def test_upstream_failure_shows_code_and_escaped_message(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients(), prompt="[sim:inspection] a cat <b>turns</b>")
    card = await generate(panel)
    assert card.state == "FAILED"
    assert card.task is not None and card.task.error is not None
    assert card.task.error.code == "DataInspectionFailed"
    assert html.escape(card.task.error.message) in card.error_box.value
    assert "DataInspectionFailed" in card.error_box.value
    assert card.player.outputs == () and card.bar.bar_style == "danger"
    assert "<b>turns</b>" not in card.head.value and "&lt;b&gt;turns&lt;/b&gt;" in card.head.value


async def test_an_exception_in_a_job_is_shown_on_its_card(workdir: Path, panels: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        message = "<script>boom()</script> 1 < 2 & 3"  # markup reduced to text (server_text), then escaped
        return httpx.Response(500, json={"code": "InternalError", "message": message})

    async with AsyncWanClient(
        "sim", transport=httpx.MockTransport(refuse), poll=FAST, max_retries=0
    ) as client:
        card = await generate(panels(client))
    assert card.state == "ERROR"
    assert "InternalError" in card.error_box.value
    shown = card.error_box.value
    assert "1 &lt; 2 &amp; 3" in shown and "<script>" not in shown and "boom" not in shown
    assert card.cancel.disabled


async def test_cancel_while_queued(workdir: Path, sim_apps: Any, clients: Factory, panels: Any) -> None:
    app = sim_apps(task_time=30.0)  # about 3 s PENDING: a tenth of the task queues
    panel = panels(clients(app))
    panel.generate.click()
    card = panel.cards[-1]
    while card.task is None:  # submitted once the create answered
        await _tick()
    card._throttle.flush()
    assert card.state == "QUEUED" and not card.cancel.disabled
    card.cancel.click()
    await panel.wait_idle()
    assert card.state == "CANCELED" and card.cancel.disabled
    assert app.stats.requests["native.cancel"] == 1
    assert card.player.outputs == ()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"prompt": "x" * 5001}, "prompt", "5001 characters"),
        ({"first_frame": None}, "first_frame", "required"),
        ({"first_frame": ROOT / "README.md"}, "first_frame", ""),
    ],
)
async def test_invalid_inputs_are_explained_beside_the_field_and_nothing_is_sent(
    workdir: Path,
    sim_apps: Any,
    clients: Factory,
    panels: Any,
    change: dict[str, Any],
    field: str,
    words: str,
) -> None:
    app = sim_apps()
    panel = panels(clients(app))
    if "prompt" in change:
        panel.form.prompt.value = change["prompt"]
        assert "5001 / 5000" in panel.form.prompt_count.value  # the live count warned before the click
    else:
        panel.form.first_frame.set(change["first_frame"])
    panel.generate.click()
    assert field in panel.form.errors and words in panel.form.errors[field]
    assert "wan-field-error" in panel.form.first_frame.error.value or field != "first_frame"
    assert panel.cards == [] and panel.jobs == set()
    assert requests_made(app) == 0


async def test_gateway_dialect_disables_native_only_inputs(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients())
    panel.picker.dropdown.value = "sim-gateway"
    form = panel.form
    assert form.last_frame.upload.disabled and form.driving_audio.url.disabled
    assert "unified gateway" in form.last_frame.note.value
    assert form.negative_prompt.disabled and form.watermark.disabled
    assert form.size.value == "1280x720"
    request = form.request()
    assert request.size == "1280x720" and request.resolution is None and request.last_frame is None
    panel.picker.dropdown.value = "sim"
    assert not form.last_frame.upload.disabled and form.size.value == "720P"


async def test_the_key_is_never_in_widget_state_nor_the_journal(
    workdir: Path, sim_apps: Any, panels: Any, home: Path
) -> None:
    app = sim_apps()
    async with AsyncWanClient("sim", transport=httpx.ASGITransport(app=app), poll=FAST) as client:
        panel = panels(client)
        panel.picker.dropdown.value = "dashscope"  # no DASHSCOPE_API_KEY in the test environment
        panel.generate.click()
        assert "DASHSCOPE_API_KEY" in panel.picker.error.value and panel.cards == []
        panel.form.size.value = "1080P"
        panel.picker.key.value = SECRET  # what the browser sends on Enter
        assert panel.picker.key.value == ""
        assert panel.form.size.value == "1080P"  # relabelling the providers is not a new choice
        assert "✓ key" in panel.picker.dropdown.label
        assert panel.client is not None and panel.client.provider == "dashscope"
        panel.picker.dropdown.value = "sim"
        await generate(panel)
    states = [repr(w.get_state()) for w in _all_widgets()]
    assert states and not any(SECRET in state for state in states)
    journal = (home / "journal.sqlite3").read_bytes()
    assert SECRET.encode() not in journal
    assert all(SECRET not in card.code.value for card in panel.cards)


async def test_copy_as_code_gives_the_equivalent_client_call(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients())
    panel.form.random_seed.value = False
    panel.form.seed.value = 42
    card = await generate(panel)
    code = card.code.value
    assert "AsyncWanClient(provider='sim')" in code and "seed=42" in code and repr(str(CAT)) in code
    assert card.code.layout.display == "none"
    card.code_button.value = True
    assert card.code.layout.display == ""
    compile(code, "<snippet>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)  # valid in a notebook cell


async def test_several_tasks_run_at_once(workdir: Path, sim_apps: Any, clients: Factory, panels: Any) -> None:
    app = sim_apps()
    panel = panels(clients(app))
    for _ in range(3):
        panel.generate.click()
    assert len(panel.jobs) == 3
    await panel.wait_idle()
    assert [card.state for card in panel.results.children] == ["SUCCEEDED"] * 3
    assert sum(app.stats.creates.values()) == 3


async def test_resume_from_the_journal_after_a_restart(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    first_app = sim_apps(task_time=2.0)
    first = panels(clients(first_app))
    first.generate.click()
    card = first.cards[-1]
    while card.task is None:
        await _tick()
    await first.aclose()  # the kernel dies: nothing follows the task any more
    assert card.state == "ERROR" and "stopped following" in card.error_box.value
    task_id = card.task.id
    assert not (workdir / "wan_outputs" / f"{task_id}.mp4").exists()

    second = panels(clients(sim_apps(task_time=2.0)))  # a new simulator over the same state folder
    assert second.history is not None
    (earlier,) = second.history.cards
    assert earlier.task is not None and earlier.task.id == task_id
    assert second.jobs  # re-attached without a click
    await second.wait_idle()
    assert earlier.state == "SUCCEEDED"
    assert (workdir / "wan_outputs" / f"{task_id}.mp4").is_file()
    assert earlier.playback is not None and earlier.playback.kind == "relative"
    assert f"client.wait({task_id!r})" in earlier.code.value

    third = panels(clients(sim_apps()))  # finished and downloaded: shown, nothing to do
    assert third.history is not None and [c.state for c in third.history.cards] == ["SUCCEEDED"]
    assert third.jobs == set() and third.history.cards[0].playback is not None


async def test_compare_grid_runs_prompts_by_seeds_side_by_side(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps(max_concurrency=2, render_workers=2)  # a third unfinished task would get 429
    panel = panels(clients(app), concurrency=2)
    panel.compare.prompts.value = "a cat turns its head\na cat blinks slowly"
    panel.compare.values.value = "1, 2"
    panel.compare.run.click()
    grid = panel.compare.grid
    assert len(grid.children) == 4 and grid.layout.grid_template_columns == "repeat(2, minmax(0, 1fr))"
    await panel.wait_idle()
    cards: list[TaskCard] = list(grid.children)
    assert [c.state for c in cards] == ["SUCCEEDED"] * 4
    assert [(c.request.prompt[6:11], c.request.seed) for c in cards if c.request] == [
        ("turns", 1),
        ("turns", 2),
        ("blink", 1),
        ("blink", 2),
    ]
    assert app.stats.responses[429] == 0


async def test_compare_refuses_a_bad_grid_before_sending(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app))
    panel.compare.axis.value = "duration"
    panel.compare.values.value = "5, 20"
    panel.compare.run.click()
    assert "duration=20" in panel.compare.error.value and panel.compare.grid.children == ()
    panel.compare.values.value = ", ".join(str(n) for n in range(2, 15))
    panel.compare.run.click()
    assert "at most 12" in panel.compare.error.value
    assert requests_made(app) == 0


def test_import_wan_nb_does_not_import_widgets() -> None:
    import subprocess

    code = (
        "import sys, wan_nb; print(any(m.startswith(('ipywidgets', 'IPython.display')) for m in sys.modules))"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )


def test_wan_nb_panel_stays_a_function_after_the_package_is_imported(workdir: Path) -> None:
    # The widgets live in wan_nb.widgets, not wan_nb.panel: importing a subpackage binds it over a parent
    # attribute of the same name, which would replace the wan_nb.panel() function after its first call.
    import wan_nb
    import wan_nb.widgets

    first = wan_nb.panel(provider="sim", history=False)
    second = wan_nb.panel(provider="sim", history=False)
    assert isinstance(first, WanPanel) and isinstance(second, WanPanel)
    assert callable(wan_nb.panel) and not isinstance(wan_nb.panel, type(wan_nb.widgets))


async def _tick() -> None:
    await asyncio.sleep(0.02)


def _all_widgets() -> list[widgets.Widget]:
    from ipywidgets.widgets.widget import _instances

    return list(_instances.values())


async def test_an_upload_is_read_and_cleared_from_the_widget_state(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients(), first_frame=None)
    content = CAT.read_bytes()
    upload = {"name": "cat.png", "type": "image/png", "size": len(content), "content": memoryview(content)}
    # What the browser's comm message does: the JS-shaped file (last_modified in ms) through set_state.
    panel.form.first_frame.upload.set_state({"value": [{**upload, "last_modified": 1_700_000_000_000}]})
    assert panel.form.first_frame.value == content and panel.form.first_frame.upload.value == ()
    assert "cat.png" in panel.form.first_frame.source.value
    card = await generate(panel)
    assert card.state == "SUCCEEDED"
    assert "first_frame='cat.png'" in card.code.value and "save it next to the notebook" in card.code.value


async def test_the_gateway_dialect_end_to_end(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps()
    panel = panels(clients(app, provider="sim-gateway"))
    assert panel.form.last_frame.upload.disabled and panel.form.size.value == "1280x720"
    card = await generate(panel)
    assert card.state == "SUCCEEDED" and card.playback is not None
    assert app.stats.requests["unified.create"] == 1
    assert card.task is not None
    card.show(card.task.evolve(status=TaskStatus.QUEUED))
    assert card.cancel.disabled and card.cancel not in _descendants(card)


def _descendants(widget: Any) -> list[Any]:
    children = list(getattr(widget, "children", ()))
    return children + [grand for child in children for grand in _descendants(child)]


@pytest.mark.parametrize(("provider", "shown"), [("sim", True), ("sim-relay", False), ("sim-gateway", False)])
async def test_a_cancel_button_only_where_the_dialect_can_cancel(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any, provider: str, shown: bool
) -> None:
    # The relay documents no cancel route (seed 003), nor does the gateway: their cards show no button that
    # could only fail. The panel asks the dialect's capabilities, not its name.
    panel = panels(clients(sim_apps(), provider=provider))
    card = await generate(panel)
    assert card.state == "SUCCEEDED"
    assert card.cancellable is shown and (card.cancel in _descendants(card)) is shown


# -- rate limits: one gate per panel, 429s waited out -------------------------------------------------------


async def test_single_runs_beyond_the_accounts_quota_wait_and_succeed(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps(max_concurrency=1)  # a second unfinished task gets 429 Throttling (nothing created)
    panel = panels(clients(app), concurrency=3)  # more than the account allows: creates meet 429s
    for _ in range(3):
        panel.generate.click()
    await panel.wait_idle()
    assert [card.state for card in panel.cards] == ["SUCCEEDED"] * 3
    assert app.stats.responses[429] >= 1  # refused creates were sent again after Retry-After
    assert sum(app.stats.creates.values()) == 3


async def test_single_runs_and_grids_share_one_gate(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    app = sim_apps(max_concurrency=1, qps=20)
    panel = panels(clients(app), concurrency=1)
    panel.generate.click()
    panel.compare.values.value = "1, 2"
    panel.compare.run.click()
    first_cell = panel.compare.grid.children[0]
    await _tick()
    assert "waiting for a free slot" in first_cell.error_box.value
    await panel.wait_idle()
    assert [card.state for card in panel.cards] == ["SUCCEEDED"] * 3
    assert first_cell.error_box.value == ""  # the note went once the task was created
    assert app.stats.responses[429] == 0  # the gate kept within the quota: no create was refused


# -- the card and the form ----------------------------------------------------------------------------------


async def test_the_card_shows_the_task_and_request_ids(workdir: Path, clients: Factory, panels: Any) -> None:
    card = await generate(panels(clients()))
    assert card.task is not None and card.task.request_id
    assert f"task <code>{card.task.id}</code>" in card.head.value
    assert f"request <code>{card.task.request_id}</code>" in card.head.value


async def test_a_url_typed_into_the_first_frame_field_is_used(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    url = "https://example.com/cat.png?size=large&v=2"
    panel = panels(clients(), first_frame=None)
    field = panel.form.first_frame
    field.url.value = f"  {url} "  # what the browser sends once the text is committed
    assert field.value == url and html.escape(url) in field.source.value
    (thumbnail,) = field.preview.children
    assert f'src="{html.escape(url)}"' in thumbnail.value  # the browser fetches it, not the kernel
    card = await generate(panel)
    assert card.state == "SUCCEEDED"  # the simulator draws a card for media it cannot fetch offline
    assert card.request is not None and card.request.first_frame == url
    field.url.value = ""
    assert field.value is None and field.preview.children == ()


async def test_flags_and_the_negative_prompt_reach_the_request(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients())
    assert panel.form.request().prompt_extend is None  # service defaults are not sent
    form = panel.form
    form.negative_prompt.value = "blurry, distorted"
    form.prompt_extend.value = False
    form.watermark.value = True
    form.audio.value = False
    card = await generate(panel)
    assert card.state == "SUCCEEDED" and card.request is not None
    request = card.request
    assert request.negative_prompt == "blurry, distorted"
    assert (request.prompt_extend, request.watermark, request.audio) == (False, True, False)
    assert "negative_prompt='blurry, distorted'" in card.code.value and "watermark=True" in card.code.value


# -- compare across settings --------------------------------------------------------------------------------


async def test_compare_runs_one_prompt_across_durations(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any
) -> None:
    panel = panels(clients(sim_apps(render_workers=2)))
    panel.compare.axis.value = "duration"
    panel.compare.values.value = "2, 3"
    panel.compare.run.click()
    await panel.wait_idle()
    cards: list[TaskCard] = list(panel.compare.grid.children)
    assert [c.state for c in cards] == ["SUCCEEDED"] * 2
    assert [c.request.duration for c in cards if c.request] == [2, 3]
    assert "duration=3" in cards[1].head.value
    assert all(c.task is not None and c.task.path is not None for c in cards)


@pytest.mark.parametrize(
    ("provider", "values", "field"),
    [("sim", "720P, 1080P", "resolution"), ("sim-gateway", "1280x720, 1920x1080", "size")],
)
async def test_the_size_axis_defaults_to_what_the_dialect_accepts(
    workdir: Path, sim_apps: Any, clients: Factory, panels: Any, provider: str, values: str, field: str
) -> None:
    app = sim_apps()
    panel = panels(clients(app, provider=provider))
    panel.compare.axis.value = "size"
    assert panel.compare.values.value == values
    rows = panel.compare.cells(panel.form.request(), panel.compare.capabilities)
    assert [getattr(request, field) for _, request in rows[0]] == values.split(", ")
    panel.compare.run.click()  # the gateway refused "720P" as malformed before anything was sent
    assert panel.compare.error.value == "" and len(panel.compare.grid.children) == 2
    await panel.aclose()  # no need to render 1080p here: the grid was accepted


async def test_switching_provider_switches_the_size_values(
    workdir: Path, clients: Factory, panels: Any
) -> None:
    panel = panels(clients())
    panel.compare.axis.value = "size"
    panel.picker.dropdown.value = "sim-gateway"
    assert panel.compare.values.value == "1280x720, 1920x1080"
    panel.compare.values.value = "720x1280"  # the user's own values stay
    panel.picker.dropdown.value = "sim"
    assert panel.compare.values.value == "720x1280"


# -- static renderers ---------------------------------------------------------------------------------------


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An IPython shell whose display outputs are captured (as a kernel would publish them)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    # What creating a shell changes outside itself, put back afterwards by monkeypatch.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    for name in ("__IPYTHON__", "display"):
        monkeypatch.setattr(builtins, name, getattr(builtins, name, None), raising=False)
    config = Config()
    config.HistoryManager.enabled = False
    InteractiveShell.instance(config=config)
    with capture_output(stdout=False, stderr=False) as captured:
        yield captured
    InteractiveShell.clear_instance()


async def test_the_static_stand_in_follows_tasks_started_after_display(
    workdir: Path, clients: Factory, panels: Any, shell: Any
) -> None:
    from IPython.display import display

    panel = panels(clients())
    display(panel)
    own, stand_in = shell.outputs
    assert own.data["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.model_id
    assert "text/html" not in own.data  # the widget's own output is never updated (Lab would rebuild it)
    display_id = stand_in.transient["display_id"]
    assert "0 task(s)" in stand_in.data["text/html"]
    hidden = stand_in.data["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert hidden == panel.stand_in.anchor.model_id and panel.stand_in.anchor.layout.display == "none"

    first = await generate(panel)
    second = await generate(panel)
    await asyncio.sleep(0.6)  # updates are coalesced (two tasks ending close together: one update)
    updates = [out for out in shell.outputs[2:] if out.update]
    assert updates and all(out.transient["display_id"] == display_id for out in updates)
    latest = updates[-1].data
    assert first.task is not None and second.task is not None
    assert "2 task(s)" in latest["text/html"] and second.task.id in latest["text/plain"]
    assert f"wan_outputs/{first.task.id}.mp4" in latest["text/html"]  # a link to the saved video


def test_without_ipython_the_panel_is_a_widget_with_a_line_of_text(workdir: Path) -> None:
    panel = WanPanel(provider="sim", history=False)
    bundle = panel._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.model_id
    assert bundle["text/plain"].startswith("wan_nb panel")
