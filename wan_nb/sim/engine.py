"""The simulated service behind all three dialects: accepts jobs, times them, renders them, signs results."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import random
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wan_nb.sim import identity, media, prompt
from wan_nb.sim.config import SimConfig
from wan_nb.sim.faults import Faults, Throttle, chance, task_stream
from wan_nb.sim.http import Drop, Response
from wan_nb.sim.render import RenderSpec
from wan_nb.sim.renderer import RenderPool, render_key
from wan_nb.sim.store import RenderState, Snapshot, TaskRecord, TaskStore, status_at
from wan_nb.sim.upload import OssStore
from wan_nb.sim.validate import SHORT_SIDE, Invalid, Job
from wan_nb.sim.wire import INSPECTION, INTERNAL, OSS_UNRESOLVED, RATE_LIMITED

RETENTION = 24 * 3600  # tasks are queryable for 24 h, then UNKNOWN (native.md §3.1)
REALISTIC = (45.0, 155.0)  # 720P/5 s measured on the relay (native.md §6 "Timing")
ACTIVE = ("PENDING", "RUNNING")
# Outcome scenarios decided at submit (the real service reports these as FAILED tasks, HTTP 200).
OUTCOMES = {"inspection": ("DataInspectionFailed", INSPECTION), "internal": ("InternalError", INTERNAL)}


@dataclass
class SimStats:
    """Counters for tests and benchmarks.

    ``creates`` proves a client never submitted a request twice: accepted creates per request fingerprint,
    where a medium given inline (``data:``) or uploaded (``oss://``) counts by its bytes (identity.py), so
    re-sending the same file is a duplicate too.

    ``downloads`` and ``bytes_served`` prove nothing was downloaded twice: per task id, the video GETs (signed
    result URL or ``/v1/videos/{id}/content``) that delivered the file's last byte without being cut, and
    every body byte those GETs sent (partial answers, Range resumes and cut bodies included). HEADs and
    refused GETs count for neither.
    """

    creates: Counter[str] = field(default_factory=Counter)  # accepted creates per request fingerprint
    requests: Counter[str] = field(default_factory=Counter)  # per route name, e.g. "native.get"
    responses: Counter[int] = field(default_factory=Counter)  # per HTTP status (lost answers not counted)
    faults: Counter[str] = field(default_factory=Counter)  # injected scenarios
    downloads: Counter[str] = field(default_factory=Counter)  # task id -> complete video downloads
    bytes_served: Counter[str] = field(default_factory=Counter)  # task id -> video body bytes sent
    render_cache_hits: int = 0

    def duplicates(self) -> dict[str, int]:
        return {fingerprint: count for fingerprint, count in self.creates.items() if count > 1}


@dataclass(frozen=True)
class Accepted:
    """A created task, and whether the answer telling the client about it is lost (faults.py)."""

    record: TaskRecord
    lost: Drop | None = None

    def answer(self, response: Response) -> Response:
        return response if self.lost is None else replace(response, drop=self.lost)


class Engine:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.stats = SimStats()
        self.faults = Faults(config)
        self.stats.faults = self.faults.injected
        self.tasks = TaskStore(config.state_dir)
        self.oss = OssStore(config.state_dir)
        self.secret = _secret(config.state_dir)
        self.renders = RenderPool(config.state_dir, config.render_workers, config.clock, self.resolve)

    def now(self) -> float:
        return self.config.clock()

    def submit(self, job: Job, dialect: str, body: Any, scenarios: frozenset[str], **extra: Any) -> Accepted:
        """Create a task: draw its timing, outcome and answer from its own stream, start its render, count
        its fingerprint. Its number is the count of tasks so far (persisted: a restart continues it)."""
        canonical = identity.fingerprint(body, self.upload)
        spec = self._spec(job, canonical)
        stream = task_stream(self.config.seed, len(self.tasks))
        queue, run = self._timing(stream)
        code, message = self._outcome(scenarios, stream)
        record = TaskRecord(
            task_id=("task_" + uuid.uuid4().hex) if dialect == "unified" else str(uuid.uuid4()),
            dialect=dialect,
            model=job.model,
            prompt=job.prompt,
            submit_at=self.now(),
            queue_seconds=queue,
            run_seconds=run,
            spec=spec.to_json(),
            render_key=render_key(spec, self.media_id),
            fail_code=code,
            fail_message=message,
            extra=extra or None,
            actual_prompt=prompt.extend(job.prompt) if job.prompt_extend else None,
        )
        if code is None and not self.renders.ensure(record.render_key, spec):
            self.stats.render_cache_hits += 1
        self.tasks.add(record)
        self.faults.arm(record.task_id, scenarios)
        self.stats.creates[canonical] += 1
        return Accepted(record, self.faults.lost_answer(scenarios, stream))

    def cancel(self, task_id: str) -> None:
        record = self.tasks.cancel(task_id, self.now())
        self.renders.discard(record.render_key)

    def snapshot(self, task_id: str) -> Snapshot | None:
        """The task now, or None when unknown or past retention."""
        record = self.tasks.get(task_id)
        now = self.now()
        if record is None or now - record.submit_at > RETENTION:
            return None
        if record.fail_code or record.canceled_at is not None or now < record.due_at:
            return status_at(record, now, RenderState(done=False))  # the render cannot matter yet
        return status_at(record, now, self.renders.state(record.render_key, RenderSpec(**record.spec)))

    def admit(self, scenarios: frozenset[str]) -> Throttle | None:
        """429 before a task is created: the throttle scenario, or too many unfinished tasks."""
        if "throttle" in scenarios:
            self.stats.faults["throttle"] += 1
            return Throttle("Throttling.RateQuota", RATE_LIMITED, 1)
        limit = self.config.max_concurrency
        if limit is None:
            return None
        active = [snap for snap in map(self.snapshot, self._ids()) if snap and snap.phase in ACTIVE]
        if len(active) < limit:
            return None
        soonest = min(snap.record.due_at for snap in active)
        wait = max(1, math.ceil(soonest - self.now()))
        return Throttle("Throttling", "Too many tasks in progress, please try again later.", wait)

    def _ids(self) -> list[str]:
        return [record.task_id for record in self.tasks]

    def result_url(self, origin: str, snap: Snapshot) -> str:
        """A signed-OSS-like URL: ``Expires`` is end_time + result_ttl (24 h by default)."""
        expires = int((snap.end_at or self.now()) + self.config.result_ttl)
        task_id = snap.record.task_id
        query = (
            f"Expires={expires}&OSSAccessKeyId=LTAI5tSimulatorOnly&Signature={self.sign(task_id, expires)}"
        )
        return f"{origin}/results/{task_id}.mp4?{query}"

    def sign(self, task_id: str, expires: int) -> str:
        digest = hmac.new(self.secret, f"{task_id}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def video(self, task_id: str) -> bytes | None:
        record = self.tasks.get(task_id)
        return self.renders.video(record.render_key) if record else None

    def oss_problem(self, url: str, model: str, resolve_header: bool) -> Invalid | None:
        """Why an ``oss://`` URL cannot be used by this create, or None. Without the resolve header (or for
        an unknown or expired object) the documented 400 ``invalid_parameter_error`` (native.md §2, §4)."""
        upload = self.oss.get(url.removeprefix("oss://"))
        if not resolve_header or upload is None or upload.expires_at < self.now():
            return Invalid(400, "invalid_parameter_error", OSS_UNRESOLVED)
        if upload.model != model:
            # Uploads are bound to the model named at getPolicy (native.md §4); the error is not documented.
            return Invalid(
                400, "InvalidParameter", f"The uploaded file is bound to model {upload.model}, not {model}."
            )
        return None

    def upload(self, url: str) -> bytes | None:
        """The bytes of one of our ``oss://`` uploads, None for anything else."""
        found = self.oss.get(url.removeprefix("oss://")) if url.startswith("oss://") else None
        return found.data if found else None

    def media_id(self, url: str) -> str:
        return identity.media_id(url, self.upload)

    def resolve(self, url: str) -> bytes | None:
        """Our own objects for the renderer: uploads and earlier results (a first_clip may be one)."""
        if url.startswith("oss://"):
            return self.upload(url)
        parts = urlsplit(url)
        if media.is_loopback(url) and parts.path.startswith("/results/"):
            return self.video(parts.path.removeprefix("/results/").removesuffix(".mp4"))
        return None

    def _spec(self, job: Job, canonical: str) -> RenderSpec:
        """Without a seed in the request, the body picks one: identical requests share one render."""
        seed = job.seed if job.seed is not None else int(canonical[:8], 16) ^ self.config.seed
        short_side = SHORT_SIDE[job.resolution]
        sound = job.audio and self.config.audio
        shown = job.prompt if self.config.show_prompt else None
        spec = RenderSpec(dict(job.media), job.duration, short_side, sound, job.watermark, seed, shown)
        # The model and fields for the media limits (limits.py); the family, ratio and audio_setting for the
        # family's renderer (renderer.RENDERERS).
        return replace(
            spec,
            model=job.model,
            fields=dict(job.fields),
            family=job.family,
            ratio=job.ratio,
            audio_setting=job.audio_setting,
        )

    def _timing(self, stream: random.Random) -> tuple[float, float]:
        """Seconds PENDING, then seconds RUNNING (about a tenth of the task is queueing)."""
        total = stream.uniform(*REALISTIC) if self.config.realistic else self.config.task_time
        total *= self.config.time_scale
        queue = min(total * 0.1, 10.0) if self.config.realistic else total * 0.25
        return queue, total - queue

    def _outcome(self, scenarios: frozenset[str], stream: random.Random) -> tuple[str | None, str | None]:
        rates = {"inspection": self.config.inspection_rate, "internal": self.config.internal_error_rate}
        for name, (code, message) in OUTCOMES.items():
            if name in scenarios or chance(stream, rates[name]):
                return code, message
        return None, None

    def close(self) -> None:
        self.renders.close()


def _secret(state_dir: Path | None) -> bytes:
    """The signing key; persisted so result URLs and upload policies survive a restart."""
    if state_dir is None:
        return secrets.token_bytes(32)
    path = state_dir / "secret.key"
    if not path.is_file():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
    return path.read_bytes()
