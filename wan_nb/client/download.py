"""Downloads of a task's video, the whole path: where it goes, from where, with which headers, and what is kept.

The client calls :func:`save` once (its API session, the dialect's ``content_call``, the task, the folder or
file the caller chose). A video the API serves itself (the unified gateway's ``/content``) comes from the API
host with the key; when that is refused, and everywhere else, from the task's signed result URL on a storage
host, without it.

The body streams in chunks (memory stays flat) to ``<name>.part``; an interrupted stream, or a ``.part`` left by
an earlier attempt, resumes with ``Range: bytes=N-`` (a 206 must carry a matching ``Content-Range``; a server that
ignores Range and answers 200 restarts the file from zero). The byte count is checked against
``Content-Length``; the file is fsynced and renamed into place with ``os.replace``, so the final path only ever
holds a complete file, and an existing final file is returned without a request.

Who gets credentials is decided by the caller through :class:`Source`: a signed result URL on a storage host is
fetched with a header set that has no Authorization at all (DashScope's OSS URLs and the relay's ``result_url``
refuse it); the unified gateway's ``/content`` goes to the API host with it.

What a server sends is untrusted: the final path must resolve inside the folder the caller chose (a task id
never walks out of it); only a video is saved (the content type must not be markup, JSON or text, and the body
must open with an ISO-BMFF ``ftyp`` box, as MP4 and MOV do): anything else becomes the caller's error (a
DownloadError with the body's readable text, or ResultExpired) and nothing stays at the final path or in a
``.part``. Redirects are followed by hand, at most ``MAX_REDIRECTS`` hops, each to an https URL (http only on
loopback), and never with Authorization: a hop is a new host's business, even when it looks the same.
Must not import anything above ``wan_nb.protocols``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import httpx

from wan_nb.client._api import Api, parse_json, transport_error
from wan_nb.client.policy import DOWNLOAD_STALLS
from wan_nb.errors import APIError, DownloadError, ResultExpired, WanError, server_text
from wan_nb.media.hosts import is_fetchable
from wan_nb.models import Task
from wan_nb.protocols.base import Call

__all__ = ["MAX_REDIRECTS", "Source", "fetch", "part_path", "save", "target_path"]

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
FLUSH_EVERY = 8 * 1024 * 1024
"""Bytes between two background write-backs of a download (smaller files are only fsynced at the end)."""

MAX_REDIRECTS = 5
"""Hops a result download follows (signed URLs may bounce through a CDN once or twice; a loop ends here)."""
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Bodies that are a message for a person or a program, never a video, whatever the status says.
_NOT_VIDEO_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/problem",
    "application/xhtml",
)

# Turns a refused answer (status, first bytes of the body, headers) into the error to raise: a non-2xx, or a
# 2xx whose body is not a video (a captive portal's page, a JSON error, a storage's XML expiry answer).
ErrorFor = Callable[[int, bytes, httpx.Headers], WanError]


@dataclass(frozen=True, slots=True)
class Source:
    """Where the bytes come from and exactly which headers go with them."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


async def save(api: Api, content: Call | None, task: Task, dest: str | os.PathLike[str]) -> Path:
    """Download a SUCCEEDED task's video to ``dest`` (a folder gets ``<task_id>.mp4``); the file's path.

    ``content``: the dialect's call for a video the API serves itself (``Dialect.content_call``), or None.
    ResultExpired when the result URL is gone; a redirect loop or a malformed URL is a TransportError.
    """
    final = target_path(dest, task.id)
    try:
        return await _from_api_or_storage(api, content, task, final)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # a redirect loop, a malformed result URL
        error = transport_error(exc, "GET", content.path if content else task.video_url or "")
    raise error  # outside the except block: the gateway's /content request carries the key


async def _from_api_or_storage(api: Api, content: Call | None, task: Task, final: Path) -> Path:
    http = api.http
    if content is None:
        return await fetch(http, _result(task), final, task_id=task.id, error_for=_storage_errors(task))
    # The gateway's /content is on the API host, with the key; its upstream URL is the fallback.
    source = Source(api.url(content.path), api.authorized(content.headers))
    try:
        return await fetch(http, source, final, task_id=task.id, error_for=_api_errors(api))
    except APIError:
        if not task.video_url:
            raise
        return await fetch(http, _result(task), final, task_id=task.id, error_for=_storage_errors(task))


def _result(task: Task) -> Source:
    if not task.video_url:
        raise DownloadError(f"task {task.id} succeeded but carries no result URL")
    return Source(task.video_url)  # a signed storage URL: no Authorization, ever


def _api_errors(api: Api) -> ErrorFor:
    """Errors of a download from the API host (the gateway's ``/content``); a 2xx that is no video too."""

    def error_for(status: int, head: bytes, headers: httpx.Headers) -> WanError:
        if 200 <= status < 300:
            return _not_video(status, api.shown(head.decode("utf-8", "replace")))
        return api.error(status, parse_json(head), headers)

    return error_for


def target_path(dest: str | os.PathLike[str], task_id: str) -> Path:
    """``dest`` itself, or ``dest/<task_id>.mp4`` when it names a folder.

    A folder is a trailing slash, an existing directory, or a name without a suffix (``Path("videos")``
    cannot carry a slash, and a video file without an extension is rarely meant).
    """
    text = os.fspath(dest)
    path = Path(text).expanduser()
    if not (text.endswith(("/", os.sep)) or path.is_dir() or not path.suffix):
        return path
    folder, final = path.resolve(), path / f"{task_id}.mp4"
    landed = final.resolve()  # symlinks and ".." resolved: where the bytes would really go
    if landed.parent != folder or landed.name != final.name:
        raise DownloadError(
            f"task id {server_text(repr(task_id), limit=60)} would put the video outside {folder}; "
            "nothing was written"
        )
    return final


# OSS answers an expired signature with 403 and an XML body: <Code>AccessDenied</Code> "Request has expired."
_EXPIRY_WORDS = ("request has expired", "signature has expired", "url has expired", "expiredtoken")


def _storage_errors(task: Task) -> ErrorFor:
    """Errors from a signed result URL: 403/404/410 (and any 4xx once past ``expires_at``), or a body that says
    the signature expired (whatever its status), mean it expired; anything else that is no video is a
    DownloadError carrying the body's readable text."""

    def error_for(status: int, head: bytes, headers: httpx.Headers) -> WanError:
        text = server_text(head.decode("utf-8", "replace"))
        expired = task.expires_at is not None and task.expires_at <= datetime.now(UTC)
        if status in (403, 404, 410) or (expired and 400 <= status < 500) or _says_expired(text):
            return ResultExpired(task.id, status)
        return _not_video(status, text)

    return error_for


def _says_expired(text: str) -> bool:
    lowered = text.lower()
    return any(words in lowered for words in _EXPIRY_WORDS)


def _not_video(status: int, text: str) -> DownloadError:
    """The error for a download answer that is not the video: its status and what its body says."""
    said = f": {text}" if text else " and an empty body"
    return DownloadError(f"the result host answered HTTP {status} with no video{said}; nothing was saved")


async def fetch(
    http: httpx.AsyncClient,
    source: Source,
    final: Path,
    *,
    task_id: str,
    error_for: ErrorFor,
    max_stalls: int = DOWNLOAD_STALLS,
) -> Path:
    """Download ``source`` to ``final``; resumes up to ``max_stalls`` attempts that make no progress.

    An existing final file is returned without a request only when it is named after the task
    (``<task_id>.mp4``): a path the caller chose may hold another task's video, so it is replaced (atomically).
    """
    if final.name == f"{task_id}.mp4" and final.is_file():  # noqa: ASYNC240 - one stat
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(final, task_id)
    stalls = 0
    while True:
        before = _size(part)
        try:
            if await _attempt(http, source, part, error_for):
                break
        except httpx.TransportError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = "body shorter than Content-Length"
        stalls = 0 if _size(part) > before else stalls + 1
        if stalls >= max_stalls:
            raise DownloadError(
                f"download of {final.name} failed after {max_stalls} attempts without progress ({reason}); "
                f"{_size(part)} bytes kept in {part.name}, the next download resumes from there"
            )
    await asyncio.to_thread(_commit, part, final)
    return final


async def _attempt(http: httpx.AsyncClient, source: Source, part: Path, error_for: ErrorFor) -> bool:
    """One GET; True when the file is complete, False when it should be resumed."""
    offset = _size(part)
    # Identity: byte counts must match Content-Length and Range offsets (the video is compressed already).
    headers = {**source.headers, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    response = await _follow(http, source.url, headers)
    try:
        if response.status_code == 416 and offset:
            _discard(part)  # our .part is not a prefix the server recognises: start over
            return False
        if not response.is_success:
            raise error_for(response.status_code, await _head(_chunks(response)), response.headers)
        start, total = _window(response, offset)
        if start is None:
            _discard(part)
            return False
        first, chunks = await _opening(_chunks(response), 12)
        # A resumed body starts mid-file: only its type can be judged (its start was judged before).
        if not (_video_type(response.headers) and (start > 0 or first[4:8] == b"ftyp")):
            _discard(part)
            raise error_for(response.status_code, await _head(chunks), response.headers)
        return await _write(chunks, part, start, total)
    finally:
        await response.aclose()


async def _follow(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    """GET ``url``, following at most MAX_REDIRECTS redirects; each hop is checked and sent without
    Authorization (httpx would keep it on a same-origin hop)."""
    for _hop in range(MAX_REDIRECTS + 1):
        # A relative path (the gateway's /content) joins the base URL; anything with a scheme is judged as
        # written too: httpx would treat "file:/etc/passwd" as a path on the base host.
        request = http.build_request("GET", url, headers=headers)
        if not is_fetchable(str(request.url)) or (urlsplit(url).scheme and not is_fetchable(url)):
            shown = server_text(repr(url), limit=80)
            raise DownloadError(f"refusing to download from {shown}: not an https URL")
        response = await http.send(request, stream=True)
        location = response.headers.get("Location")
        if response.status_code not in _REDIRECTS or location is None:
            return response
        await response.aclose()
        url = str(response.url.join(location))
        headers = {name: value for name, value in headers.items() if name.lower() != "authorization"}
    raise DownloadError(f"the result URL redirected more than {MAX_REDIRECTS} times; nothing was written")


def _video_type(headers: httpx.Headers) -> bool:
    """Any type but markup, JSON or text: storage hosts label videos video/mp4, octet-stream, or nothing."""
    return not headers.get("Content-Type", "").strip().lower().startswith(_NOT_VIDEO_TYPES)


async def _opening(chunks: AsyncIterator[bytes], want: int) -> tuple[bytes, AsyncIterator[bytes]]:
    """At least ``want`` bytes (or the whole short body), and an iterator that still yields them first."""
    first = b""
    async for chunk in chunks:
        first += chunk
        if len(first) >= want:
            break
    return first, _prepend(first, chunks)


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk


def _window(response: httpx.Response, offset: int) -> tuple[int | None, int | None]:
    """(where this body starts in the file, the file's full size if known); start None = unusable 206."""
    length = response.headers.get("Content-Length")
    if response.status_code != 206:
        return 0, int(length) if length and length.isdigit() else None  # 200: Range ignored, from zero
    match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
    if not match or int(match[1]) != offset:
        return None, None
    return offset, int(match[3]) if match[3].isdigit() else None


async def _write(chunks: AsyncIterator[bytes], part: Path, start: int, total: int | None) -> bool:
    with part.open("r+b" if start else "wb") as out:
        out.seek(start)
        out.truncate()
        flusher = _Flusher(out)
        try:
            async for chunk in chunks:
                out.write(chunk)
                flusher.written(len(chunk))
                if total is not None and out.tell() > total:
                    break
            size = out.tell()
            out.flush()
        finally:
            await flusher.settle()
        # Flushing to disk takes a while: off the event loop, so the kernel stays responsive.
        await asyncio.to_thread(os.fsync, out.fileno())
    if total is not None and size > total:
        _discard(part)
        raise DownloadError(f"got more bytes than Content-Length said ({size} > {total}); nothing was kept")
    return total is None or size == total


class _Flusher:
    """Writes a large download back to disk while it arrives, so the fsync before the rename finds little left.

    The fsync is what makes the rename safe (a crash never leaves a torn file at the final path), and on its own
    it costs about as long as the whole transfer over a fast link (200 MB: ~0.3 s each here). Every
    ``FLUSH_EVERY`` bytes one ``fdatasync`` runs in a worker thread on a duplicate descriptor (so closing the
    file never pulls it from under the thread); at most one at a time.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._pending = 0
        self._running: asyncio.Future[None] | None = None

    def written(self, count: int) -> None:
        self._pending += count
        if self._pending < FLUSH_EVERY or (self._running is not None and not self._running.done()):
            return
        self._out.flush()
        self._pending = 0
        self._running = asyncio.ensure_future(asyncio.to_thread(_datasync, os.dup(self._out.fileno())))

    async def settle(self) -> None:
        """Wait for the write-back in flight (its errors do not matter: the final fsync decides)."""
        if self._running is not None:
            with contextlib.suppress(OSError):
                await self._running


def _datasync(descriptor: int) -> None:
    try:
        os.fdatasync(descriptor)
    finally:
        os.close(descriptor)


async def _head(chunks: AsyncIterator[bytes], limit: int = 4096) -> bytes:
    """The start of an error body (enough for a JSON error) without reading a whole file."""
    data = b""
    async for chunk in chunks:
        data += chunk
        if len(data) >= limit:
            break
    return data[:limit]


def _chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """Raw chunks (no content decoding: byte counts must match the headers). A transport that answers with an
    in-memory body (``httpx.ByteStream``, e.g. ``MockTransport``) hands over a response that is already read."""
    if response.is_stream_consumed:
        return _single(response.content)
    return response.aiter_raw()  # as they arrive: a chunker would lose its buffer when the stream breaks


async def _single(content: bytes) -> AsyncIterator[bytes]:
    yield content


def part_path(final: Path, task_id: str) -> Path:
    """``<name>.part``, with the task id in it when the name lacks it: two tasks downloading to one chosen
    path must never resume from each other's bytes."""
    if final.name == f"{task_id}.mp4":
        return final.with_name(final.name + ".part")
    return final.with_name(f"{final.name}.{task_id}.part")


def _commit(part: Path, final: Path) -> None:
    """Atomic rename, then fsync the folder so the rename itself survives a crash (POSIX)."""
    os.replace(part, final)
    if os.name == "posix":
        folder = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
