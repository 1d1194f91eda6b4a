""" "Copy as code": the ``AsyncWanClient`` call equivalent to what a card did.

The snippet never contains a key: it reads the provider's key variable from the environment, which is where
a key belongs (a key typed into a notebook ends up in its file, its history and screenshots).
Media that were uploaded (bytes) are referred to by file name, with a note to save them next to the notebook.
References are written as a list (``Reference(...)`` where a voice or a kind goes with one), the source video as
``video=``; ``parent`` (the task a try was chained from) is the journal's, never sent, so it is left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import fields, replace

from wan_nb.client.providers import PROVIDERS
from wan_nb.family import spec_of
from wan_nb.models import MEDIA_ROLES, MediaInput, Reference, VideoRequest

__all__ = ["request_snippet", "resume_snippet"]

_DEFAULTS = VideoRequest()
_NOT_SCALARS = {*MEDIA_ROLES, "video", "references", "parent"}
_SCALARS = tuple(f.name for f in fields(VideoRequest) if f.name not in _NOT_SCALARS)


def request_snippet(request: VideoRequest, provider: str, names: dict[str, str] | None = None) -> str:
    """Python that submits ``request`` to ``provider`` and downloads the result under ``wan_outputs/``.

    ``names`` gives a file name for media held as bytes (an upload), by the field that names them in
    ``VideoRequest.inputs()`` (``first_frame``, ``video``, ``references[0]``, ``references[0].voice``).
    """
    uploads = {field: (names or {}).get(field, _stand_in(field)) for field in _held_in_memory(request)}
    arguments = [*_media_arguments(request, uploads), *_scalar_arguments(request)]
    body = "".join(f"\n        {argument}," for argument in arguments)
    notes = "".join(
        f"# {name}: the file uploaded in the panel; save it next to the notebook\n"
        for name in uploads.values()
    )
    names_needed = (
        "AsyncWanClient, Reference, VideoRequest"
        if _needs_reference(request)
        else "AsyncWanClient, VideoRequest"
    )
    return (
        f"from wan_nb import {names_needed}\n\n"
        f"{_key_comment(provider)}{notes}"
        f"async with AsyncWanClient(provider={provider!r}) as client:\n"
        f"    request = VideoRequest({body}\n    )\n"
        '    task = await client.generate(request, out="wan_outputs/")\n'
        "task"
    )


def resume_snippet(task_id: str, provider: str) -> str:
    """Python that waits for an existing task and downloads its result."""
    return (
        "from wan_nb import AsyncWanClient\n\n"
        f"{_key_comment(provider)}"
        f"async with AsyncWanClient(provider={provider!r}) as client:\n"
        f"    task = await client.wait({task_id!r})\n"
        '    task = task.evolve(path=await client.download(task, "wan_outputs/"))\n'
        "task"
    )


def _key_comment(provider: str) -> str:
    row = PROVIDERS.get(provider)
    if row is None or row.key_env is None:
        return "# the built-in simulator: no key, synthetic videos\n"
    return f"# the key is read from ${row.key_env}: never paste it into a notebook\n"


def _held_in_memory(request: VideoRequest) -> list[str]:
    """Fields given as bytes or a PIL image: the code can only name the file they came from."""
    return [field for field, value in request.inputs().items() if not isinstance(value, str | os.PathLike)]


def _stand_in(field: str) -> str:
    """A file name for an upload whose name is unknown (``references[1].voice`` → ``references_1_voice``)."""
    stem = field.replace("[", "_").replace("].", "_").replace("]", "")
    return (
        f"{stem}.mp4"
        if field == "video"
        else f"{stem}.wav"
        if field.endswith(("voice", "audio"))
        else f"{stem}.png"
    )


def _needs_reference(request: VideoRequest) -> bool:
    return any(reference.voice is not None or reference.kind is not None for reference in request.references)


def _media_arguments(request: VideoRequest, uploads: dict[str, str]) -> list[str]:
    def shown(field: str, value: MediaInput) -> str:
        return repr(uploads[field] if field in uploads else _clip_data_uri(os.fsdecode(value)))

    arguments = [f"{role}={shown(role, value)}" for role, value in request.media().items()]
    if request.video is not None:
        arguments.append(f"video={shown('video', request.video)}")
    if request.references:
        items = [_reference(index, item, shown) for index, item in enumerate(request.references)]
        arguments.append(f"references=[{', '.join(items)}]")
    return arguments


def _reference(index: int, item: Reference, shown: Callable[[str, MediaInput], str]) -> str:
    field = f"references[{index}]"
    medium = shown(field, item.medium)
    if item.voice is None and item.kind is None:
        return medium  # VideoRequest takes plain media as references
    extra = [f"voice={shown(field + '.voice', item.voice)}"] if item.voice is not None else []
    extra += [f"kind={item.kind!r}"] if item.kind is not None else []
    return f"Reference({', '.join([medium, *extra])})"


def _clip_data_uri(value: str) -> str:
    # A data: URI is the whole image inline; the snippet would be unreadable (and huge) with it.
    return value if not value.startswith("data:") else "image.png"


def _scalar_arguments(request: VideoRequest) -> list[str]:
    # What the inputs choose anyway (the model, its default duration) is left out, as a user would write it.
    implied = {
        "model": replace(request, model=None).chosen_model,
        "duration": spec_of(request.chosen_model).default_duration,
    }
    arguments = []
    for name in _SCALARS:
        value = getattr(request, name)
        if name in implied and value == implied[name]:
            continue
        if value != getattr(_DEFAULTS, name) or name == "prompt":
            arguments.append(f"{name}={value!r}")
    return arguments
