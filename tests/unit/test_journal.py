"""The journal: durable records, summaries without payloads, multi-process use, and resume after a crash."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.client_fakes import (
    CANARY,
    REQUEST,
    STORAGE,
    VIDEO,
    FakeService,
    FakeTime,
    json_response,
    make_client,
)
from wan_nb.client import AsyncWanClient, Journal
from wan_nb.client.journal import fingerprint, summarize
from wan_nb.errors import ConfigError, ValidationError, WanError
from wan_nb.models import Task, TaskError, TaskStatus, VideoRequest

NATIVE_CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"


def _png(width: int = 320, height: int = 240) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


def _task(task_id: str = "t1", status: TaskStatus = TaskStatus.QUEUED, **kwargs: object) -> Task:
    return Task(task_id, status, provider="dashscope", status_raw=status.value, **kwargs)  # type: ignore[arg-type]


def test_default_path_is_under_wan_nb_home(tmp_path: Path) -> None:
    assert Journal().path == tmp_path / "wan_nb_home" / "journal.sqlite3"  # conftest sets WAN_NB_HOME


def test_record_update_and_entries(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(_task(), base_url="https://dashscope.aliyuncs.com", dialect="native", request=REQUEST)
    journal.update(
        _task(status=TaskStatus.FAILED, error=TaskError("DataInspectionFailed", "no"), request_id="r9")
    )
    (entry,) = journal.entries()
    assert (entry.task_id, entry.provider, entry.host, entry.dialect) == (
        "t1",
        "dashscope",
        "dashscope.aliyuncs.com",
        "native",
    )
    assert (entry.status, entry.error_code, entry.error_message, entry.request_id) == (
        TaskStatus.FAILED,
        "DataInspectionFailed",
        "no",
        "r9",
    )
    assert entry.request["prompt"] == REQUEST.prompt and entry.request_fingerprint == fingerprint(REQUEST)
    assert entry.updated >= entry.created and entry.path is None
    assert entry.to_task().error == TaskError("DataInspectionFailed", "no")


def test_filters(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(_task("a"), base_url="https://h1", dialect="native", request=REQUEST)
    journal.record(_task("b", TaskStatus.SUCCEEDED), base_url="https://h2", dialect="native", request=REQUEST)
    journal.record(
        Task("c", TaskStatus.RUNNING, provider="gateway"),
        base_url="https://h1",
        dialect="unified",
        request=REQUEST,
    )
    assert [e.task_id for e in journal.entries(unfinished=True)] == ["a", "c"]
    assert [e.task_id for e in journal.entries(provider="dashscope")] == ["a", "b"]
    assert [e.task_id for e in journal.entries(base_url="https://h1", provider="dashscope")] == ["a"]


def test_the_base_url_is_kept_whole_but_without_credentials(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    prefixed = "https://user:pw@gw.example/openai/?sig=1#x"
    journal.record(_task("a"), base_url=prefixed, dialect="native", request=REQUEST)
    journal.record(_task("b"), base_url="https://gw.example/other", dialect="native", request=REQUEST)
    (entry, _) = journal.entries()
    assert (entry.base_url, entry.host) == ("https://gw.example/openai", "gw.example")
    assert b"pw" not in journal.path.read_bytes() + Path(f"{journal.path}-wal").read_bytes()
    # Two gateways behind one host are two APIs: resume must not poll one for the other's tasks.
    assert [e.task_id for e in journal.entries(base_url="https://gw.example/openai/")] == ["a"]


def test_a_journal_from_before_base_urls_is_migrated_and_matched_by_host(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE tasks (task_id TEXT NOT NULL, provider TEXT NOT NULL, host TEXT NOT NULL,"
            " dialect TEXT NOT NULL, request TEXT NOT NULL, request_fingerprint TEXT NOT NULL,"
            " status TEXT NOT NULL, status_raw TEXT NOT NULL, video_url TEXT, error_code TEXT,"
            " error_message TEXT, request_id TEXT, created REAL NOT NULL, updated REAL NOT NULL, path TEXT,"
            " PRIMARY KEY (provider, task_id))"
        )
        db.execute(
            "INSERT INTO tasks VALUES ('old', 'sim', '127.0.0.1:8000', 'native', '{}', 'f', 'RUNNING',"
            " 'RUNNING', NULL, NULL, NULL, NULL, 1, 1, NULL)"
        )
    journal = Journal(path)
    journal.record(_task("new"), base_url="http://127.0.0.1:8000", dialect="native", request=REQUEST)
    assert [(e.task_id, e.base_url) for e in journal.entries()] == [
        ("old", None),
        ("new", "http://127.0.0.1:8000"),
    ]
    assert [e.task_id for e in journal.entries(base_url="http://127.0.0.1:8000")] == ["old", "new"]


def test_the_old_journal_gains_the_run_column_and_index_and_a_newer_ones_columns_are_ignored(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    Journal(path).close()
    with sqlite3.connect(path) as db:  # a newer wan_nb added a column this one does not know
        db.execute("ALTER TABLE tasks ADD COLUMN from_the_future TEXT")
    journal = Journal(path)
    journal.record(_task("t"), base_url="http://127.0.0.1:8000", dialect="native", request=REQUEST)
    assert [e.task_id for e in journal.entries()] == ["t"]  # readable: the unknown column is left out
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(tasks)")}
        indexes = {row[1] for row in db.execute("PRAGMA index_list(tasks)")}
    assert {"run_seconds", "from_the_future"} <= columns and "tasks_by_api" in indexes
    journal.close()


async def test_resume_polls_the_exact_base_url_it_submitted_to(tmp_path: Path) -> None:
    service = FakeService(script=("RUNNING", "SUCCEEDED"))
    journal = Journal(tmp_path / "j.sqlite3")
    async with make_client(service, journal=journal, base_url="https://gw.example/prefix") as client:
        task = await client.submit(REQUEST)
    async with make_client(service, journal=journal, base_url="https://gw.example/prefix") as client:
        [item] = [item async for item in client.resume(out=tmp_path)]
    assert item.task is not None and item.task.path == tmp_path / f"{task.id}.mp4"
    polls = [r.url for r in service.seen("GET", task.id)]
    assert polls and all(url.path.startswith("/prefix/api/v1/tasks/") for url in polls)


def test_a_create_is_journaled_before_it_is_sent_and_settled_by_its_answer(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    answered = journal.sending(provider="dashscope", base_url="https://h", request=REQUEST)
    refused = journal.sending(provider="dashscope", base_url="https://h", request=REQUEST)
    unsure = journal.sending(provider="gateway", base_url="https://g", request=REQUEST)
    lost = journal.sending(provider="dashscope", base_url="https://h", request=REQUEST)
    journal.record(_task(), base_url="https://h", dialect="native", request=REQUEST, create_id=answered)
    journal.refused(refused)
    journal.unsure(unsure, "ReadError: reset")
    left = journal.unanswered()
    assert [(c.create_id, c.problem) for c in left] == [(unsure, "ReadError: reset"), (lost, None)]
    assert left[0].request["prompt"] == REQUEST.prompt and left[0].base_url == "https://g"
    assert [c.create_id for c in journal.unanswered(provider="dashscope")] == [lost]
    assert journal.unanswered(since=left[1].sent + 1) == []
    assert [e.task_id for e in journal.entries()] == ["t1"]


_SERVER_ERROR = {"code": "InternalError", "message": "oops", "request_id": "rid-500"}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (httpx.ReadError("reset"), "reset"),  # sent; the answer was lost on the way back
        (httpx.ReadTimeout("slow"), "slow"),
        (json_response(500, _SERVER_ERROR), "InternalError"),  # a 5xx does not prove nothing was created
        (httpx.ConnectError("refused"), None),  # nothing was sent
        (json_response(400, {"code": "InvalidParameter", "message": "no", "request_id": "r"}), None),
        (json_response(429, {"code": "Throttling", "message": "later", "request_id": "r"}), None),
    ],
)
async def test_a_failed_create_stays_journaled_unless_the_failure_proves_no_task_exists(
    tmp_path: Path, answer: httpx.Response | Exception, problem: str | None
) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    service = FakeService(overrides={("POST", NATIVE_CREATE): [answer]})
    async with make_client(service, journal=journal) as client:
        with pytest.raises(WanError):
            await client.submit(REQUEST)
    left = journal.unanswered()
    if problem is None:
        assert left == []
    else:
        [create] = left
        assert create.provider == "dashscope" and problem in str(create.problem)
        assert CANARY not in str(create)
    assert journal.entries() == []


def test_set_path_and_downloaded(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(
        _task(status=TaskStatus.SUCCEEDED), base_url="https://h", dialect="native", request=REQUEST
    )
    video = tmp_path / "t1.mp4"
    journal.set_path("t1", video)
    (entry,) = journal.entries()
    assert entry.path == video and not entry.downloaded  # recorded, but the file is not there
    video.write_bytes(b"x")
    assert journal.entries()[0].downloaded and journal.entries()[0].to_task().path == video


def test_wal_and_full_sync(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.record(_task(), base_url="https://h", dialect="native", request=REQUEST)
    with sqlite3.connect(journal.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_summary_keeps_no_payload(tmp_path: Path) -> None:
    data_uri = "data:image/png;base64," + "QUJD" * 5000
    request = VideoRequest(
        prompt="p" * 6000,
        first_frame=data_uri,
        last_frame=b"\x89PNG" + bytes(5000),
        driving_audio=str(tmp_path / "voice.wav"),
        first_clip="https://cdn.example.com/a/b/clip.mp4?Signature=SECRETSIG",
        seed=7,
    )
    summary = summarize(request)
    text = repr(summary)
    assert "QUJD" not in text and "SECRETSIG" not in text and str(tmp_path) not in text and len(text) < 800
    assert summary["media"] == {
        "first_frame": {"kind": "data", "size": len(data_uri)},
        "last_frame": {"kind": "bytes", "size": 5004},
        "driving_audio": {"kind": "path", "name": "voice.wav"},
        "first_clip": {"kind": "https", "name": "https://cdn.example.com/…/clip.mp4"},
    }
    assert summary["seed"] == 7 and len(summary["prompt"]) == 200


def test_fingerprint_is_stable_and_sensitive(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"one")
    first = VideoRequest(prompt="x", first_frame=image)
    assert fingerprint(first) == fingerprint(VideoRequest(prompt="x", first_frame=str(image)))
    assert fingerprint(first) != fingerprint(VideoRequest(prompt="x", first_frame=image, seed=1))
    assert fingerprint(VideoRequest(first_frame=b"a")) != fingerprint(VideoRequest(first_frame=b"b"))


# --- the client and the journal --------------------------------------------------------------------------


async def test_submit_journals_before_returning(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    async with make_client(FakeService(), journal=journal) as client:
        task = await client.submit(REQUEST)
        # a separate connection (as another process would open) already sees it
        (entry,) = Journal(journal.path).entries()
    assert (entry.task_id, entry.status, entry.host, entry.dialect) == (
        task.id,
        TaskStatus.QUEUED,
        "dashscope.aliyuncs.com",
        "native",
    )


async def test_states_and_path_are_journaled(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    async with make_client(FakeService(), journal=journal) as client:
        task = await client.generate(REQUEST, out=tmp_path / "out")
    (entry,) = journal.entries()
    assert entry.status is TaskStatus.SUCCEEDED and entry.video_url and entry.path == task.path
    assert entry.path is not None and entry.path.read_bytes() == VIDEO


async def test_journal_false_disables_it(tmp_path: Path) -> None:
    async with make_client(FakeService(), journal=False) as client:
        await client.submit(REQUEST)
        assert client.journal is None
    assert not (tmp_path / "wan_nb_home" / "journal.sqlite3").exists()


async def test_resume_after_a_crash_finishes_and_downloads_once(tmp_path: Path) -> None:
    service = FakeService(script=("PENDING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"))
    journal = Journal(tmp_path / "j.sqlite3")
    crashed = make_client(service, journal=journal)
    task = await crashed.submit(REQUEST)
    async for state in crashed.watch(task):
        assert state.status is TaskStatus.RUNNING
        break  # the kernel dies mid-wait: the client object is simply dropped, never closed
    del crashed

    out = tmp_path / "videos"
    async with make_client(service, FakeTime(), journal=Journal(journal.path)) as revived:
        items = [item async for item in revived.resume(out=out)]
        again = [item async for item in revived.resume(out=out)]
    (item,) = items
    assert item.ok and item.request is None and item.task is not None
    assert item.task.id == task.id and item.task.path == out / f"{task.id}.mp4"
    assert item.task.path.read_bytes() == VIDEO
    assert again == []  # nothing left to do
    assert len(service.seen("GET", host=STORAGE)) == 1  # downloaded exactly once


async def test_resume_downloads_finished_tasks_not_yet_on_disk(tmp_path: Path) -> None:
    service = FakeService(script=("PENDING", "SUCCEEDED"))
    journal = Journal(tmp_path / "j.sqlite3")
    async with make_client(service, journal=journal) as client:
        finished = await client.wait(await client.submit(REQUEST))
        failed_service_task = _task("gone", TaskStatus.FAILED)
        journal.record(failed_service_task, base_url=client.base_url, dialect="native", request=REQUEST)
        other_host = _task("elsewhere")
        journal.record(
            other_host, base_url="https://dashscope-intl.aliyuncs.com", dialect="native", request=REQUEST
        )
        queries_before = len(service.seen("GET", finished.id))
        items = [item async for item in client.resume(out=tmp_path)]
    assert [item.task.id for item in items if item.task] == [finished.id]
    assert len(service.seen("GET", finished.id)) == queries_before  # its URL came from the journal
    assert (tmp_path / f"{finished.id}.mp4").read_bytes() == VIDEO


async def test_the_key_is_not_in_the_journal(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    async with make_client(FakeService(), journal=journal) as client:
        await client.generate(REQUEST, out=tmp_path)
    files = sorted(tmp_path.glob("j.sqlite3*"))  # noqa: ASYNC240 - a test
    assert files and all(CANARY.encode() not in file.read_bytes() for file in files)


async def test_a_broken_journal_warns_but_never_loses_the_task_id(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.close()  # its database is gone: every journal write now fails with sqlite3.Error
    with pytest.warns(UserWarning, match=r"^journal .*: reading recent run times failed"):
        opened = make_client(FakeService(), journal=journal)  # it starts without them
    async with opened as client:
        with pytest.warns(UserWarning, match=r"^journal .* failed") as warned:
            task = await client.submit(REQUEST)
    assert task.id == "task-1"
    assert [str(w.message).split(": ", 1)[1].split(" failed")[0] for w in warned] == [
        "sending of a create",
        "record of task task-1",
    ]


def test_an_unusable_default_journal_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    monkeypatch.setenv("WAN_NB_HOME", str(blocker))
    with pytest.raises(ConfigError, match="journal=False"):
        AsyncWanClient("gateway", api_key=CANARY)
    assert AsyncWanClient("gateway", api_key=CANARY, journal=False).journal is None
    with pytest.raises(ConfigError, match="simulator cannot keep its state"):
        AsyncWanClient("sim", journal=False)


# --- planned batches -------------------------------------------------------------------------------------


def test_a_planned_request_is_claimed_once_and_unclaimed_when_refused(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    (plan_id,) = journal.plan(['{"prompt": "p"}'], provider="dashscope", base_url="https://h/")
    (planned,) = journal.planned(provider="dashscope", base_url="https://h")
    assert (planned.plan_id, planned.position, planned.request) == (plan_id, 0, '{"prompt": "p"}')
    first = journal.sending(provider="dashscope", base_url="https://h", request=REQUEST, plan_id=plan_id)
    assert journal.planned() == []  # claimed: never offered to resume again
    other = Journal(journal.path)  # a second process (a `wan-nb resume` beside the batch)
    with pytest.raises(WanError, match="already sent by another process"):
        other.sending(provider="dashscope", base_url="https://h", request=REQUEST, plan_id=plan_id)
    assert len(journal.unanswered()) == 1  # the losing claim wrote nothing
    journal.refused(first)  # a 429: nothing was created, so the request is planned again
    assert [p.plan_id for p in journal.planned()] == [plan_id] and journal.unanswered() == []
    second = journal.sending(provider="dashscope", base_url="https://h", request=REQUEST, plan_id=plan_id)
    journal.record(_task(), base_url="https://h", dialect="native", request=REQUEST, create_id=second)
    assert journal.planned() == [] and journal.unanswered() == [] and len(journal.entries()) == 1
    with sqlite3.connect(journal.path) as db:
        assert db.execute("SELECT COUNT(*) FROM planned").fetchone()[0] == 0  # retired with the record


def test_an_unanswered_create_keeps_its_plan_claimed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    (plan_id,) = journal.plan(["{}"], provider="dashscope", base_url="https://h")
    create = journal.sending(provider="dashscope", base_url="https://h", request=REQUEST, plan_id=plan_id)
    journal.unsure(create, "ReadError: reset")
    assert journal.planned() == []  # the task may exist: resume must never send it again
    assert [u.problem for u in journal.unanswered()] == ["ReadError: reset"]


def test_replayable_requests_rebuild_equal_and_spool_bytes(tmp_path: Path) -> None:
    from wan_nb.client._plan import rebuild, replayable, sweep

    frame = tmp_path / "frame.png"
    frame.write_bytes(PNG)
    spool = tmp_path / "spool"
    request = VideoRequest(
        prompt="p", first_frame=PNG, last_frame=str(frame), driving_audio="https://cdn/a.mp3", seed=4
    )
    rebuilt = rebuild(replayable(request, spool))
    (spooled,) = spool.iterdir()
    assert spooled.read_bytes() == PNG and spooled.suffix == ".png"
    assert rebuilt == VideoRequest(
        prompt="p", first_frame=str(spooled), last_frame=str(frame), driving_audio="https://cdn/a.mp3", seed=4
    )
    sweep(spool, [replayable(request, spool)], now=spooled.stat().st_mtime + 7200)
    assert spooled.exists()  # still named by a planned request
    sweep(spool, [], now=spooled.stat().st_mtime + 60)
    assert spooled.exists()  # unnamed, but young: another batch may be planning it right now
    sweep(spool, [], now=spooled.stat().st_mtime + 7200)
    assert not spooled.exists()


async def test_map_plans_its_batch_and_resume_sends_what_was_never_sent(tmp_path: Path) -> None:
    # The gateway inlines bytes as a data: URI (no upload step to fake); the plan spools them to a file.
    service = FakeService(script=("PENDING", "RUNNING"), dialect="unified")  # the first task never ends
    journal = Journal(tmp_path / "j.sqlite3")
    requests = [VideoRequest(prompt=f"p{i}", first_frame=PNG) for i in range(4)]
    out = tmp_path / "videos"
    async with make_client(service, journal=journal, provider="gateway") as client:
        batch = client.map(requests, concurrency=1, out=out, timeout=1e9)  # fake time runs fast
        with pytest.raises(TimeoutError):  # the process dies while p0 runs: p1-p3 were never sent
            await asyncio.wait_for(batch.__anext__(), timeout=0.3)
        await batch.aclose()  # type: ignore[attr-defined]
    assert sorted(json.loads(plan.request)["prompt"] for plan in journal.planned()) == ["p1", "p2", "p3"]
    service.script = ("PENDING", "SUCCEEDED")
    async with make_client(service, FakeTime(), journal=Journal(journal.path), provider="gateway") as revived:
        items = [item async for item in revived.resume(out=out)]
    sent_by_resume = sorted(item.request.prompt for item in items if item.request)
    assert sent_by_resume == ["p1", "p2", "p3"] and all(item.ok for item in items)
    assert len(list(out.glob("*.mp4"))) == 4
    assert len(service.seen("POST", "/v1/videos")) == 4  # each request sent exactly once
    assert journal.planned() == [] and journal.unanswered() == []


async def test_a_planned_request_whose_file_is_gone_is_dropped_with_a_clear_error(tmp_path: Path) -> None:
    frame = tmp_path / "frame.png"
    frame.write_bytes(PNG)
    journal = Journal(tmp_path / "j.sqlite3")
    async with make_client(FakeService(), journal=journal) as client:
        from wan_nb.client._plan import replayable

        request = VideoRequest(prompt="p", first_frame=frame)
        journal.plan([replayable(request, tmp_path)], provider=client.provider, base_url=client.base_url)
        frame.unlink()
        (item,) = [item async for item in client.resume(out=tmp_path)]
    assert isinstance(item.error, ValidationError) and "first_frame" in str(item.error)
    assert journal.planned() == []


# --- the writer thread -----------------------------------------------------------------------------------


class CountingJournal(Journal):
    """A journal that counts its fsyncs (subclassing the public class: nothing private is patched)."""

    syncs = 0

    def sync(self) -> None:
        self.syncs += 1
        if self.syncs == 1:
            time.sleep(0.05)  # a slow disk: every record queued meanwhile must share the next fsync
        super().sync()


RECORD: dict[str, Any] = {"base_url": "https://h", "dialect": "native", "request": REQUEST}


async def test_the_writer_keeps_order_and_shares_fsyncs_among_concurrent_records(tmp_path: Path) -> None:
    from wan_nb.client._journal_seam import JournalWriter

    journal = CountingJournal(tmp_path / "j.sqlite3")
    writer = JournalWriter(journal)
    records = [
        writer.call(lambda j, i=i: j.record(_task(f"t{i}"), **RECORD, sync=False), durable=True)
        for i in range(20)
    ]
    await asyncio.gather(*records)
    await writer.call(
        lambda j: j.update(_task("t0", TaskStatus.SUCCEEDED))
    )  # queued after the records: runs after
    writer.close()
    entries = {entry.task_id: entry.status for entry in journal.entries()}
    assert len(entries) == 20 and entries["t0"] is TaskStatus.SUCCEEDED
    assert journal.syncs <= 2  # every record fsynced before its caller heard back, in shared fsyncs


async def test_a_write_whose_caller_gave_up_still_lands_and_errors_reach_the_caller(tmp_path: Path) -> None:
    from wan_nb.client._journal_seam import JournalWriter

    journal = Journal(tmp_path / "j.sqlite3")
    writer = JournalWriter(journal)
    call = asyncio.ensure_future(
        writer.call(lambda j: j.record(_task("kept"), **RECORD, sync=False), durable=True)
    )
    await asyncio.sleep(0)
    call.cancel()  # the waiting wait was cancelled; the task id must reach the disk anyway
    with pytest.raises(sqlite3.Error):
        await writer.call(lambda j: j.entries(provider=object()))  # type: ignore[arg-type]  # a bad argument: the caller sees the error
    writer.close()
    assert [entry.task_id for entry in journal.entries()] == ["kept"]
