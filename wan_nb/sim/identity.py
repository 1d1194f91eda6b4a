"""What makes two creates "the same": their JSON, with media that carry their own bytes named by those bytes.

A local file reaches the service either inline (a ``data:`` URI) or uploaded first (``oss://``, native.md §4);
every upload lands in a fresh folder (getPolicy's ``upload_dir`` is new each time), so the same file re-sent
gets a new URL. Naming such media by a hash of their content makes a re-submit of the same file count as a
duplicate (``SimStats.creates``) and share one render.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from wan_nb.sim import media

# oss:// url -> the uploaded bytes, None when it is not one of the simulator's uploads.
Uploads = Callable[[str], bytes | None]


def content_id(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def media_id(url: str, uploads: Uploads) -> str:
    """The URL itself, or ``sha256:...`` of the bytes behind a ``data:`` URI or one of our uploads."""
    if url.startswith("data:"):
        try:
            return content_id(media.decode_data_uri(url))
        except ValueError:  # binascii.Error
            return content_id(url.encode())  # undecodable: the render fails it; the text still names it
    if url.startswith("oss://"):
        data = uploads(url)
        return url if data is None else content_id(data)
    return url


def canonical(value: Any, uploads: Uploads) -> Any:
    """``value`` (parsed JSON) with every string that is a medium replaced by its ``media_id``."""
    if isinstance(value, str):
        return media_id(value, uploads)
    if isinstance(value, Mapping):
        return {key: canonical(item, uploads) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item, uploads) for item in value]
    return value


def fingerprint(body: Any, uploads: Uploads) -> str:
    """The hash of the canonical body: two creates with the same JSON and media count as a duplicate."""
    text = json.dumps(canonical(body, uploads), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
