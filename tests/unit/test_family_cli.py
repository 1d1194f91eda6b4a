"""The pure parts of the family on the command line and in batches (issue 20 part 6): ``--reference`` parsing,
the generate flags reaching the request, and a planned batch replaying references, voices and a source video."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixtures.media import image, video, wav
from wan_nb.cli.app import build_parser, main
from wan_nb.cli.output import EXIT_USAGE
from wan_nb.cli.tasks import reference_of
from wan_nb.client._plan import rebuild, replayable
from wan_nb.errors import ValidationError
from wan_nb.models import Reference, VideoRequest

# -- --reference FILE[:voice=FILE] ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("girl.png", Reference("girl.png")),
        ("clips/boy.mp4:voice=voices/boy.wav", Reference("clips/boy.mp4", voice="voices/boy.wav")),
        ("https://example.com/a.png", Reference("https://example.com/a.png")),  # a URL keeps its colon
        (
            "https://example.com/a.png:voice=https://example.com/v.mp3",
            Reference("https://example.com/a.png", voice="https://example.com/v.mp3"),
        ),
        ("C:/work/a.png:voice=C:/work/v.wav", Reference("C:/work/a.png", voice="C:/work/v.wav")),
        ("https://e.com/ref:kind=video", Reference("https://e.com/ref", kind="video")),
        (
            "https://e.com/ref:kind=video:voice=v.wav",
            Reference("https://e.com/ref", voice="v.wav", kind="video"),
        ),
        (
            "https://e.com/ref:voice=v.wav:kind=image",
            Reference("https://e.com/ref", voice="v.wav", kind="image"),
        ),
        ("C:/a=b/x.png:kind=image", Reference("C:/a=b/x.png", kind="image")),
        ("a=b:c.png", Reference("a=b:c.png")),
    ],
)
def test_reference_forms(text: str, expected: Reference) -> None:
    assert reference_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        ":voice=v.wav",
        "a.png:voice=",
        "a.png:voice=  ",
        "a.png:voice=v.wav:voice=w.wav",
        ":kind=image",
        "a:kind=image:kind=video",
        "a:kind=image:voice=v.wav:kind=image",
    ],
)
def test_bad_reference_forms_are_a_clear_error(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        reference_of(text)
    assert caught.value.field == "--reference"
    assert "expected FILE or FILE:voice=FILE" in caught.value.message and "\n" not in str(caught.value)


def test_an_unknown_reference_kind_lists_the_kinds() -> None:
    with pytest.raises(ValidationError) as caught:
        reference_of("https://e.com/ref:kind=picture")
    assert caught.value.field == "--reference"
    assert "kind must be image, video or audio, got 'picture'" in caught.value.message


def test_generate_help_names_kind_and_wan3s_values(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "FILE[:kind=KIND][:voice=FILE]" in shown and ":kind=image, video or audio" in shown
    assert "also adaptive" in shown and "also 480P" in shown


def test_a_bad_reference_is_a_usage_error_before_any_client(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["generate", "--prompt", "Image 1 sings", "--reference", "girl.png:voice="])
    assert code == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("wan-nb: error: --reference: 'girl.png:voice='") and err.count("\n") == 1


def test_generate_flags_for_the_family() -> None:
    args = build_parser().parse_args(
        ["generate", "--prompt", "Image 1 dances", "--reference", "a.png", "--reference", "b.mp4:voice=v.wav",
         "--video", "src.mp4", "--ratio", "1:1", "--audio-setting", "origin", "--model", "wan2.7-videoedit"]
    )  # fmt: skip
    assert [reference_of(text) for text in args.reference] == [
        Reference("a.png"),
        Reference("b.mp4", voice="v.wav"),
    ]
    assert (args.video, args.ratio, args.audio_setting, args.model) == (
        "src.mp4",
        "1:1",
        "origin",
        "wan2.7-videoedit",
    )
    bare = build_parser().parse_args(["generate", "--prompt", "a lighthouse"])
    assert bare.reference == [] and bare.model is None and bare.duration is None  # the inputs choose


def test_audio_setting_flag_takes_only_the_documented_values(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate", "--video", "a.mp4", "--audio-setting", "keep"])
    assert "choose from 'auto', 'origin'" in capsys.readouterr().err


# -- a planned batch replays the family's media ------------------------------------------------------------------


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("plan_media")
    image(folder / "a.png", (480, 400))
    wav(folder / "v.wav", 2)
    video(folder / "s.mp4", 3)
    return {path.name: path for path in folder.iterdir()}


def test_links_and_paths_replay_as_the_same_request(media: dict[str, Path], tmp_path: Path) -> None:
    request = VideoRequest(
        prompt="Image 1 and Video 1",
        references=[
            Reference(str(media["a.png"]), voice="https://example.com/v.mp3"),
            Reference("https://example.com/clip", kind="video"),
            "data:image/png;base64,iVBORw0KGgo=",
        ],
        ratio="9:16",
        duration=4,
        parent="task-0",
    )
    again = rebuild(replayable(request, tmp_path / "spool"))
    assert again == request and again.parent == "task-0"
    assert again.chosen_model == "wan2.7-r2v" and again.references[1].kind == "video"
    assert not (tmp_path / "spool").exists()  # nothing to spool: every medium is a link or a path


def test_a_relative_path_is_made_absolute(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(media["s.mp4"].parent)
    request = VideoRequest(
        prompt="make it snow", video="s.mp4", references=[Reference("a.png", voice="v.wav")]
    )
    again = rebuild(replayable(request, tmp_path / "spool"))
    assert again.video == str(media["s.mp4"])
    assert again.references == (Reference(str(media["a.png"]), voice=str(media["v.wav"])),)
    assert again.chosen_model == "wan2.7-videoedit" and again.chosen_duration == 0


def test_bytes_are_spooled_once_with_their_kind_and_replayed(media: dict[str, Path], tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    picture, voice, source = (media[name].read_bytes() for name in ("a.png", "v.wav", "s.mp4"))
    request = VideoRequest(
        prompt="black and white",
        video=source,
        references=[Reference(picture, voice=voice, kind="image")],
        audio_setting="origin",
    )
    text = replayable(request, spool)
    assert picture.hex()[:64] not in text  # the row names files, it does not hold the payloads
    again = rebuild(text)
    assert again.audio_setting == "origin" and again.references[0].kind == "image"
    assert Path(str(again.video)).read_bytes() == source and str(again.video).endswith(".mp4")
    assert Path(str(again.references[0].medium)).read_bytes() == picture
    assert Path(str(again.references[0].voice)).read_bytes() == voice
    assert sorted(os.path.splitext(name)[1] for name in os.listdir(spool)) == [".mp4", ".png", ".wav"]
    replayable(request, spool)  # the same content: the same files, none added
    assert len(os.listdir(spool)) == 3
    assert json.loads(text)["references"][0]["kind"] == "image"
