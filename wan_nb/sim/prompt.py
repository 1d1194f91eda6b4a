"""What the simulator reads in a prompt: the camera direction it names, and the rewrite ``prompt_extend`` makes.

The real model follows camera language in the prompt ("推近", "pan left"...); the simulator cannot follow the
rest of it, so it takes just that, in English and Chinese, and leaves the other choices to the seed
(camera.py). With ``prompt_extend`` (default true) the service rewrites the prompt with added detail and
returns it as ``output.actual_prompt`` beside ``orig_prompt`` (native.md §3.1: "一只猫在草地上奔跑" →
"一只白猫在草地上奔跑，尾巴高高扬起，步伐轻快。"); the simulator's rewrite keeps the user's words, adds
detail clauses picked by a hash of the prompt, and spells out the camera move, so it is deterministic.
"""

from __future__ import annotations

import hashlib
import re

MOVES = ("push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "orbit", "static")
LABELS = {
    "push_in": "push in",
    "pull_out": "pull out",
    "pan_left": "pan left",
    "pan_right": "pan right",
    "tilt_up": "tilt up",
    "tilt_down": "tilt down",
    "orbit": "orbit",
    "static": "static",
    "drift": "drift (no camera words)",
}
_EN = {
    "push_in": r"(?:zoom(?:s|ing|ed)?|push(?:es|ing|ed)?|dolly(?:ing)?|mov(?:es|ing|e)|track(?:s|ing)?)[ -]in(?:to)?\b"
    r"|moves? closer",
    "pull_out": r"(?:zoom(?:s|ing|ed)?|pull(?:s|ing|ed)?|dolly(?:ing)?|track(?:s|ing)?|draw(?:s|ing)?)"
    r"[ -](?:out|back)\b|pull-back",
    "pan_left": r"pan(?:s|ning|ned)?[ -](?:to (?:the )?)?left\b|truck(?:s|ing)? left\b",
    "pan_right": r"pan(?:s|ning|ned)?[ -](?:to (?:the )?)?right\b|truck(?:s|ing)? right\b",
    "tilt_up": r"tilt(?:s|ing|ed)?[ -]up(?:ward)?\b|pedestal(?:s|ing)? up\b",
    "tilt_down": r"tilt(?:s|ing|ed)?[ -]down(?:ward)?\b|pedestal(?:s|ing)? down\b",
    "orbit": r"\b(?:orbit(?:s|ing|ed)?|arc shot|circl(?:es|ing|e) around|360)\b",
    "static": r"\b(?:static|fixed|locked[ -]off|still|stationary|tripod) (?:camera|shot)\b"
    r"|camera (?:is |stays |remains |holds )?(?:still|static|fixed)\b",
}
_ZH = {
    "push_in": ("推近", "推进", "推镜", "镜头推", "拉近", "前推", "放大"),
    "pull_out": ("拉远", "后拉", "拉镜头", "缩小", "远离"),
    "pan_left": ("左摇", "向左摇", "左移", "向左平移", "镜头向左", "左平移"),
    "pan_right": ("右摇", "向右摇", "右移", "向右平移", "镜头向右", "右平移"),
    "tilt_up": ("上摇", "向上摇", "上移", "镜头向上", "仰摇"),
    "tilt_down": ("下摇", "向下摇", "下移", "镜头向下", "俯摇"),
    "orbit": ("环绕", "环拍", "绕拍", "旋转镜头", "围绕"),
    "static": ("固定镜头", "固定机位", "镜头固定", "固定", "静止镜头", "镜头不动"),
}
_PATTERNS = [(move, re.compile(pattern, re.IGNORECASE)) for move, pattern in _EN.items()]

_DETAIL_EN = (
    "soft natural light falls across the scene",
    "fine textures stay crisp and true to life",
    "a shallow depth of field gently blurs the background",
    "warm golden-hour tones fill the frame",
    "subtle motion brings every element to life",
    "the air carries a faint, drifting haze",
    "colours are rich yet natural",
    "the movement is smooth and unhurried",
    "light reflections shimmer on nearby surfaces",
    "the composition stays balanced and clear",
)
_DETAIL_ZH = (
    "柔和的自然光洒落在画面上",
    "细节纹理清晰逼真",
    "浅景深让背景柔和虚化",
    "温暖的金色光线充满画面",
    "细微的动态让画面更加生动",
    "空气中弥漫着淡淡的薄雾",
    "色彩浓郁而自然",
    "动作流畅舒缓",
    "光影在表面上轻轻闪动",
    "构图平衡清晰",
)
_CAMERA_EN = {
    "push_in": "The camera slowly pushes in",
    "pull_out": "The camera slowly pulls out",
    "pan_left": "The camera pans smoothly to the left",
    "pan_right": "The camera pans smoothly to the right",
    "tilt_up": "The camera tilts up",
    "tilt_down": "The camera tilts down",
    "orbit": "The camera orbits around the subject",
    "static": "The camera holds a fixed shot",
    "drift": "The camera drifts gently",
}
_CAMERA_ZH = {
    "push_in": "镜头缓缓推近",
    "pull_out": "镜头缓缓拉远",
    "pan_left": "镜头平稳地向左摇",
    "pan_right": "镜头平稳地向右摇",
    "tilt_up": "镜头向上摇",
    "tilt_down": "镜头向下摇",
    "orbit": "镜头环绕主体运动",
    "static": "固定镜头",
    "drift": "镜头轻微移动",
}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_END = "。.!?！？;；,，、 \n\t"


def camera_move(prompt: str) -> str | None:
    """The camera move the prompt names first (one of MOVES), or None when it names none."""
    found: list[tuple[int, str]] = []
    for move, pattern in _PATTERNS:
        match = pattern.search(prompt)
        if match:
            found.append((match.start(), move))
    for move, words in _ZH.items():
        places = [prompt.find(word) for word in words if word in prompt]
        if places:
            found.append((min(places), move))
    return min(found)[1] if found else None


def is_chinese(text: str) -> bool:
    return _CJK.search(text) is not None


def extend(prompt: str) -> str:
    """The deterministic ``actual_prompt``: the user's words, two detail clauses, the camera move spelled out."""
    digest = hashlib.sha256(prompt.encode()).digest()
    move = camera_move(prompt) or "drift"
    chinese = is_chinese(prompt)
    details = _DETAIL_ZH if chinese else _DETAIL_EN
    first, second = digest[0] % len(details), digest[1] % (len(details) - 1)
    picked = (details[first], details[second + (second >= first)])
    core = prompt.strip().rstrip(_END)
    if chinese:
        body = "，".join(part for part in (core, *picked) if part)
        return f"{body}。{_CAMERA_ZH[move]}，画面稳定流畅。"
    if not core:
        return f"A scene brought to life from the first frame, {picked[0]}. {_CAMERA_EN[move]}."
    return (
        f"{core[:1].upper()}{core[1:]}, {picked[0]}, {picked[1]}. {_CAMERA_EN[move]}, cinematic and steady."
    )


def smart_seconds(prompt: str) -> int:
    """Wan 3.0's ``duration: -1``: "the model automatically recommends a suitable duration" (family.md §6).
    The simulator's pick grows with what the prompt describes: 5 s for a short or empty one, one more second per
    12 words (per 24 CJK characters), at most 15 s."""
    words = len(_CJK.findall(prompt)) // 2 + len(_CJK.sub(" ", prompt).split())
    return min(15, 5 + words // 12)
