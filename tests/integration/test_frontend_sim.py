"""The front end's effect on a real simulator render: VS Code's Electron gets videos without a soundtrack."""

from __future__ import annotations

from pathlib import Path

import pytest

from wan_nb.display import frontend
from wan_nb.display.frontend import FrontEnd, Kind

pytestmark = pytest.mark.usefixtures("fast_sim")  # the soundtrack of a render, not its timing

CAT = Path(__file__).resolve().parents[2] / "examples" / "cat.png"


async def test_simulator_videos_for_vscode_have_no_audio_track(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # VS Code's Electron ships FFmpeg without AAC (microsoft/vscode issues 162062, 167685): H.264 plays there.
    import av

    from wan_nb import AsyncWanClient, VideoRequest

    request = VideoRequest(prompt="a cat", first_frame=str(CAT), duration=2)
    streams = {}
    for kind in (Kind.VSCODE, Kind.JUPYTER):
        monkeypatch.setattr(frontend, "detect", lambda kind=kind: FrontEnd(kind))
        monkeypatch.setenv("WAN_NB_HOME", str(tmp_path / kind))  # a new in-process simulator per front end
        async with AsyncWanClient(provider="sim", journal=False) as client:
            task = await client.generate(request, out=tmp_path / kind)
        assert task.path is not None
        with av.open(str(task.path)) as container:
            streams[kind] = sorted(stream.type for stream in container.streams)
    assert streams == {Kind.VSCODE: ["video"], Kind.JUPYTER: ["audio", "video"]}
