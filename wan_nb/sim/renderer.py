"""Renders off the event loop, once per distinct spec: a worker pool, a memory cache and a disk cache.

The pool is a plain ``concurrent.futures`` executor (not bound to any asyncio loop), so the in-process app keeps
working across the event loops of successive notebook cells and tests. Identical specs share one render.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from wan_nb.sim import edit, family, limits, media
from wan_nb.sim.config import Clock
from wan_nb.sim.render import RenderSpec, render, write_atomically
from wan_nb.sim.store import RenderState

MEMORY_ITEMS = 8  # a 15 s 1080P clip is ~0.5–2 MB
# What each model family renders (validate.MODELS names the family of a model).
RENDERERS: dict[str, Callable[[RenderSpec, media.Resolver], bytes]] = {
    "i2v": render,
    "t2v": family.render_scene,
    "r2v": family.render_references,
    "videoedit": edit.render_edit,
    "wan3": family.render_wan3,
}


def render_key(spec: RenderSpec, media_id: Callable[[str], str]) -> str:
    """Identical inputs → identical key; media enter by ``media_id`` (identity.py: the same bytes, re-uploaded
    or inline, share one render)."""
    canonical = spec.to_json()
    canonical["media"] = {role: media_id(url) for role, url in spec.media.items()}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()[:40]


class RenderPool:
    def __init__(self, state_dir: Path | None, workers: int, clock: Clock, resolve: media.Resolver) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="wan-sim-render")
        # Without a state_dir, finished videos still go to disk (a temporary folder, removed on close):
        # result URLs must keep working after the memory cache has moved on.
        self._scratch = None if state_dir else tempfile.TemporaryDirectory(prefix="wan-sim-renders-")
        self._dir = state_dir / "renders" if state_dir else Path(self._scratch.name)  # type: ignore[union-attr]
        self._dir.mkdir(parents=True, exist_ok=True)
        self._clock, self._resolve = clock, resolve
        self._running: dict[str, Future[None]] = {}
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._done: dict[str, RenderState] = {}
        self.render_seconds: list[float] = []  # wall time of each finished render

    def ensure(self, key: str, spec: RenderSpec) -> bool:
        """Start the render unless it is done, cached on disk, or running; True when it started one."""
        if key in self._done or key in self._running or self._load_disk_state(key):
            return False
        self._running[key] = self._executor.submit(self._work, key, spec)
        return True

    def state(self, key: str, spec: RenderSpec) -> RenderState:
        """Non-blocking; (re)starts a render a restarted simulator does not have yet."""
        self.ensure(key, spec)
        return self._done.get(key, RenderState(done=False))

    def discard(self, key: str) -> None:
        """Drop a render that has not started (its task was canceled); a later ``state`` restarts it."""
        future = self._running.get(key)
        if future is not None and future.cancel():
            self._running.pop(key, None)

    def video(self, key: str) -> bytes | None:
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        path = self._path(key, ".mp4")
        return self._remember(key, path.read_bytes()) if path.is_file() else None

    def close(self) -> None:
        # A render already running writes into the scratch folder when it ends: wait for it (a few seconds at
        # most) before removing the folder, or the removal races the write ("Directory not empty").
        self._executor.shutdown(wait=self._scratch is not None, cancel_futures=True)
        if self._scratch is not None:
            self._scratch.cleanup()

    def _work(self, key: str, spec: RenderSpec) -> None:
        """Upstream's media limits first (a breach fails the task, limits.py), then the render."""
        began = time.perf_counter()
        clip_seconds = 0.0
        try:
            checked = limits.check(spec, self._resolve)
            clip_seconds = checked.clip_seconds
            data: bytes | None = RENDERERS[spec.family](spec, checked.resolve)
            error = None
        except media.MediaError as problem:
            data, error = None, str(problem)
        except Exception as problem:  # a decoder choking on odd input must fail the task, not hang it
            data, error = None, f"The media could not be processed: {type(problem).__name__}."
        try:
            self._finish(key, RenderState(True, error, self._clock(), clip_seconds), data)
        finally:
            self._running.pop(key, None)
            self.render_seconds.append(time.perf_counter() - began)

    def _finish(self, key: str, state: RenderState, data: bytes | None) -> None:
        if data is not None:
            self._remember(key, data)
            write_atomically(self._path(key, ".mp4"), data)
        info = {"error": state.error, "finished_at": state.finished_at, "input_seconds": state.input_seconds}
        write_atomically(self._path(key, ".json"), json.dumps(info).encode())
        self._done[key] = state

    def _load_disk_state(self, key: str) -> bool:
        path = self._path(key, ".json")
        if not path.is_file():
            return False
        info = json.loads(path.read_text())
        self._done[key] = RenderState(
            True, info["error"], info["finished_at"], info.get("input_seconds", 0.0)
        )
        return True

    def _remember(self, key: str, data: bytes) -> bytes:
        self._memory[key] = data
        while len(self._memory) > MEMORY_ITEMS:
            self._memory.popitem(last=False)
        return data

    def _path(self, key: str, suffix: str) -> Path:
        return self._dir / f"{key}{suffix}"
