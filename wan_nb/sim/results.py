"""Result URLs that behave like signed OSS URLs (native.md §3.1, §6): no Authorization, expiry, Range.

The relay documents that sending Authorization to the result URL is refused (403); OSS answers expired
signatures with 403 AccessDenied "Request has expired." in its XML error body.
"""

from __future__ import annotations

import hmac
import re

from wan_nb.sim.engine import Engine, SimStats
from wan_nb.sim.http import HTTPError, Request, Response
from wan_nb.sim.wire import oss_error

RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)$")
VIDEO_HEADERS = {"content-type": "video/mp4", "accept-ranges": "bytes"}


def result(engine: Engine, request: Request, params: dict[str, str]) -> Response:
    if request.header("authorization"):
        raise HTTPError(oss_error(403, "AccessDenied", "Authorization is not allowed on a signed URL."))
    task_id, query = params["id"], request.query
    try:
        expires = int(query.get("Expires", ""))
    except ValueError as error:
        raise HTTPError(oss_error(403, "AccessDenied", "Request has expired.")) from error
    if not hmac.compare_digest(query.get("Signature", ""), engine.sign(task_id, expires)):
        message = "The request signature we calculated does not match the signature you provided."
        raise HTTPError(oss_error(403, "SignatureDoesNotMatch", message))
    if engine.now() > expires:
        raise HTTPError(oss_error(403, "AccessDenied", "Request has expired."))
    data = engine.video(task_id)
    if data is None:
        raise HTTPError(oss_error(404, "NoSuchKey", "The specified key does not exist."))
    return serve_bytes(data, request.header("range"))


def serve_bytes(data: bytes, range_header: str) -> Response:
    """200 with the whole body, or 206 for one ``bytes=`` range; 416 when it cannot be satisfied."""
    size = len(data)
    match = RANGE.match(range_header.strip()) if range_header else None
    if match is None or match.groups() == ("", ""):
        return Response(200, data, VIDEO_HEADERS)
    first, last = match.groups()
    start, end = (size - int(last), size - 1) if not first else (int(first), int(last or size - 1))
    start, end = max(start, 0), min(end, size - 1)
    if start > end or start >= size:
        return Response(416, b"", {"content-range": f"bytes */{size}", **VIDEO_HEADERS})
    headers = {"content-range": f"bytes {start}-{end}/{size}", **VIDEO_HEADERS}
    return Response(206, data[start : end + 1], headers)


def count_download(stats: SimStats, task_id: str, response: Response) -> None:
    """``stats.bytes_served`` gets every body byte sent; ``stats.downloads`` one more when this answer sent
    the file's last byte and was not cut (a whole 200, or the 206 that finished a Range resume)."""
    stats.bytes_served[task_id] += len(response.sent)
    if response.drop is None and _reaches_the_end(response):
        stats.downloads[task_id] += 1


def _reaches_the_end(response: Response) -> bool:
    if response.status == 200:
        return True
    match = CONTENT_RANGE.match(response.headers.get("content-range", ""))
    return match is not None and int(match[2]) + 1 == int(match[3])
