"""The Wan video family: every model wan_nb sends, what each one takes, and the one table that says so.

Alibaba's Wan 2.7 is four tasks on the same native endpoint, task API, polling and envelopes; only ``input`` and
``parameters`` differ (research/family.md §1-§2, official API references of June 2026). Wan 3.0 is one model for
text, frames and references, on the same endpoint, in preview. Each model is a :class:`ModelSpec` row of
:data:`MODELS`; the rest of wan_nb asks a row ("does this model take references?" ``spec.references``) and never
compares a model's name outside this module.

```python
from wan_nb.family import spec_of
spec_of("wan2.7-t2v-2026-04-25").task        # "text": a dated snapshot has its base model's rules
```

Marks, as in family.md: the wan2.7 rows are Alibaba's own API references **[O]**; the older i2v rows come from
native.md §1.3; **Wan 3.0's field-level rules are third-party** (docs.comfy.org's router schema, a client's
docstring quoting the official zh page, 2026-08) and its rows say so (``official=False``).

Pure data and two small functions; imports nothing from wan_nb (a base module, like ``models``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "FRAME_ROLES",
    "MODELS",
    "TASKS",
    "WAN27_EDIT",
    "WAN27_I2V",
    "WAN27_R2V",
    "WAN27_T2V",
    "WAN30",
    "FrameRole",
    "MediaLimits",
    "ModelSpec",
    "ReferenceKind",
    "Task",
    "choose_model",
    "snapshot_base",
    "spec_of",
]

Task = Literal["text", "image", "references", "edit", "omni"]
"""What a model makes a video from: a sentence, a first frame or clip, references, a video to edit, or (Wan 3.0)
any of text, frames and references."""
TASKS: dict[Task, str] = {
    "text": "text-to-video",
    "image": "image-to-video",
    "references": "references-to-video",
    "edit": "video editing",
    "omni": "text, frames or references to video (Wan 3.0)",
}
"""How messages and cards name each task."""

FrameRole = Literal["first_frame", "last_frame", "driving_audio", "first_clip"]
FRAME_ROLES: tuple[FrameRole, ...] = ("first_frame", "last_frame", "driving_audio", "first_clip")
"""The request's single-medium fields, in wire order (i2v's ``input.media`` types; t2v's ``driving_audio`` is its
``input.audio_url``)."""

ReferenceKind = Literal["image", "video", "audio"]


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """What one kind of medium may be; ``None`` means not checked (not documented for the model)."""

    noun: str
    formats: tuple[str, ...]
    max_mb: float
    side: tuple[int, int] | None = None
    aspect: float | None = None
    """Longest side over shortest side, at most."""
    seconds: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model's rules: for validation, the wire, prices and the panel's fields."""

    model: str
    task: Task
    legacy: bool
    """True when the body carries ``input.img_url``/``audio_url`` instead of ``input.media`` (native.md §1.3)."""
    frame_sets: tuple[frozenset[FrameRole], ...]
    """The allowed combinations of ``first_frame``/``last_frame``/``driving_audio``/``first_clip``."""
    resolutions: tuple[str, ...]
    default_resolution: str
    """What wan_nb sends when the request names none: the cheaper 720P, though the service's own default is
    1080P on every wan2.7 and Wan 3.0 model (family.md §8): a forgotten field must not double the bill."""
    durations: tuple[int, ...]
    default_duration: int
    prompt_chars: int
    negative_prompt_chars: int
    """0: the model has no negative prompt (Wan 3.0: do not send it)."""
    image: MediaLimits
    audio: MediaLimits
    clip: MediaLimits
    prompt_required: bool = False
    ratios: tuple[str, ...] = ()
    """``parameters.ratio`` values; empty: not a field of this model (i2v follows its image)."""
    references: tuple[int, int] = (0, 0)
    """Fewest and most references (images, videos and, on Wan 3.0, audio together)."""
    reference_kinds: dict[ReferenceKind, int] | None = None
    """The most references of each kind, when each kind has its own cap."""
    voices: bool = False
    """A reference may carry a ``reference_voice`` (r2v: timbre only)."""
    frame_needs_reference: bool = False
    """A first frame is never alone (r2v: "Only first frame provided is not allowed")."""
    frames_exclude_references: bool = False
    """Frame inputs and references never go together (Wan 3.0)."""
    reference_video_durations: tuple[int, ...] | None = None
    """The durations allowed once a reference video is given (r2v: 2-10)."""
    source_video: MediaLimits | None = None
    """The one ``video`` to edit (videoedit); None: the model takes none."""
    audio_settings: tuple[str, ...] = ()
    reference_video: MediaLimits | None = None
    reference_audio: MediaLimits | None = None
    voice: MediaLimits | None = None
    reference_seconds: float | None = None
    """Seconds of reference videos in all, and of reference audio in all, at most (Wan 3.0: 15 each)."""
    video_in_and_out_seconds: float | None = None
    """With reference videos, their seconds plus the output's, at most (Wan 3.0: 30)."""
    prompt_or_media: bool = False
    """An empty prompt needs at least one medium (Wan 3.0)."""
    official: bool = True
    """False when the rules come from third parties (Wan 3.0's fields)."""
    inline_images_only: bool = False
    """Base64 ``data:`` URIs are taken for images only: videos and audio (a source video, reference videos,
    voices, reference audio) go by URL or ``oss://`` (r2v, videoedit: family.md §2.2; Wan 3.0: §6; §8)."""
    ratio_follows_first_frame: bool = False
    """The service ignores ``ratio`` when a first frame is given: the video takes its aspect (r2v, family.md §8)."""

    def takes(self, role: FrameRole) -> bool:
        """Whether ``role`` appears in any allowed combination."""
        return any(role in allowed for allowed in self.frame_sets)

    def limits_for(self, role: FrameRole) -> MediaLimits:
        return self.clip if role == "first_clip" else self.audio if role == "driving_audio" else self.image

    def reference_limits(self, kind: ReferenceKind) -> MediaLimits:
        found = {"image": self.image, "video": self.reference_video, "audio": self.reference_audio}[kind]
        if found is None:
            raise ValueError(f"{self.model} takes no {kind} references")
        return found

    @property
    def task_name(self) -> str:
        return TASKS[self.task]


def _sets(names: str) -> tuple[frozenset[FrameRole], ...]:
    by_name: dict[str, FrameRole] = {role: role for role in FRAME_ROLES}
    return tuple(frozenset(by_name[p] for p in name.split("+") if p) for name in names.split(" "))


def _seconds(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1))


# fmt: off
_FRAMES = ("jpeg", "png", "bmp", "webp")
_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")
# Images (i2v frames, r2v/videoedit references): 240-8000 px, 1:8-8:1, ≤ 20 MB (native.md §1.2, family.md §2.2).
_IMAGE = MediaLimits("an image", _FRAMES, 20, side=(240, 8000), aspect=8)
_VIDEO_2_10 = MediaLimits("a video", ("mp4", "mov"), 100, side=(240, 4096), aspect=8, seconds=(2, 10))
_SPEECH = MediaLimits("audio", ("wav", "mp3"), 15, seconds=(2, 30))
# wan2.7-i2v (native.md §1.2): frames as _IMAGE; audio wav/mp3 2-30 s ≤ 15 MB; first_clip mp4/mov 2-10 s,
# 240-4096 px, 1:8-8:1, ≤ 100 MB; durations 2-15; 720P/1080P only.
WAN27_I2V = ModelSpec(
    model="wan2.7-i2v", task="image", legacy=False, resolutions=("720P", "1080P"), default_resolution="720P",
    frame_sets=_sets("first_frame first_frame+driving_audio first_frame+last_frame "
                     "first_frame+last_frame+driving_audio first_clip first_clip+last_frame"),
    durations=_seconds(2, 15), default_duration=5, prompt_chars=5000, negative_prompt_chars=500,
    image=_IMAGE, audio=_SPEECH, clip=_VIDEO_2_10,
)
# wan2.7-t2v (family.md §2.1 [O]): no media; an optional input.audio_url (wav/mp3 2-30 s ≤ 15 MB) the video
# follows, carried by driving_audio; prompt required; ratio five values; duration 2-15, default 5.
WAN27_T2V = replace(
    WAN27_I2V, model="wan2.7-t2v", task="text", frame_sets=_sets(" driving_audio"), prompt_required=True,
    ratios=_RATIOS,
)
# wan2.7-r2v (family.md §2.2 [O]): 1-5 reference images/videos (each may carry a reference_voice, wav/mp3 1-10 s
# ≤ 15 MB), at most one first_frame and never alone; reference videos mp4/mov 1-30 s 240-4096 px ≤ 100 MB;
# duration 2-10 with a reference video, else 2-15; ratio ignored by the service when a first frame is given.
WAN27_R2V = replace(
    WAN27_I2V, model="wan2.7-r2v", task="references", frame_sets=_sets(" first_frame"), prompt_required=True,
    ratios=_RATIOS, references=(1, 5), voices=True, frame_needs_reference=True, inline_images_only=True,
    ratio_follows_first_frame=True, reference_video_durations=_seconds(2, 10),
    reference_video=MediaLimits("a video", ("mp4", "mov"), 100, side=(240, 4096), aspect=8, seconds=(1, 30)),
    voice=MediaLimits("audio", ("wav", "mp3"), 15, seconds=(1, 10)),
    reference_kinds={"image": 5, "video": 5},
)
# wan2.7-videoedit (family.md §2.2 [O]): exactly one source video (mp4/mov 2-10 s) plus ≤ 4 reference images;
# prompt optional; audio_setting auto|origin; duration 0 (keep the source's length, the default) or 2-10 (cuts
# the source from 0 s); ratio optional (omitted: the source's aspect).
WAN27_EDIT = replace(
    WAN27_I2V, model="wan2.7-videoedit", task="edit", frame_sets=_sets(""), ratios=_RATIOS,
    references=(0, 4), reference_kinds={"image": 4}, durations=(0, *_seconds(2, 10)), default_duration=0,
    source_video=_VIDEO_2_10, audio_settings=("auto", "origin"), inline_images_only=True,
)
# Wan 3.0 (family.md §6): the endpoint and names are on Alibaba's pages [O]; the fields are [3P]: frames
# (first ≤ 1, last ≤ 1) XOR references (images ≤ 10, videos ≤ 5, audio ≤ 5; videos and audio 15 s in all; with
# a video, input + output ≤ 30 s);
# 480P/720P/1080P; ratio adds "adaptive"; duration 2-30 or -1 (the model picks); prompt ≤ 20000, or media alone;
# no negative prompt; images may be Base64, video and audio links or uploads only.
WAN30 = replace(
    WAN27_I2V, model="wan3.0-video", task="omni", official=False,
    frame_sets=_sets(" first_frame first_frame+last_frame"), resolutions=("480P", "720P", "1080P"),
    ratios=("adaptive", *_RATIOS), durations=(-1, *_seconds(2, 30)), prompt_chars=20000,
    negative_prompt_chars=0, references=(0, 20), reference_kinds={"image": 10, "video": 5, "audio": 5},
    frames_exclude_references=True, prompt_or_media=True, reference_seconds=15, video_in_and_out_seconds=30,
    inline_images_only=True,
    reference_video=MediaLimits("a video", ("mp4", "mov"), 100, side=(240, 4096), aspect=8, seconds=(1, 15)),
    reference_audio=MediaLimits("audio", ("wav", "mp3"), 15, seconds=(1, 15)),
)
# Older first-frame models (native.md §1.3): img_url 360-2000 px ≤ 10 MB (no aspect limit published),
# audio_url 3-30 s ≤ 15 MB on wan2.5/2.6 only; prompt ≤ 2000. Per-model durations are UNCONFIRMED
# (5/10/15 vs any integer 2-15), so 2-15 unless an official page fixes them.
WAN26 = replace(
    WAN27_I2V, model="wan2.6-i2v", legacy=True, frame_sets=_sets("first_frame first_frame+driving_audio"),
    prompt_chars=2000, image=MediaLimits("an image", _FRAMES, 10, side=(360, 2000)),
    audio=MediaLimits("audio", ("wav", "mp3"), 15, seconds=(3, 30)),
)
WAN22 = replace(WAN26, model="wan2.2-i2v-plus", frame_sets=_sets("first_frame"), prompt_chars=800)
_FLASH = MediaLimits("an image", _FRAMES, 20, side=(360, 2000))  # modelstream's -flash page: ≤ 20 MB
_MODELS = (
    WAN27_T2V,
    WAN27_I2V,
    WAN27_R2V,
    WAN27_EDIT,
    WAN30,
    replace(WAN30, model="wan3.0-video-prime"),  # "高速版，能力对齐标准版": the fast variant, same abilities [3P]
    WAN26,
    replace(WAN26, model="wan2.6-i2v-flash", image=_FLASH),
    replace(WAN26, model="wan2.5-i2v-preview", resolutions=("480P", "720P", "1080P")),
    # official zh legacy page: wan2.2-i2v-plus 480P/1080P, 5 s; wan2.2-i2v-flash 480P/720P
    replace(WAN22, resolutions=("480P", "1080P"), default_resolution="1080P", durations=(5,)),
    replace(WAN22, model="wan2.2-i2v-flash", resolutions=("480P", "720P"), image=_FLASH),
    # same page: wanx2.1-i2v-turbo 480P/720P, 3/4/5 s; wanx2.1-i2v-plus 720P, 5 s
    replace(WAN22, model="wanx2.1-i2v-turbo", resolutions=("480P", "720P"), durations=(3, 4, 5)),
    replace(WAN22, model="wanx2.1-i2v-plus", resolutions=("720P",), durations=(5,)),
)
# fmt: on
MODELS: dict[str, ModelSpec] = {spec.model: spec for spec in _MODELS}
"""Every model wan_nb sends, by name; dated snapshots (``wan2.7-t2v-2026-04-25``) take their base's row."""

_ANY_RESOLUTION = ("480P", "720P", "1080P")
# Unknown names sent with allow_unknown_model=True: the family fixes the body shape (protocols.native reads
# `legacy`); the server judges the rest.
_FAMILIES: tuple[tuple[tuple[str, ...], ModelSpec], ...] = (
    (("wan3",), WAN30),
    (("wan2.7",), WAN27_I2V),
    (("wan2.6-", "wan2.5-", "wan2.2-", "wanx2.1-", "wanx2.0-"), replace(WAN26, resolutions=_ANY_RESOLUTION)),
    (("",), replace(WAN27_I2V, resolutions=_ANY_RESOLUTION)),
)

# What model=None becomes, by the inputs given (the rule): a video to edit, else references, else a
# frame or clip, else text. Wan 3.0 is chosen only when named: it is a preview with third-party rules.
_CHOSEN: tuple[tuple[str, str], ...] = (
    ("video", WAN27_EDIT.model),
    ("references", WAN27_R2V.model),
    ("frames", WAN27_I2V.model),
    ("", WAN27_T2V.model),
)


def spec_of(model: str) -> ModelSpec:
    """The rules for ``model``: its own, its snapshot's base model's, or its family's generic ones."""
    bases = [name for name in MODELS if model == name or model.startswith(name + "-")]
    if bases:
        return MODELS[max(bases, key=len)]  # wan2.6-i2v-flash beats wan2.6-i2v
    return next(spec for prefixes, spec in _FAMILIES if model.startswith(prefixes))


_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$|-\d{4,8}$")
"""A dated snapshot's suffix: ``-2026-04-25`` (wan2.7's snapshots), ``-0425`` or ``-20260425``."""


def snapshot_base(model: str) -> str | None:
    """The table's model a dated snapshot pins (``wan2.7-t2v-2026-04-25`` → ``wan2.7-t2v``): it has that
    model's rules and price; None for any other name."""
    base = _SNAPSHOT.sub("", model)
    return base if base != model and base in MODELS else None


def choose_model(*, video: bool, references: bool, frames: bool) -> str:
    """The model a request without one goes to: ``video`` → videoedit, ``references`` → r2v, a first/last frame
    or a clip (``frames``) → i2v, none of them → t2v."""
    given = {"video": video, "references": references, "frames": frames, "": True}
    return next(model for inputs, model in _CHOSEN if given[inputs])
