"""The poll schedule (pure) and the client's watch/wait loop over it, on fake time."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench._schedules import DASHSCOPE_SDK, Figures, figures, simulate
from tests.fixtures.client_fakes import REQUEST, FakeService, FakeTime, make_client
from wan_nb.client import AsyncWanClient, Journal, PollSchedule, _poll
from wan_nb.client._journal_rows import kind_of as kind_of_request
from wan_nb.client._poll import next_delay
from wan_nb.errors import TaskFailed, WaitTimeout
from wan_nb.models import Task, TaskStatus, VideoRequest


def test_early_polls_grow_quickly_then_a_steady_cadence_within_floor_and_cap() -> None:
    schedule = PollSchedule()
    assert [schedule.delay(0, n) for n in range(4)] == [1.0, 3.0, 6.0, 12.0]
    assert schedule.delay(22, 4) == 4.3  # the floor: noticed ~2.15 s late on average, the SDK's 5 s gives 2.5
    assert schedule.delay(200, 30) == pytest.approx(6.0)  # 3 % of the time waited, on long tasks
    assert schedule.delay(600, 60) == 10.0  # the cap


def test_after_the_quick_polls_the_cadence_stays_within_floor_and_cap() -> None:
    schedule, elapsed, attempt = PollSchedule(), 0.0, 0
    while elapsed < 3600:
        delay = schedule.delay(elapsed, attempt)
        if elapsed >= 22:
            assert 4.3 <= delay <= 10.0
        elapsed, attempt = elapsed + delay, attempt + 1


def test_on_realistic_tasks_no_more_gets_and_no_later_notice_than_the_dashscope_sdk() -> None:
    # 45-155 s (native.md §6), the bench's spread: the goal, on the zero-latency model.
    lengths = [45 + 110 * (i + 0.5) / 500 for i in range(500)]
    ours = [simulate(PollSchedule(), length) for length in lengths]
    sdk = [simulate(DASHSCOPE_SDK, length) for length in lengths]
    assert sum(r.gets for r in ours) <= 0.95 * sum(r.gets for r in sdk)
    assert sum(r.notice for r in ours) <= sum(r.notice for r in sdk)


async def test_the_relays_floor_holds_for_every_wait_even_the_quick_ones() -> None:
    # protocol.md §3: "do not poll faster than every 3 s" per task; the relay's capabilities declare it.
    time = FakeTime()
    script = ("submitted", "in_progress", "in_progress", "in_progress", "completed")
    service = FakeService(script=script, dialect="relay")
    async with make_client(service, time, provider="relay") as client:
        task = await client.wait(await client.submit(REQUEST))
    assert task.status is TaskStatus.SUCCEEDED and time.sleeps == [3.0, 3.0, 6.0]
    assert simulate(PollSchedule(), 10, floor=3.0) == Figures(gets=4, notice=2.0)  # polls at 0, 3, 6, 12 s


def test_server_hint_wins() -> None:
    schedule = PollSchedule()
    hinted = Task("t", TaskStatus.RUNNING, poll_after=12.5)
    assert next_delay(schedule, age=0, attempt=0, hint=hinted.poll_after) == 12.5
    assert next_delay(schedule, age=0, attempt=0, hint=hinted.evolve(poll_after=None).poll_after) == 1.0


QUICK = PollSchedule()  # quick waits 1, 3, 6, 12 s; then 4.3 s, 3 % of the time waited, at most 10 s
RISING = ((0.0, 0.1), (20.0, 0.3))  # 1 %/s from 10 %: 70 s left
NEAR_END = ((0.0, 0.1), (89.9, 0.999))  # 0.1 s left of a 100 s run: just past the end, 2.1 s


@pytest.mark.parametrize(
    ("facts", "delay"),
    [
        # the schedule: the quick waits, then the cadence; an older task at the pace of its age
        ({"age": 0, "attempt": 0}, 1.0),
        ({"age": 4, "attempt": 2}, 6.0),
        ({"age": 60, "attempt": 0}, 4.3),
        ({"age": 200, "attempt": 30}, pytest.approx(6.0)),
        ({"age": 600, "attempt": 60}, 10.0),
        # the server's hint wins over everything, the floor included; a negative one is now
        ({"age": 0, "attempt": 0, "hint": 12.5, "floor": 20.0}, 12.5),
        ({"age": 0, "attempt": 0, "hint": 0.5, "floor": 3.0, "possible_in": 50.0, "trend": RISING}, 0.5),
        ({"age": 0, "attempt": 0, "hint": -1.0}, 0.0),
        # the dialect's floor (the relay: 3 s) lifts the schedule's quick waits
        ({"age": 0, "attempt": 0, "floor": 3.0}, 3.0),
        ({"age": 4, "attempt": 2, "floor": 3.0}, 6.0),
        # the kind's shortest run: no poll before the task can be done, after the quick check for a failure
        ({"age": 1, "attempt": 1, "possible_in": 21.0}, 21.0),
        ({"age": 0, "attempt": 0, "possible_in": 21.0}, 1.0),
        ({"age": 64, "attempt": 2, "possible_in": -4.0}, 4.3),
        ({"age": 1, "attempt": 1, "possible_in": 1.0, "floor": 3.0}, 3.0),
        # the progress trend: 80 % of the time left, or just past the end, never under the floor
        ({"age": 20, "attempt": 4, "trend": RISING}, pytest.approx(56.0)),
        ({"age": 90, "attempt": 8, "trend": NEAR_END}, pytest.approx(2.1)),
        ({"age": 90, "attempt": 8, "trend": NEAR_END, "floor": 3.0}, 3.0),
        ({"age": 20, "attempt": 4, "trend": ((0.0, 0.1), (4.6, 0.14))}, 4.3),
        # before the first query of a task just created: the quick check from its create, unless it can be done
        ({"age": 0, "attempt": 0, "created": 0.0, "possible_in": 22.0}, 1.0),
        ({"age": 0, "attempt": 0, "created": 0.5, "possible_in": 60.0, "floor": 3.0}, 2.5),
        ({"age": 0, "attempt": 0, "created": 0.0, "possible_in": None}, 0.0),
        ({"age": 0, "attempt": 0, "created": 0.0, "possible_in": 0.5}, 0.0),
        ({"age": 0, "attempt": 0, "created": 2.0, "possible_in": 60.0}, 0.0),
    ],
)
def test_the_next_delay_weighs_hint_floor_shortest_run_trend_and_schedule(
    facts: dict[str, Any], delay: float
) -> None:
    assert next_delay(QUICK, **facts) == delay


def test_the_dashscope_sdk_schedule() -> None:
    assert [DASHSCOPE_SDK.delay(0, n) for n in range(12)] == [1, 1, 2, 2, 2, 4, 4, 4, 5, 5, 5, 5]


def test_simulate_counts_gets_and_lateness() -> None:
    # polls at 0, 1, 4, 10, 22 s: a task done at 5 s is seen at 10 s by the fourth GET
    assert simulate(PollSchedule(), 5) == Figures(gets=4, notice=5.0)
    assert simulate(PollSchedule(), 0) == Figures(gets=1, notice=0.0)


def test_docstring_table_matches_the_computation() -> None:
    doc = _poll.__doc__ or ""
    for label, schedule in (("this default", PollSchedule()), ("dashscope SDK", DASHSCOPE_SDK)):
        row = next(line for line in doc.splitlines() if label in line)
        numbers = [float(n) for n in re.findall(r"(\d+\.\d+)", row)]
        computed = [figures(schedule, 60), figures(schedule, 150)]
        assert numbers == [
            round(computed[0].gets, 1),
            round(computed[0].notice, 1),
            round(computed[1].gets, 1),
            round(computed[1].notice, 1),
        ]
    assert figures(PollSchedule(), 150).gets < figures(DASHSCOPE_SDK, 150).gets


# --- watch and wait --------------------------------------------------------------------------------------


async def test_wait_returns_the_succeeded_task_after_the_schedule() -> None:
    time = FakeTime()
    service = FakeService(script=("PENDING", "PENDING", "RUNNING", "RUNNING", "SUCCEEDED"))
    async with make_client(service, time) as client:
        task = await client.wait(await client.submit(REQUEST))
    assert task.status is TaskStatus.SUCCEEDED and task.video_url
    assert time.sleeps == [1.0, 3.0, 6.0] and len(service.seen("GET")) == 4  # the schedule's first waits


def test_an_older_task_starts_past_the_quick_polls() -> None:
    schedule = PollSchedule()  # quick waits 1, 3, 6, 12: done by 22 s
    assert [schedule.first_attempt(age) for age in (0, 0.5, 1, 2.5, 7, 14.9, 15, 600)] == [
        0,
        0,
        1,
        1,
        2,
        3,
        3,
        4,
    ]


async def test_re_attaching_to_an_older_task_keeps_its_pace() -> None:
    # A task journaled a minute ago (resume, or a second wait) is polled as a one-minute-old task would be:
    # no burst of quick polls, the steady cadence from the start.
    time = FakeTime()
    service = FakeService(script=("RUNNING", "RUNNING", "SUCCEEDED"))
    async with make_client(service, time) as client:
        submitted = await client.submit(REQUEST)
        older = submitted.evolve(created_at=datetime.now(UTC) - timedelta(seconds=60))
        await client.wait(older)
    assert time.sleeps and set(time.sleeps) == {4.3}  # the floor (3 % of 60 s is less)


async def test_watch_yields_each_new_state_once() -> None:
    service = FakeService(script=("PENDING", "PENDING", "PENDING", "RUNNING", "RUNNING", "SUCCEEDED"))
    async with make_client(service) as client:
        task = await client.submit(REQUEST)
        states = [t.status_raw async for t in client.watch(task)]
    assert states == ["PENDING", "RUNNING", "SUCCEEDED"]


async def test_a_terminal_task_is_returned_without_a_request() -> None:
    service = FakeService()
    async with make_client(service) as client:
        done = Task("t", TaskStatus.SUCCEEDED, video_url="https://x/y.mp4")
        assert await client.wait(done) is done
    assert service.requests == []


@pytest.mark.parametrize(
    ("status", "code"), [("FAILED", "DataInspectionFailed"), ("CANCELED", None), ("UNKNOWN", None)]
)
async def test_wait_raises_task_failed_for_every_other_ending(status: str, code: str | None) -> None:
    service = FakeService(
        script=("PENDING", status), failure=("DataInspectionFailed", "inappropriate content")
    )
    async with make_client(service) as client:
        with pytest.raises(TaskFailed) as caught:
            await client.wait(await client.submit(REQUEST))
    assert caught.value.task.status_raw == status
    assert (caught.value.task.error.code if caught.value.task.error else None) == code
    if code:
        assert "DataInspectionFailed" in str(caught.value) and "rid-task-1" in str(caught.value)


async def test_deadline_raises_wait_timeout_with_the_last_task() -> None:
    time = FakeTime()
    service = FakeService(script=("PENDING", "RUNNING"))
    async with make_client(service, time) as client:
        with pytest.raises(WaitTimeout) as caught:
            await client.wait(await client.submit(REQUEST), timeout=60)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.task.status is TaskStatus.RUNNING and caught.value.timeout == 60
    assert time.now == 60  # the last sleep is cut to the deadline, then one last look
    assert all(s >= 4.3 for s in time.sleeps[4:-1]) and time.sleeps[-1] < 4.3  # the last one cut short


async def test_server_poll_hint_is_used() -> None:
    time = FakeTime()
    answers = iter(
        [
            httpx.Response(
                200, json={"id": "v1", "status": "in_progress"}, headers={"openai-poll-after-ms": "4500"}
            ),
            httpx.Response(200, json={"id": "v1", "status": "completed"}),
        ]
    )
    async with make_client(lambda request: next(answers), time, provider="gateway") as client:
        assert (await client.wait("v1")).status is TaskStatus.SUCCEEDED
    assert time.sleeps == [4.5]


async def test_a_throttled_poll_waits_and_keeps_going() -> None:
    time = FakeTime()
    answers = iter(
        [
            httpx.Response(
                429, json={"code": "Throttling", "message": "slow down"}, headers={"Retry-After": "120"}
            ),
            httpx.Response(
                200,
                json={"output": {"task_id": "t", "task_status": "SUCCEEDED", "video_url": "https://s/v.mp4"}},
            ),
        ]
    )
    async with make_client(lambda request: next(answers), time) as client:
        assert (await client.wait("t")).status is TaskStatus.SUCCEEDED
    assert time.sleeps == [120.0]  # beyond the retry layer's cap, so the wait loop honoured it


# --- run times learned per kind of request ----------------------------------------------------------------


def test_run_times_learn_the_shortest_success_per_kind() -> None:
    from wan_nb.client._runs import RunTimes

    runs, short = RunTimes(), REQUEST
    other_kind = VideoRequest(prompt="x", first_frame="https://example.com/cat.png", duration=10)
    runs.created("a", short, now=100.0)
    runs.created("b", short, now=100.0)
    runs.created("c", other_kind, now=100.0)
    assert runs.until_possible("b", now=101.0) is None  # nothing of its kind has finished yet
    runs.ended(Task("a", TaskStatus.SUCCEEDED), now=160.0)  # no timestamps (relay): the client's clock
    assert runs.until_possible("b", now=110.0) == 50.0 and runs.until_possible("c", now=110.0) is None
    began = datetime(2026, 1, 1, tzinfo=UTC)
    timed = Task("b", TaskStatus.SUCCEEDED, created_at=began, finished_at=began + timedelta(seconds=45))
    runs.ended(timed, now=170.0)  # the service's own timestamps win over the client's clock
    runs.created("d", short, now=200.0)
    assert runs.until_possible("d", now=200.0) == 45.0
    runs.ended(Task("c", TaskStatus.FAILED), now=101.0)  # a failure says nothing about run time
    runs.created("e", other_kind, now=200.0)
    assert runs.until_possible("e", now=200.0) is None


async def test_a_task_is_not_polled_before_its_fastest_sibling_finished() -> None:
    time = FakeTime()
    service = FakeService(script=("PENDING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"))
    async with make_client(service, time) as client:
        await client.wait(await client.submit(REQUEST))
        first_run = sum(time.sleeps)  # polls at 0, 1, 4, 10, 22 s: seen done 22 s after its create
        time.sleeps.clear()
        await client.wait(await client.submit(REQUEST))
    # Polls at 0 and 1 s (an instant failure), then straight to 22 s: none at 4 and 10 s, too early.
    assert first_run == 22.0 and time.sleeps[:2] == [1.0, 21.0]


async def test_a_just_created_task_of_a_known_kind_is_not_asked_at_once() -> None:
    time = FakeTime()
    service = FakeService(script=("PENDING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"))
    asked: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            asked.append((request.url.path.rsplit("/", 1)[-1], time.now))
        return service(request)

    async with make_client(handler, time) as client:
        first = await client.wait(await client.submit(REQUEST))  # nothing known yet: asked at once, at 0 s
        began = time.now
        second = await client.wait(await client.submit(REQUEST))
    assert [t for task, t in asked if task == first.id][:2] == [0.0, 1.0]
    # Known to take 22 s: the create's answer stands until the 1 s check, then the next query is at 22 s.
    assert [t - began for task, t in asked if task == second.id][:2] == [1.0, 22.0]


class TimedNative:
    """A native service on fake time that stamps its answers like DashScope (native.md §3.1): every task
    queues ``queue`` s (``submit_time`` → ``scheduled_time``), then runs ``run`` s (→ ``end_time``)."""

    EPOCH = datetime(2026, 12, 2, 20, 0, tzinfo=timezone(timedelta(hours=8)))

    def __init__(self, time: FakeTime, *, queue: float, run: float) -> None:
        self.time, self.queue, self.run = time, queue, run
        self.created: dict[str, float] = {}
        self.polls: list[tuple[str, float]] = []  # (task id, seconds since its create)
        self.lie_start = self.lie_end = 0.0  # seconds a broken server adds to the times it reports

    def stamp(self, at: float) -> str:
        return (self.EPOCH + timedelta(seconds=at)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            task_id = f"t{len(self.created) + 1}"
            self.created[task_id] = self.time.now
            return httpx.Response(200, json={"output": {"task_id": task_id, "task_status": "PENDING"}})
        task_id = request.url.path.rsplit("/", 1)[-1]
        begun = self.created[task_id]
        age = round(self.time.now - begun, 6)  # fake time sums floats: 1 + 59 + 30 may fall short of 90
        self.polls.append((task_id, age))
        output = {"task_id": task_id, "task_status": "PENDING", "submit_time": self.stamp(begun)}
        if age >= self.queue:
            started = self.stamp(begun + self.queue + self.lie_start)
            output |= {"task_status": "RUNNING", "scheduled_time": started}
        if age >= self.queue + self.run:
            end = {
                "end_time": self.stamp(begun + self.queue + self.run + self.lie_end),
                "video_url": "https://r.example/v.mp4",
            }
            output |= {"task_status": "SUCCEEDED", **end}
        return httpx.Response(200, json={"request_id": "rid", "output": output})

    def ages(self, task_id: str) -> list[float]:
        return [age for polled, age in self.polls if polled == task_id]


def test_run_times_keep_the_shortest_of_the_recent_runs_from_the_start_of_running() -> None:
    from wan_nb.client._journal_rows import kind_of
    from wan_nb.client._runs import KEPT, RunTimes

    kind = kind_of(REQUEST)
    runs = RunTimes([(kind, 30.0)] + [(kind, 50.0)] * KEPT)  # the 30 s run is older than the last KEPT
    assert runs.shortest(kind) == 50.0
    began = datetime(2026, 1, 1, tzinfo=UTC)
    timed = Task(
        "a",
        TaskStatus.SUCCEEDED,
        created_at=began,
        started_at=began + timedelta(seconds=20),  # queued 20 s: not part of the run
        finished_at=began + timedelta(seconds=60),
    )
    runs.created("a", REQUEST, now=0.0)
    runs.ended(timed, now=75.0)
    assert runs.shortest(kind) == 40.0
    runs.created("b", REQUEST, now=100.0)
    assert runs.until_possible("b", now=101.0) == 39.0
    # Once an answer says the task queued 12 s, its earliest end moves by as much; later answers cannot move it.
    queued = Task("b", TaskStatus.RUNNING, created_at=began, started_at=began + timedelta(seconds=12))
    runs.note(queued, now=120.0)
    assert runs.until_possible("b", now=120.0) == 32.0
    runs.note(queued.evolve(started_at=began + timedelta(seconds=40)), now=150.0)
    assert runs.until_possible("b", now=150.0) == 2.0


async def test_a_wait_skips_the_queue_the_answers_report_and_keeps_the_cadence_after() -> None:
    time = FakeTime()
    service = TimedNative(time, queue=30.0, run=60.0)
    async with make_client(service, time) as client:
        first = await client.wait(await client.submit(REQUEST))
        second = await client.wait(await client.submit(REQUEST))
    assert client.runs.shortest(kind_of_request(REQUEST)) == 60.0  # end_time - scheduled_time
    # Known: a run takes 60 s. The check at 1 s sees it queued (PENDING, no start yet): the next query comes
    # when a task that started at once could be done (60 s); that answer says it started at 30 s, so the next
    # is at 90 s, when it is. No 6 s and 12 s quick waits after the skip.
    assert service.ages(second.id) == [1.0, 60.0, 90.0]
    assert len(service.ages(first.id)) > 10  # the first of its kind: the blind schedule


async def test_after_the_skip_a_slower_task_is_polled_at_the_cadence_not_the_quick_waits() -> None:
    time = FakeTime()
    service = TimedNative(time, queue=0.0, run=60.0)
    async with make_client(service, time) as client:
        await client.wait(await client.submit(REQUEST))
        service.run = 70.0  # this one is slower than its sibling
        task = await client.wait(await client.submit(REQUEST))
    assert service.ages(task.id) == [1.0, 60.0, 64.3, 68.6, 72.9]  # not 60, 66, 78: the quick waits are over


async def test_times_from_a_server_gone_wrong_cannot_hold_the_polls_back() -> None:
    time = FakeTime()
    service = TimedNative(time, queue=0.0, run=60.0)
    async with make_client(service, time) as client:
        service.lie_end = 365 * 86400.0  # "it ran a year": not believed
        await client.wait(await client.submit(REQUEST))
        assert client.runs.shortest(kind_of_request(REQUEST)) is None
        service.lie_end = 0.0
        await client.wait(await client.submit(REQUEST))  # a true 60 s run
        service.lie_start = 86400.0  # "it queued a day": counts only up to the task's age when first seen
        task = await client.wait(await client.submit(REQUEST))
    assert service.ages(task.id) == [1.0, 61.0]  # seen done 1 s late, not a day late
    assert client.runs.shortest(kind_of_request(REQUEST)) == 60.0  # its negative run taught nothing


async def test_a_new_client_on_the_same_journal_and_api_starts_from_its_recent_runs(tmp_path: Path) -> None:
    time = FakeTime()
    service = TimedNative(time, queue=0.0, run=80.0)
    journal = Journal(tmp_path / "journal.sqlite3")
    async with make_client(service, time, journal=journal) as client:
        await client.wait(await client.submit(REQUEST))
    assert journal.recent_runs(client.base_url) == [(kind_of_request(REQUEST), 80.0)]
    async with make_client(service, time, journal=journal) as again:  # the next day: a new kernel
        task = await again.wait(await again.submit(REQUEST))
    assert service.ages(task.id) == [1.0, 80.0]  # the quick check, then the moment it can be done
    other = "https://dashscope-intl.aliyuncs.com/api/v1"  # another API's runs say nothing of this one's
    async with make_client(service, time, journal=journal, base_url=other) as elsewhere:
        assert elsewhere.runs.shortest(kind_of_request(REQUEST)) is None
    journal.close()


def test_the_in_process_simulator_does_not_reload_run_times(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    client = AsyncWanClient("sim", journal=journal)
    summary = {"model": REQUEST.chosen_model, "duration": 5, "media": {"first_frame": {}}}
    with sqlite3.connect(journal.path) as db:  # a row as an earlier session with other knobs left it
        db.execute(
            "INSERT INTO tasks (task_id, provider, host, base_url, dialect, request, request_fingerprint, "
            "status, status_raw, created, updated, run_seconds) VALUES ('x', 'sim', 'h', ?, 'native', ?, 'f', "
            "'SUCCEEDED', 'SUCCEEDED', 0, 0, 90)",
            (client.base_url, json.dumps(summary)),
        )
    assert journal.recent_runs(client.base_url)  # the journal has it...
    assert AsyncWanClient("sim", journal=journal).runs.shortest(kind_of_request(REQUEST)) is None  # ...unused
    journal.close()


def test_recent_runs_skip_rows_that_do_not_say_their_kind(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    base = "https://dashscope.aliyuncs.com/api/v1"
    rows = [("a", "{not json", 10.0), ("b", json.dumps({"model": 7}), 11.0), ("c", json.dumps({}), None)]
    good = {"model": "wan2.7-i2v", "resolution": "720P", "duration": 5, "media": {"first_frame": {}}}
    rows.append(("d", json.dumps(good), 55.0))
    with sqlite3.connect(journal.path) as db:
        for index, (task_id, request, run) in enumerate(rows):
            db.execute(
                "INSERT INTO tasks (task_id, provider, host, base_url, dialect, request, request_fingerprint, "
                "status, status_raw, created, updated, run_seconds) VALUES (?, 'dashscope', 'h', ?, 'native', "
                "?, 'f', 'SUCCEEDED', 'SUCCEEDED', 0, ?, ?)",
                (task_id, base, request, index, run),
            )
    assert journal.recent_runs(base) == [(("wan2.7-i2v", "720P", 5, ("first_frame",)), 55.0)]
    journal.close()


# --- the progress trend (gateway, relay) ------------------------------------------------------------------


def test_the_progress_trend_predicts_the_wait_left() -> None:
    schedule = PollSchedule()
    # 1 %/s from 10 %: 70 s left, so 80 % of them; near the end, just past it (2 % of the 100 s run).
    assert schedule.predicted_wait((0.0, 0.1), (20.0, 0.3), 4.6) == pytest.approx(0.8 * 70.0)
    assert schedule.predicted_wait((0.0, 0.1), (4.6, 0.14), 4.6) == 4.6  # 4 points: too little to go on
    assert schedule.predicted_wait((0.0, 0.1), (88.0, 0.98), 4.6) == pytest.approx(2.0 + 2.0)
    assert schedule.predicted_wait((0.0, 0.1), (89.9, 0.999), 4.6) == pytest.approx(2.1)
    assert schedule.predicted_wait((0.0, 0.1), (0.0, 0.1), 4.6) == 4.6  # one reading is no trend
    assert schedule.predicted_wait((0.0, 0.5), (10.0, 0.4), 4.6) == 4.6  # a bar going back says nothing
    assert schedule.predicted_wait((0.0, 0.5), (10.0, 1.0), 4.6) == 4.6


async def test_a_wait_closes_in_on_the_end_the_progress_predicts() -> None:
    # The gateway reports progress (protocol.md §1): 10 % at the start, then 1 % a second, done at 90 s.
    time = FakeTime()

    def gateway(request: httpx.Request) -> httpx.Response:
        done = 10 + time.now
        if done >= 100:
            return httpx.Response(200, json={"id": "v1", "status": "completed"})
        return httpx.Response(200, json={"id": "v1", "status": "in_progress", "progress": int(done)})

    async with make_client(gateway, time, provider="gateway") as client:
        assert (await client.wait("v1")).status is TaskStatus.SUCCEEDED
    blind = simulate(PollSchedule(), 90.0)
    assert len(time.sleeps) + 1 <= 8 < blind.gets  # the blind schedule would ask about 20 times
    assert time.now - 90.0 <= 3.0  # and it is seen just after it ended (the SDK: 2.5 s on average)
