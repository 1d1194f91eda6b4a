"""The family on the wire (issue 20 part 3), as protocol tests: pure functions, no client.

The expected bodies are Alibaba's own examples, copied from the zh API references (research/family.md, mirrors
54896789700 t2v, 54797188259 r2v, 54780982372 videoedit; prompts shortened, URLs kept): the curl bodies and the
``VideoSynthesis.call`` keyword examples of the dashscope SDK on the same pages (the SDK forwards ``media`` as
is and the other keywords into ``parameters``, family.md §7). wan_nb always sends ``resolution`` and
``duration`` (a server-side default must not pick the bill), so a body differs from an example only where an
example leaves ``duration`` to the server; each such difference is asserted as the documented default.
"""

from __future__ import annotations

from typing import Any

import pytest

from wan_nb.models import Reference, VideoRequest
from wan_nb.protocols import native, relay

DOC = "https://help-static-aliyun-doc.aliyuncs.com/file-manage-files/zh-CN"
GIRL = f"{DOC}/20260408/sjuytr/wan-r2v-object-girl.jpg"
GIRL_VOICE = f"{DOC}/20260408/gbqewz/wan-r2v-girl-voice.mp3"
ROLE2 = f"{DOC}/20260129/qigswt/wan-r2v-role2.mp4"
BOY_VOICE = f"{DOC}/20260408/isllrq/wan-r2v-boy-voice.mp3"
OBJECT3 = f"{DOC}/20260129/rtjeqf/wan-r2v-object3.png"
OBJECT4 = f"{DOC}/20260129/qpzxps/wan-r2v-object4.png"
BACKGROUND5 = f"{DOC}/20260129/wfjikw/wan-r2v-backgroud5.png"
EDIT_SOURCE = f"{DOC}/20260403/nlspwm/T2VA_22.mp4"
CLOTHES = f"{DOC}/20260402/fwjpqf/wan2.7-videoedit-change-clothes.png"
STYLE_SOURCE = f"{DOC}/20260402/ldnfdf/wan2.7-videoedit-style-change.mp4"
MARCH = f"{DOC}/20250923/hbiayh/%E4%BB%8E%E5%86%9B%E8%A1%8C.mp3"
R2V_PROMPT = "视频1抱着图3，在图4的椅子上弹奏一支舒缓的乡村民谣。图1手中拿着图2，路过视频1。"


def body_of(request: VideoRequest) -> dict[str, Any]:
    """The native body for a request whose media are links (the client hands links through as they are)."""
    urls = {field: str(value) for field, value in request.inputs().items()}
    return dict(native.create_body(request, urls))


# -- t2v ------------------------------------------------------------------------------------------------------


def test_t2v_multi_shot_example() -> None:
    request = VideoRequest(
        prompt="一段紧张刺激的侦探追查故事。第1个镜头[0-3秒] 全景：雨夜的纽约街头。",
        model="wan2.7-t2v-2026-04-25",
        resolution="720P",
        ratio="16:9",
        prompt_extend=True,
        watermark=True,
        duration=15,
    )
    assert body_of(request) == {
        "model": "wan2.7-t2v-2026-04-25",
        "input": {"prompt": request.prompt},
        "parameters": {
            "resolution": "720P",
            "ratio": "16:9",
            "prompt_extend": True,
            "watermark": True,
            "duration": 15,
        },
    }


def test_t2v_audio_url_example_has_no_media() -> None:
    request = VideoRequest(
        prompt="一只小巧可爱的卡通小猫将军", driving_audio=MARCH, resolution="720P", ratio="16:9",
        prompt_extend=True, duration=10,
    )  # fmt: skip
    body = body_of(request)
    assert body == {
        "model": "wan2.7-t2v",
        "input": {"prompt": "一只小巧可爱的卡通小猫将军", "audio_url": MARCH},
        "parameters": {"resolution": "720P", "ratio": "16:9", "prompt_extend": True, "duration": 10},
    }
    assert "media" not in body["input"]


def test_t2v_negative_prompt_example_and_the_default_duration() -> None:
    request = VideoRequest(
        prompt="一只小猫在月光下奔跑", negative_prompt="花朵", resolution="720P", ratio="16:9"
    )
    assert body_of(request) == {
        "model": "wan2.7-t2v",
        "input": {"prompt": "一只小猫在月光下奔跑", "negative_prompt": "花朵"},
        # the example leaves duration out; its documented default, 5, is sent
        "parameters": {"resolution": "720P", "ratio": "16:9", "duration": 5},
    }


def test_t2v_sdk_example_keywords() -> None:
    """``VideoSynthesis.call(model='wan2.7-t2v-2026-04-25', prompt=..., audio_url=..., resolution='720P',
    ratio='16:9', duration=10, negative_prompt="", prompt_extend=True, watermark=False, seed=12345)``."""
    request = VideoRequest(
        prompt="小猫将军", model="wan2.7-t2v-2026-04-25", driving_audio=MARCH, resolution="720P", ratio="16:9",
        duration=10, negative_prompt="", prompt_extend=True, watermark=False, seed=12345,
    )  # fmt: skip
    assert body_of(request) == {
        "model": "wan2.7-t2v-2026-04-25",
        "input": {"prompt": "小猫将军", "audio_url": MARCH},  # an empty negative prompt is no negative prompt
        "parameters": {
            "resolution": "720P", "ratio": "16:9", "duration": 10, "prompt_extend": True, "watermark": False,
            "seed": 12345,
        },
    }  # fmt: skip


# -- r2v ------------------------------------------------------------------------------------------------------

R2V_EXAMPLE = {
    "model": "wan2.7-r2v",
    "input": {
        "prompt": R2V_PROMPT,
        "media": [
            {"type": "reference_image", "url": GIRL, "reference_voice": GIRL_VOICE},
            {"type": "reference_video", "url": ROLE2, "reference_voice": BOY_VOICE},
            {"type": "reference_image", "url": OBJECT3},
            {"type": "reference_image", "url": OBJECT4},
            {"type": "reference_image", "url": BACKGROUND5},
        ],
    },
    "parameters": {
        "resolution": "720P",
        "ratio": "16:9",
        "duration": 10,
        "prompt_extend": False,
        "watermark": True,
    },
}


def r2v_example() -> VideoRequest:
    return VideoRequest(
        prompt=R2V_PROMPT,
        references=[
            Reference(GIRL, voice=GIRL_VOICE),
            Reference(ROLE2, voice=BOY_VOICE),
            OBJECT3,
            OBJECT4,
            BACKGROUND5,
        ],
        resolution="720P",
        ratio="16:9",
        duration=10,
        prompt_extend=False,
        watermark=True,
    )


def test_r2v_multi_subject_example_with_voices() -> None:
    """The curl body and the SDK's ``media=[...]`` of the same page are the same list."""
    assert body_of(r2v_example()) == R2V_EXAMPLE


def test_r2v_storyboard_example_with_the_default_ratio() -> None:
    board = f"{DOC}/20260403/wgjaxy/banana_storyboard_00000020.png"
    request = VideoRequest(prompt="参考图片，3D卡通冒险电影风", references=board, resolution="720P", duration=10,
                           prompt_extend=False, watermark=True)  # fmt: skip
    assert body_of(request) == {
        "model": "wan2.7-r2v",
        "input": {
            "prompt": "参考图片，3D卡通冒险电影风",
            "media": [{"type": "reference_image", "url": board}],
        },
        "parameters": {"resolution": "720P", "duration": 10, "prompt_extend": False, "watermark": True},
    }


def test_r2v_first_frame_goes_before_the_references_and_kinds_come_from_the_reference() -> None:
    request = VideoRequest(
        prompt="Image 1 enters",
        first_frame=OBJECT3,
        references=[
            Reference("https://example.com/who", kind="image"),
            Reference("https://example.com/v", kind="video"),
        ],
    )
    assert body_of(request)["input"]["media"] == [
        {"type": "first_frame", "url": OBJECT3},
        {"type": "reference_image", "url": "https://example.com/who"},
        {"type": "reference_video", "url": "https://example.com/v"},
    ]


def test_local_references_and_voices_go_as_uploads_with_the_resolve_header() -> None:
    """The client hands the uploaded ``oss://`` URLs by field; the body puts each on its item."""
    request = VideoRequest(
        prompt="Image 1 sings", references=[Reference(b"\x89PNG...", voice=b"RIFF...", kind="image")]
    )
    urls = {
        "references[0]": "oss://dashscope-instant/a/girl.png",
        "references[0].voice": "oss://dashscope-instant/a/v.wav",
    }
    call = native.create_call(request, urls)
    assert call.headers["X-DashScope-OssResourceResolve"] == "enable"
    assert call.headers["X-DashScope-Async"] == "enable"
    assert call.json is not None
    assert call.json["input"]["media"] == [
        {
            "type": "reference_image",
            "url": urls["references[0]"],
            "reference_voice": urls["references[0].voice"],
        }
    ]
    links = native.create_call(r2v_example(), {f: str(v) for f, v in r2v_example().inputs().items()})
    assert "X-DashScope-OssResourceResolve" not in links.headers


# -- videoedit ------------------------------------------------------------------------------------------------


def test_videoedit_instruction_only_example_sends_the_documented_default_duration() -> None:
    request = VideoRequest(prompt="将整个画面转换为黏土风格", video=STYLE_SOURCE, resolution="720P", prompt_extend=True,
                           watermark=True)  # fmt: skip
    body = body_of(request)
    assert body["model"] == "wan2.7-videoedit"
    assert body["input"] == {
        "prompt": "将整个画面转换为黏土风格",
        "media": [{"type": "video", "url": STYLE_SOURCE}],
    }
    # the example leaves duration out; "或传入默认值 0" (or pass the default 0): keep the source's length
    assert body["parameters"] == {
        "resolution": "720P",
        "prompt_extend": True,
        "watermark": True,
        "duration": 0,
    }
    assert (
        "ratio" not in body["parameters"] and "audio_setting" not in body["parameters"]
    )  # the source's aspect


def test_videoedit_with_a_reference_image_example_and_sdk_call() -> None:
    request = VideoRequest(prompt="将视频中女孩的衣服替换为图片中的衣服", video=EDIT_SOURCE, references=[CLOTHES],
                           resolution="720P", prompt_extend=True, watermark=True)  # fmt: skip
    assert body_of(request)["input"]["media"] == [
        {"type": "video", "url": EDIT_SOURCE},
        {"type": "reference_image", "url": CLOTHES},
    ]


def test_videoedit_audio_setting_ratio_and_a_cut() -> None:
    request = VideoRequest(prompt="", video=EDIT_SOURCE, audio_setting="origin", ratio="1:1", duration=3)
    body = body_of(request)
    assert "prompt" not in body["input"]  # optional on videoedit
    assert body["parameters"] == {
        "resolution": "720P",
        "duration": 3,
        "ratio": "1:1",
        "audio_setting": "origin",
    }


# -- i2v stays as it was; Wan 3.0 -----------------------------------------------------------------------------


def test_i2v_body_is_unchanged_and_has_no_ratio() -> None:
    request = VideoRequest(
        prompt="a cat", first_frame="https://example.com/cat.png", last_frame="https://example.com/end.png"
    )
    assert body_of(request) == {
        "model": "wan2.7-i2v",
        "input": {
            "prompt": "a cat",
            "media": [
                {"type": "first_frame", "url": "https://example.com/cat.png"},
                {"type": "last_frame", "url": "https://example.com/end.png"},
            ],
        },
        "parameters": {"resolution": "720P", "duration": 5},
    }


def test_wan3_frames_example_third_party() -> None:
    """A third-party script's body (family.md §6, id 61613604179): first and last frame, 480P, 1:1."""
    first, last = "data:image/png;base64,AAAA", "data:image/png;base64,BBBB"
    request = VideoRequest(prompt="a storm", model="wan3.0-video", first_frame=first, last_frame=last,
                           resolution="480P", ratio="1:1", duration=6, audio=False, prompt_extend=False,
                           watermark=False, seed=7)  # fmt: skip
    assert body_of(request) == {
        "model": "wan3.0-video",
        "input": {
            "prompt": "a storm",
            "media": [{"type": "first_frame", "url": first}, {"type": "last_frame", "url": last}],
        },
        "parameters": {
            "resolution": "480P", "ratio": "1:1", "duration": 6, "audio": False, "prompt_extend": False,
            "watermark": False, "seed": 7,
        },
    }  # fmt: skip


def test_wan3_from_a_prompt_alone_sends_no_media_key() -> None:
    """No example sends an empty ``media`` and the official SDK leaves the key out when there is none."""
    body = body_of(VideoRequest(prompt="一只猫", model="wan3.0-video", resolution="480P", duration=-1))
    assert body["input"] == {"prompt": "一只猫"}
    framed = body_of(VideoRequest(prompt="一只猫", model="wan3.0-video", first_frame="https://e.com/a.png"))
    assert framed["input"]["media"] == [{"type": "first_frame", "url": "https://e.com/a.png"}]  # control


def test_wan3_smart_duration_and_reference_audio() -> None:
    request = VideoRequest(
        prompt="Image 1 speaks with Audio 1",
        model="wan3.0-video-prime",
        references=["https://example.com/a.png", "https://example.com/a.mp3"],
        duration=-1,
        ratio="adaptive",
    )
    body = body_of(request)
    assert body["input"]["media"] == [
        {"type": "reference_image", "url": "https://example.com/a.png"},
        {"type": "reference_audio", "url": "https://example.com/a.mp3"},
    ]
    assert body["parameters"] == {"resolution": "720P", "duration": -1, "ratio": "adaptive"}


# -- the relay carries the same create ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_",
    [
        r2v_example(),
        VideoRequest(prompt="黏土风格", video=STYLE_SOURCE, audio_setting="auto"),
        VideoRequest(prompt="a lighthouse", driving_audio=MARCH, ratio="9:16"),
    ],
    ids=["r2v", "videoedit", "t2v"],
)
def test_relay_sends_the_native_body_under_its_prefix(request_: VideoRequest) -> None:
    urls = {field: str(value) for field, value in request_.inputs().items()}
    call = relay.create_call(request_, urls)
    assert call.method == "POST" and call.path == "/wan/api/v1/services/aigc/video-generation/video-synthesis"
    assert call.json == native.create_body(request_, urls)
    assert call.headers["Accept-Encoding"] == "identity" and call.headers["X-DashScope-Async"] == "enable"


def test_relay_carries_data_uris_as_they_are() -> None:
    request = VideoRequest(prompt="Image 1", references=[Reference(b"\x89PNG", voice=b"RIFF", kind="image")])
    urls = {
        "references[0]": "data:image/png;base64,iVBO",
        "references[0].voice": "data:audio/wav;base64,UklG",
    }
    call = relay.create_call(request, urls)
    assert call.json is not None
    assert call.json["input"]["media"] == [
        {
            "type": "reference_image",
            "url": "data:image/png;base64,iVBO",
            "reference_voice": "data:audio/wav;base64,UklG",
        }
    ]
    assert "X-DashScope-OssResourceResolve" not in call.headers


# -- usage ----------------------------------------------------------------------------------------------------


def answer(usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "request_id": "f16ae7e9-d518-92f8-a02c-xxxxxx",
        "output": {
            "task_id": "05e68c7e-850c-49e4-b866-xxxxxx",
            "task_status": "SUCCEEDED",
            "submit_time": "2026-04-03 00:08:03.576",
            "scheduled_time": "2026-04-03 00:08:13.408",
            "end_time": "2026-04-03 00:11:57.286",
            "orig_prompt": "将视频中女孩的衣服替换为图片中的衣服",
            "video_url": "https://dashscope-a717.oss-accelerate.aliyuncs.com/xxx.mp4?Expires=1780000000",
        },
        "usage": usage,
    }


@pytest.mark.parametrize(
    ("usage", "billed", "input_", "output"),
    [
        # videoedit's HTTP example: floats
        ({"duration": 10.04, "input_video_duration": 5.02, "output_video_duration": 5.02, "video_count": 1,
          "SR": 720}, 10.04, 5.02, 5.02),
        # videoedit's SDK example: the 1.x SDK's injected video_duration 0 must not be read
        ({"video_count": 1, "video_duration": 0, "video_ratio": "", "duration": 10.08,
          "input_video_duration": 5.04, "output_video_duration": 5.04, "SR": 720}, 10.08, 5.04, 5.04),
        # r2v: integers, input + output
        ({"duration": 15, "input_video_duration": 5, "output_video_duration": 10, "video_count": 1, "SR": 720,
          "ratio": "16:9"}, 15, 5, 10),
        # t2v: input fixed 0
        ({"duration": 10, "input_video_duration": 0, "output_video_duration": 10, "video_count": 1,
          "ratio": "16:9", "SR": 720}, 10, 0, 10),
    ],
    ids=["videoedit", "videoedit-sdk", "r2v", "t2v"],
)  # fmt: skip
def test_usage_keeps_fractional_input_and_output_seconds(
    usage: dict[str, Any], billed: float, input_: float, output: float
) -> None:
    task = native.parse_task(answer(usage), {}, "dashscope")
    assert task.usage is not None
    assert task.usage.billed_seconds == billed
    assert task.usage.input_seconds == input_
    assert task.usage.video_seconds == output
    assert task.usage.resolution == 720 and task.usage.video_count == 1
    assert task.usage.input_seconds + task.usage.video_seconds == pytest.approx(task.usage.billed_seconds)


def test_legacy_usage_without_input_seconds() -> None:
    task = native.parse_task(
        answer({"video_duration": 5, "video_ratio": "1280*720", "video_count": 1}), {}, "dashscope"
    )
    assert task.usage is not None
    assert (task.usage.billed_seconds, task.usage.video_seconds, task.usage.input_seconds) == (5, 5, None)


def test_relay_create_answer_is_native_and_its_usage_is_kept() -> None:
    task = relay.parse_task(
        answer({"duration": 10.04, "input_video_duration": 5.02, "output_video_duration": 5.02}), {}, "relay"
    )
    assert task.usage is not None and task.usage.input_seconds == 5.02 and task.usage.billed_seconds == 10.04
