"""Wan 3.0's reference videos last 15 s in all, and 30 s with the output (family.md §6): local ones are measured
before anything is sent."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.fixtures.media import video
from wan_nb.errors import ValidationError
from wan_nb.models import Reference, VideoRequest
from wan_nb.protocols import dialect
from wan_nb.validation import validate

NATIVE = dialect("native").capabilities


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("clips")
    made = {}
    for seconds in (5, 9):
        made[seconds] = folder / f"{seconds}s.mp4"
        video(made[seconds], seconds, side=256)
    return made


def test_wan3_reference_videos_over_15_seconds_in_all_are_refused(clips: dict[int, Path]) -> None:
    request = VideoRequest(
        prompt="Video 1 meets Video 2",
        model="wan3.0-video",
        references=[Reference(clips[9]), Reference(clips[9])],
        duration=5,
    )
    with pytest.raises(
        ValidationError, match=r"^references: the video references last 18\.0 s in all; at most 15 s"
    ):
        validate(request, NATIVE)


def test_wan3_reference_videos_within_15_seconds_pass(clips: dict[int, Path]) -> None:
    request = VideoRequest(
        prompt="Video 1 meets Video 2",
        model="wan3.0-video",
        references=[Reference(clips[5]), Reference(clips[9])],
        duration=5,
    )
    checked = validate(request, NATIVE)
    assert set(checked) == {"references[0]", "references[1]"}


def test_wan3_reference_video_and_output_over_30_seconds_together_are_refused(clips: dict[int, Path]) -> None:
    # 9 + 5 = 14 s of reference video: within its 15 s; with 20 s out, 34 s in and out together (family.md §6).
    request = VideoRequest(
        prompt="Video 1 meets Video 2",
        model="wan3.0-video",
        references=[Reference(clips[5]), Reference(clips[9])],
        duration=20,
    )
    with pytest.raises(
        ValidationError, match=r"^duration: 20 s out with 14\.0 s of reference video in is 34\.0 s"
    ):
        validate(request, NATIVE)
    validate(replace(request, duration=16), NATIVE)  # 30 s together: allowed
    validate(replace(request, duration=-1), NATIVE)  # the model picks a length that fits
