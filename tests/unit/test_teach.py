"""``wan_nb.notebook.teach`` (the tutorials' shared helpers) and ``wan_nb.assets`` (the sample media in the package)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

import wan_nb
from wan_nb import assets
from wan_nb.display.frontend import FrontEnd, Kind
from wan_nb.models import Task, TaskError, TaskStatus
from wan_nb.notebook.teach import api_key, clip, grid, show, table, videos
from wan_nb.protocols import DIALECTS

CAPS = {name: wire.capabilities for name, wire in DIALECTS.items()}

NASTY = "<script>alert('x')</script> & \"quotes\""
LAB, COLAB = FrontEnd(Kind.JUPYTER), FrontEnd(Kind.COLAB)


def test_clip_cuts_long_strings_everywhere_and_keeps_the_rest() -> None:
    body = {"url": "data:" + "A" * 200, "items": [{"n": 1, "s": "short"}], "pair": ("x" * 90, None)}
    clipped = clip(body, limit=20)
    assert clipped == {
        "url": "data:" + "A" * 14 + "…",
        "items": [{"n": 1, "s": "short"}],
        "pair": ["x" * 19 + "…", None],
    }


def test_show_prints_indented_json(capsys: pytest.CaptureFixture[str]) -> None:
    show({"prompt": "猫", "path": Path("a/b.mp4")}, limit=10)
    out = capsys.readouterr().out
    assert '"prompt": "猫"' in out and '"path": "a/b.mp4"' in out and out.startswith("{\n  ")


def test_table_escapes_every_cell_and_has_a_text_form() -> None:
    shown = table([(NASTY, 1), ("ok", 22)], ["name", "n"])
    assert "<script>" not in shown._repr_html_() and "&lt;script&gt;" in shown._repr_html_()
    assert shown._repr_html_().startswith("<table><tr><th>name</th><th>n</th></tr>")
    lines = repr(shown).splitlines()
    assert lines[0].split() == ["name", "n"] and lines[2].split() == ["ok", "22"]


def _task(**fields: object) -> Task:
    return Task(**{"id": "task-0123456789abcdef", "status": TaskStatus.SUCCEEDED, **fields})  # type: ignore[arg-type]


def test_grid_plays_files_shows_errors_and_marks_gaps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wan_outputs").mkdir()
    (tmp_path / "wan_outputs" / "a b.mp4").write_bytes(assets.clip.read_bytes())
    failed = _task(status=TaskStatus.FAILED, error=TaskError("DataInspectionFailed", NASTY))
    cells = {
        ("zoom in", 1): _task(path=Path("wan_outputs/a b.mp4")),
        ("zoom in", 2): failed,
        ("pan <left>", 1): "RateLimitError: slow down",
    }
    shown = grid(cells, rows=["zoom in", "pan <left>"], columns=[1, 2], front=LAB)
    page = shown._repr_html_()
    assert "src='wan_outputs/a%20b.mp4'" in page and "<code>task-0123456…</code>" in page
    assert "DataInspectionFailed" in page and "<script>" not in page and "pan &lt;left&gt;" in page
    assert "missing" in page  # ("pan <left>", 2) was never filled
    assert "FAILED: DataInspectionFailed" in repr(shown) and "wan_outputs/a b.mp4" in repr(shown)
    # Colab serves no files: the same grid embeds the (small) video instead.
    embedded = grid(cells, rows=["zoom in"], columns=[1], front=COLAB)._repr_html_()
    assert "src='data:video/mp4;base64," in embedded and "wan_outputs/a%20b.mp4" not in embedded


def test_videos_outside_the_served_folder_are_embedded_and_missing_ones_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    Path("v.mp4").write_bytes(b"\0" * 10)
    (tmp_path / "v.mp4").write_bytes(b"\0" * 10)
    items = {"inside": Path("v.mp4"), "outside": tmp_path / "v.mp4", "gone": Path("x.mp4"), "none": None}
    page = videos(items, front=LAB)._repr_html_()
    assert page.count("<video") == 2 and "src='v.mp4'" in page and "src='data:video/mp4;base64,AAAA" in page
    assert "<code>x.mp4</code>" in page
    assert repr(videos(items, front=LAB)).splitlines() == [
        "inside: v.mp4",
        f"outside: {tmp_path / 'v.mp4'}",
        "gone: x.mp4",
        "none: missing",
    ]


def test_api_key_reads_the_environment_or_says_what_to_do() -> None:
    assert api_key("gateway", env={"WAN_API_KEY": "sk-class"}) == "sk-class"
    with pytest.raises(wan_nb.ConfigError) as missing:
        api_key("relay", env={})
    message = str(missing.value)
    assert "WAN_API_KEY" in message and "Secrets" in message and "provider = None" in message
    assert "'sim-relay'" in message  # the simulator that speaks the same dialect
    with pytest.raises(wan_nb.ConfigError, match="needs no key"):
        api_key("sim", env={})
    with pytest.raises(wan_nb.ConfigError, match="unknown provider 'nope'"):
        api_key("nope", env={})


def test_assets_are_real_files_of_the_advertised_kinds() -> None:
    from PIL import Image

    assert [assets.path(name).name for name in assets.names()] == list(assets.NAMES)
    for picture in (assets.cat, assets.cat_last):
        with Image.open(picture) as image:
            assert image.format == "PNG" and image.size == (960, 640)
    with wave.open(str(assets.voice)) as sound:
        assert 2 <= sound.getnframes() / sound.getframerate() <= 30  # driving_audio's range
    import av

    with av.open(str(assets.clip)) as container:
        video = container.streams.video[0]
        seconds = float(video.duration * video.time_base)
        assert video.codec_context.name == "h264" and 2 <= seconds <= 10  # first_clip's range
    assert assets.clip.stat().st_size < 200_000


def test_assets_refuse_unknown_names() -> None:
    with pytest.raises(ValueError, match=r"no 'dog\.png'"):
        assets.path("dog.png")


def test_the_sample_media_make_a_valid_request_for_every_role() -> None:
    from wan_nb.validation import validate

    request = wan_nb.VideoRequest(prompt="p", first_clip=assets.clip, last_frame=assets.cat_last, duration=2)
    validate(request, CAPS["native"])
    validate(
        wan_nb.VideoRequest(prompt="p", first_frame=assets.cat, driving_audio=assets.voice), CAPS["native"]
    )
