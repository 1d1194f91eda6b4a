""" "Copy as code": the ``AsyncWanClient`` call equivalent to what a card did.

The snippet never contains a key: it reads the provider's key variable from the environment, which is where
a key belongs (a key typed into a notebook ends up in its file, its history and screenshots).
Media that were uploaded (bytes) are referred to by file name, with a note to save them next to the notebook.
"""

from __future__ import annotations

import os
from dataclasses import fields, replace

from wan_nb.client.providers import PROVIDERS
from wan_nb.family import spec_of
from wan_nb.models import MEDIA_ROLES, VideoRequest

__all__ = ["request_snippet", "resume_snippet"]

_DEFAULTS = VideoRequest()
_SCALARS = tuple(f.name for f in fields(VideoRequest) if f.name not in MEDIA_ROLES)


def request_snippet(request: VideoRequest, provider: str, names: dict[str, str] | None = None) -> str:
    """Python that submits ``request`` to ``provider`` and downloads the result under ``wan_outputs/``.

    ``names`` gives a file name for media held as bytes (an upload), by role.
    """
    uploads = {role: (names or {}).get(role, f"{role}.png") for role in _held_in_memory(request)}
    arguments = [*_media_arguments(request, uploads), *_scalar_arguments(request)]
    body = "".join(f"\n        {argument}," for argument in arguments)
    notes = "".join(
        f"# {name}: the file uploaded in the panel; save it next to the notebook\n"
        for name in uploads.values()
    )
    return (
        "from wan_nb import AsyncWanClient, VideoRequest\n\n"
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
    """Roles given as bytes or a PIL image: the code can only name the file they came from."""
    return [role for role, value in request.media().items() if not isinstance(value, str | os.PathLike)]


def _media_arguments(request: VideoRequest, uploads: dict[str, str]) -> list[str]:
    arguments = []
    for role, value in request.media().items():
        shown = uploads[role] if role in uploads else _clip_data_uri(os.fsdecode(value))
        arguments.append(f"{role}={shown!r}")
    return arguments


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
