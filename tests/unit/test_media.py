"""wan_nb.media and its sniffers: classify every input kind, read local media, sniff headers, never crash.

The media are made by ``tests/fixtures/media.py`` (Pillow, ``wave``, PyAV), which ``test_validation`` shares.
"""

from __future__ import annotations

import base64
import io
import os
import random
import struct
from pathlib import Path

import pytest

from tests.fixtures.media import make_media
from wan_nb import media
from wan_nb.errors import ValidationError
from wan_nb.media.sniff import (
    AudioInfo,
    ImageInfo,
    VideoInfo,
    mp4_skeleton,
    sniff_audio,
    sniff_image,
    sniff_video,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("media"))


# --- classify --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        pytest.param("https://example.com/cat.png", "url", id="https"),
        pytest.param("HTTP://example.com/cat.png", "url", id="http-upper"),
        pytest.param("oss://dashscope-instant/abc/cat.png", "oss", id="oss"),
        pytest.param("data:image/png;base64,iVBORw0KGgo=", "data", id="data"),
        pytest.param("cat.png", "file", id="relative"),
        pytest.param("/tmp/cat.png", "file", id="absolute"),
        pytest.param("C:\\pictures\\cat.png", "file", id="windows-drive"),
        pytest.param("d:/pictures/cat.png", "file", id="windows-drive-slash"),
        pytest.param(Path("cat.png"), "file", id="pathlib"),
        pytest.param(b"\x89PNG", "bytes", id="bytes"),
        pytest.param(bytearray(b"\x89PNG"), "bytes", id="bytearray"),
        pytest.param(memoryview(b"\x89PNG"), "bytes", id="memoryview"),
    ],
)
def test_classify_kinds(value: object, kind: str) -> None:
    medium = media.classify(value, "first_frame")
    assert (medium.kind, medium.field) == (kind, "first_frame")
    assert isinstance(medium.value, bytes if kind == "bytes" else str)


def test_classify_expands_the_home_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ada")
    assert media.classify("~/cat.png", "first_frame").value == "/home/ada/cat.png"
    assert media.classify(Path("~/cat.png"), "first_frame").value == "/home/ada/cat.png"


def test_classify_file_url_becomes_a_path() -> None:
    assert media.classify("file:///tmp/my%20cat.png", "last_frame").value == "/tmp/my cat.png"
    assert media.classify("file://localhost/tmp/cat.png", "last_frame").value == "/tmp/cat.png"
    assert media.classify("file:///C:/pictures/cat.png", "last_frame").value == "C:/pictures/cat.png"


def test_a_scheme_like_name_of_an_existing_file_is_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("shot:1.png").write_bytes(b"x")
    assert media.classify("shot:1.png", "first_frame").kind == "file"


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L", "CMYK"])
def test_classify_encodes_a_pil_image_to_png(mode: str) -> None:
    from PIL import Image

    medium = media.classify(Image.new(mode, (300, 250)), "first_frame")
    assert medium.kind == "bytes" and isinstance(medium.value, bytes)
    info = sniff_image(medium.value)
    assert info is not None and (info.format, info.width, info.height) == ("png", 300, 250)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param("ftp://example.com/cat.png", "ftp:", id="ftp"),
        pytest.param("s3://bucket/cat.png", "s3:", id="s3"),
        pytest.param("gs://bucket/cat.png", "gs:", id="gs"),
        pytest.param("javascript:alert(1)", "javascript:", id="javascript"),
        pytest.param("http://", "no host", id="http-no-host"),
        pytest.param("", "is empty", id="empty"),
        pytest.param("file://server/share/cat.png", "another host", id="file-url-remote"),
    ],
)
def test_classify_refuses_other_schemes(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment) as caught:
        media.classify(value, "first_frame")
    assert caught.value.field == "first_frame"
    assert str(caught.value).startswith("first_frame: ")


@pytest.mark.parametrize("value", [42, 1.5, None, ["cat.png"], {"url": "x"}], ids=repr)
def test_classify_wrong_types_raise_type_error(value: object) -> None:
    with pytest.raises(TypeError, match=r"^driving_audio: got \w+; allowed: http\(s\)://"):
        media.classify(value, "driving_audio")


def test_medium_repr_hides_the_payload() -> None:
    assert (
        repr(media.classify(b"\x00" * 5000, "first_frame"))
        == "Medium(bytes, <5000 bytes>, field='first_frame')"
    )
    assert len(repr(media.classify("data:image/png;base64," + "A" * 5000, "first_frame"))) < 150


# --- load, sizes, data URIs, names -----------------------------------------------------------------------


def test_load_every_local_kind(files: dict[str, Path]) -> None:
    raw = files["ok.png"].read_bytes()
    for value in (files["ok.png"], str(files["ok.png"]), raw, media.to_data_uri(raw, "image/png")):
        medium = media.classify(value, "first_frame")
        assert media.load(medium) == raw
        assert media.read(medium, len(raw)) == (len(raw), raw)
        assert media.read(medium, len(raw) - 1) == (len(raw), None)  # over the limit: measured, not kept


def test_load_percent_encoded_data_uri() -> None:
    assert media.load(media.classify("data:text/plain,a%20b", "first_frame")) == b"a b"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("cat.png", "first_frame: file not found: cat.png", id="missing"),
        pytest.param("data:image/png;base64", "first_frame: malformed data: URI; expected", id="no-comma"),
        pytest.param(
            "data:image/png;base64,***", "first_frame: malformed data: URI; its base64", id="bad-base64"
        ),
        pytest.param("bad\x00name.png", "first_frame: cannot read", id="nul-byte"),
    ],
)
def test_load_errors_are_one_line(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        media.load(media.classify(value, "first_frame"))
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_load_directory_and_remote(files: dict[str, Path]) -> None:
    with pytest.raises(ValidationError, match="is a directory"):
        media.read(media.classify(files["folder"], "first_frame"), 1e9)
    with pytest.raises(ValueError, match="links, not loaded"):
        media.load(media.classify("https://example.com/cat.png", "first_frame"))


@pytest.mark.parametrize(
    ("name", "mime", "filename"),
    [
        ("ok.png", "image/png", "first_frame.png"),
        ("ok.jpg", "image/jpeg", "first_frame.jpg"),
        ("ok.bmp", "image/bmp", "first_frame.bmp"),
        ("ok.webp", "image/webp", "first_frame.webp"),
        ("ok.gif", "image/gif", "first_frame.gif"),
        ("3s.wav", "audio/wav", "first_frame.wav"),
        ("3s.mp3", "audio/mpeg", "first_frame.mp3"),
        ("3s.mp4", "video/mp4", "first_frame.mp4"),
        ("3s.mov", "video/quicktime", "first_frame.mov"),
        ("text.png", "application/octet-stream", "first_frame.bin"),
    ],
)
def test_mime_type_and_filename(files: dict[str, Path], name: str, mime: str, filename: str) -> None:
    data = files[name].read_bytes()
    assert media.mime_type(data) == mime
    assert media.filename_for(media.classify(data, "first_frame")) == filename
    assert media.filename_for(media.classify(media.to_data_uri(data, mime), "first_frame")) == filename
    assert media.filename_for(media.classify(files[name], "first_frame")) == name


def test_filename_for_links() -> None:
    assert media.filename_for(media.classify("https://x.test/a/cat.png?sig=1", "first_frame")) == "cat.png"
    assert media.filename_for(media.classify("https://x.test/", "first_frame")) == "first_frame"


def test_to_data_uri_round_trips() -> None:
    uri = media.to_data_uri(b"\x00\xffabc", "audio/wav")
    assert uri == "data:audio/wav;base64," + base64.b64encode(b"\x00\xffabc").decode()
    assert media.load(media.classify(uri, "driving_audio")) == b"\x00\xffabc"


# --- sniffers --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ok.png", ImageInfo("png", 480, 400, False)),
        ("alpha.png", ImageInfo("png", 300, 300, True)),
        ("ok.jpg", ImageInfo("jpeg", 480, 400, False)),
        ("progressive.jpg", ImageInfo("jpeg", 320, 240, False)),
        ("ok.bmp", ImageInfo("bmp", 480, 400)),
        ("ok.webp", ImageInfo("webp", 480, 400, False)),
        ("lossless.webp", ImageInfo("webp", 401, 302, False)),
        ("alpha.webp", ImageInfo("webp", 300, 300, True)),
        ("ok.gif", ImageInfo("gif", 480, 400)),
        ("wide.png", ImageInfo("png", 8001, 300, False)),
    ],
)
def test_sniff_image(files: dict[str, Path], name: str, expected: ImageInfo) -> None:
    assert sniff_image(files[name].read_bytes()) == expected


def test_sniff_png_with_a_transparent_palette() -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, format="PNG", transparency=0)
    assert sniff_image(buffer.getvalue()) == ImageInfo("png", 10, 10, True)


def test_sniff_top_down_and_os2_bmp() -> None:
    v3 = b"BM" + bytes(12) + struct.pack("<Iii", 40, 640, -480)
    os2 = b"BM" + bytes(12) + struct.pack("<IHH", 12, 320, 200)
    assert (sniff_image(v3), sniff_image(os2)) == (ImageInfo("bmp", 640, 480), ImageInfo("bmp", 320, 200))


@pytest.mark.parametrize("seconds", [1, 2, 3, 31])
def test_sniff_wav(files: dict[str, Path], seconds: int) -> None:
    assert sniff_audio(files[f"{seconds}s.wav"].read_bytes()) == AudioInfo("wav", seconds)


@pytest.mark.parametrize("seconds", [1, 2, 3, 31])
def test_sniff_mp3_from_the_info_frame(files: dict[str, Path], seconds: int) -> None:
    info = sniff_audio(files[f"{seconds}s.mp3"].read_bytes())
    assert info is not None and info.format == "mp3"
    assert info.duration_s == pytest.approx(seconds, abs=0.2)


FRAME = b"\xff\xfb\x90\x00" + bytes(413)  # MPEG-1 layer III, 128 kbps, 44.1 kHz: 417 bytes, 1152 samples


def test_sniff_cbr_mp3_estimates_from_the_bitrate() -> None:
    id3v2 = b"ID3\x04\x00\x00\x00\x00\x01\x00" + bytes(128)  # syncsafe size 128
    id3v1 = b"TAG" + bytes(125)
    info = sniff_audio(id3v2 + FRAME * 100 + id3v1)
    assert info == AudioInfo("mp3", 100 * 417 * 8 / 128_000)


def test_sniff_mp3_with_a_vbri_header() -> None:
    frame = bytearray(FRAME)
    frame[36:40] = b"VBRI"
    frame[50:54] = struct.pack(">I", 100)  # 100 frames x 1152 samples
    info = sniff_audio(bytes(frame) + FRAME)
    assert info is not None and info.duration_s == pytest.approx(100 * 1152 / 44100)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("3s.mp4", VideoInfo("mp4", 3.0, 256, 256)),
        ("faststart.mp4", VideoInfo("mp4", 3.0, 256, 256)),
        ("3s.mov", VideoInfo("mov", 3.0, 256, 256)),
        ("11s.mp4", VideoInfo("mp4", 11.0, 256, 256)),
        ("small.mp4", VideoInfo("mp4", 3.0, 128, 128)),
    ],
)
def test_sniff_video_and_its_skeleton(files: dict[str, Path], name: str, expected: VideoInfo) -> None:
    assert sniff_video(files[name].read_bytes()) == expected
    with files[name].open("rb") as stream:
        skeleton = mp4_skeleton(stream)
    assert sniff_video(skeleton) == expected
    assert len(skeleton) < files[name].stat().st_size
    assert media.video_info(media.classify(files[name], "first_clip")) == expected


def test_sniff_video_without_moov_and_with_64_bit_sizes() -> None:
    ftyp = struct.pack(">I4s4sI", 16, b"ftyp", b"isom", 0)
    assert sniff_video(ftyp) == VideoInfo("mp4", None)
    mvhd = struct.pack(">I4sB3xQQIQ", 40, b"mvhd", 1, 0, 0, 1000, 4500)  # version 1
    moov = struct.pack(">I4sQ", 1, b"moov", 16 + len(mvhd)) + mvhd
    assert sniff_video(ftyp + moov) == VideoInfo("mp4", 4.5)


SAMPLES: tuple[str, ...] = (
    "ok.png",
    "alpha.png",
    "ok.jpg",
    "ok.bmp",
    "ok.webp",
    "lossless.webp",
    "alpha.webp",
    "ok.gif",
)
SAMPLES += ("3s.wav", "3s.mp3", "3s.mp4", "3s.mov")


def test_sniffers_never_raise_on_truncated_input(files: dict[str, Path]) -> None:
    for name in SAMPLES:
        data = files[name].read_bytes()
        for cut in [*range(0, 80), *range(80, min(len(data), 4000), 37)]:
            for sniffer in (sniff_image, sniff_audio, sniff_video, media.mime_type):
                sniffer(data[:cut])


def test_sniffers_never_raise_on_garbage() -> None:
    rng = random.Random(7)
    prefixes: tuple[bytes, ...] = (
        b"",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8",
        b"BM",
        b"RIFF\x00\x00\x00\x00WEBP",
        b"GIF89a",
        b"ID3",
    )
    prefixes += (
        b"RIFF\xff\xff\xff\xffWAVE",
        b"\xff\xfb",
        b"\x00\x00\x00\x18ftypisom",
        b"\x00\x00\x00\x01moov",
    )
    for _ in range(300):
        data = rng.choice(prefixes) + rng.randbytes(rng.randrange(0, 200))
        for sniffer in (sniff_image, sniff_audio, sniff_video):
            sniffer(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", id="png-cut-in-ihdr"),
        pytest.param(b"\xff\xd8\xff\xe0\xff\xff", id="jpeg-huge-segment"),
        pytest.param(b"\xff\xd8\xff\xc0\x00\x11", id="jpeg-cut-in-sof"),
        pytest.param(b"RIFF\x00\x00\x00\x00WEBPVP8X", id="webp-short"),
        pytest.param(b"BM" + bytes(12) + struct.pack("<I", 20), id="bmp-unknown-header"),
        pytest.param(b"\x00\x00\x00\x01ftyp\xff\xff\xff\xff\xff\xff\xff\xff", id="mp4-huge-box"),
        pytest.param(b"\x00\x00\x00\x04ftyp", id="mp4-box-too-small"),
        pytest.param(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f", id="id3-huge-tag"),
        pytest.param(b"not media", id="text"),
    ],
)
def test_hostile_headers_return_none(data: bytes) -> None:
    assert sniff_image(data) is None and sniff_audio(data) is None and sniff_video(data) is None
    assert sniff_video(mp4_skeleton(io.BytesIO(data))) is None


def test_skeleton_ignores_boxes_claiming_more_than_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lying.mp4"
    path.write_bytes(struct.pack(">I4s4sI", 16, b"ftyp", b"isom", 0) + struct.pack(">I4s", 2**31, b"moov"))
    with path.open("rb") as stream:
        assert sniff_video(mp4_skeleton(stream)) == VideoInfo("mp4", None)
    assert os.path.getsize(path) == 24
