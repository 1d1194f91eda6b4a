"""The pure rules behind issue 10, table by table: server text, hints, task ids, result URLs, reachable hosts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from wan_nb.errors import InvalidResponse, server_text
from wan_nb.media.hosts import is_fetchable, unreachable_reason
from wan_nb.protocols import _common as c

KEY = "sk-UNTRUSTED-7a7a"

# (id, raw server text, what the message must be)
TEXTS: list[tuple[str, str, str]] = [
    ("plain", "task not found", "task not found"),
    ("newlines-and-tabs", "line one\r\n\tline two\n", "line one line two"),
    ("nginx-page", "<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>",
     "502 Bad Gateway 502"),
    ("script-dropped", "<p>Hi</p><script>alert('x')</script><style>p{}</style>", "Hi"),
    ("entities", "<b>a &amp; b &lt;c&gt;</b>", "a & b <c>"),
    ("xml", "<?xml version='1.0'?><Error><Code>AccessDenied</Code><Message>Request has expired.</Message></Error>",
     "AccessDenied Request has expired."),
    ("ansi-and-bidi", "ok\x1b[2J\u202eevil\u2028next", "ok [2J evil next"),
    ("key-verbatim", f"Incorrect API key provided: {KEY}", "Incorrect API key provided: ***"),
    ("key-percent-encoded", "key=sk-UNTRUSTED-7a7a%0A", "key=***%0A"),
    ("key-html-escaped", f"<p>{KEY}</p>", "***"),
    ("key-split-by-markup-entity", "sk-UNTRUSTED&#45;7a7a", "***"),
    ("bearer-of-another-key", "got Authorization: Bearer sk-other-1234567890", "got Authorization: Bearer ***"),
    ("proxy-userinfo", "proxy http://alice:s3cret@proxy.corp:3128 refused", "proxy http://***@proxy.corp:3128 refused"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), [t[1:] for t in TEXTS], ids=[t[0] for t in TEXTS])
def test_server_text_is_one_clean_line(raw: str, expected: str) -> None:
    assert server_text(raw, secrets=[KEY]) == expected


def test_server_text_is_bounded_after_redacting() -> None:
    text = server_text("x" * 290 + KEY + "y" * 10_000, secrets=[KEY])
    assert len(text) == 300 and text.endswith("…") and "sk-" not in text
    assert server_text("a" * 300) == "a" * 300  # exactly the limit: no ellipsis


NOW = datetime.now(UTC)
# (id, headers, seconds expected; None = no usable hint)
HINTS: list[tuple[str, dict[str, str], float | None]] = [
    ("seconds", {"Retry-After": "7"}, 7.0),
    ("fraction", {"Retry-After": "1.5"}, 1.5),
    ("negative", {"Retry-After": "-3"}, 0.0),
    ("garbage", {"Retry-After": "soon"}, None),
    ("nan", {"Retry-After": "nan"}, None),
    ("infinity", {"Retry-After": "inf"}, None),
    ("past-date", {"Retry-After": format_datetime(NOW - timedelta(hours=1), usegmt=True)}, 0.0),
    ("bad-date", {"Retry-After": "Mon, 99 Foo 2026 99:99:99 GMT"}, None),
    ("ms", {"retry-after-ms": "250"}, 0.25),
    ("ms-garbage-falls-back", {"retry-after-ms": "x", "Retry-After": "2"}, 2.0),
]


@pytest.mark.parametrize(("headers", "expected"), [h[1:] for h in HINTS], ids=[h[0] for h in HINTS])
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    assert c.retry_after(headers) == expected


def test_retry_after_http_date_in_the_future() -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)
    hinted = c.retry_after({"Retry-After": format_datetime(later, usegmt=True)})
    assert hinted is not None and 100 < hinted <= 120


@pytest.mark.parametrize(
    "value",
    ["../x", "a/b", "a\\b", "..", ".hidden", "-flag", "a b", "a\nb", "é", "a" * 129, True, 1.5, [], {}],
)
def test_unsafe_task_ids_are_an_invalid_answer(value: object) -> None:
    with pytest.raises(InvalidResponse, match="safe task id"):
        c.task_id(value, "id")


@pytest.mark.parametrize(
    "value",
    ["0385dc79-5ff8-4d82-bcb6-7f5bd1b3c2a1", "video_68d7512d07848190", "task_Abc.1=+@", 12345, "a" * 128],
)
def test_real_task_ids_pass(value: object) -> None:
    assert c.task_id(value, "id") == str(value)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/x.mp4?Expires=1", True),
        ("http://127.0.0.1:8000/v.mp4", True),
        ("http://sim.localhost/v.mp4", True),
        ("http://example.com/v.mp4", False),
        ("file:///etc/passwd", False),
        ("ftp://example.com/v.mp4", False),
        ("data:video/mp4;base64,AAAA", False),
        ("javascript:alert(1)", False),
        ("https://", False),
        ("https://exa mple.com/v.mp4", False),
        ("https://[::1", False),
    ],
)
def test_fetchable_result_urls(url: str, ok: bool) -> None:
    assert is_fetchable(url) is ok


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://localhost:8888/files/a.png", "this machine"),
        ("http://0.0.0.0/a.png", "this machine"),
        ("http://[fe80::1]/a.png", "link-local"),
        (
            "http://100.64.0.1/a.png",
            None,
        ),  # carrier-grade NAT: not private in Python's table, left to the server
        ("http://printer/a.png", "local-network name"),
        ("https://box.internal/a.png", "local-network name"),
        ("https://hub.mybinder.org/user/jovyan-abc/files/cat.png?token=1", "Jupyter"),
        ("https://cdn.example.com/files/cat.png", None),  # a public CDN path with /files/ in it
        ("https://example.com/cat.png", None),
    ],
)
def test_cloud_unreachable_hosts(url: str, reason: str | None) -> None:
    found = unreachable_reason(url)
    assert (found is None) if reason is None else (found is not None and reason in found), found
