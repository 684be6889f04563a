"""`BatchWorker`: the shape of OpenTelemetry's BatchProcessor.

A bounded in-memory queue that `emit` appends to without blocking or raising, one daemon thread that hands batches
to an exporter every `flush_interval` seconds or as soon as `batch_size` events wait, `flush()` / `shutdown()` with
a deadline, and a fresh queue and thread in the child after `fork()`.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from tokenbudget.sdk.log import warn_once

Item = dict[str, Any]


class Exporter(Protocol):
    def export(self, batch: list[Item], *, deadline: float) -> None:
        """Deliver (or keep) `batch`; never raises. `deadline` is a time.monotonic() value."""

    def idle(self, *, deadline: float) -> None:
        """Called when the queue is empty: a chance to re-send what was kept earlier."""

    def after_fork(self) -> None:
        """Forget connections inherited from the parent process."""

    def close(self) -> None: ...


class BatchWorker:
    def __init__(
        self,
        exporter: Exporter,
        *,
        max_queue_size: int = 100_000,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        export_timeout: float = 30.0,
    ) -> None:
        self.exporter = exporter
        self.max_queue_size = max_queue_size
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.export_timeout = export_timeout
        self.dropped = 0
        self._init_state()
        _live_workers.add(self)

    def _init_state(self) -> None:
        self._queue: collections.deque[Item] = collections.deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._flush_requests: list[threading.Event] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self._pid = os.getpid()

    # -- caller side: never blocks, never raises -----------------------------------------------------------
    def emit(self, item: Item) -> None:
        queue = self._queue
        if len(queue) >= self.max_queue_size or self._closed:
            self.dropped += 1
            warn_once(
                "queue-full",
                "tokenbudget: event queue full (%d events) or SDK shut down; dropping events",
                self.max_queue_size,
            )
            return
        queue.append(item)
        if self._thread is None:
            self._start()
        if len(queue) >= self.batch_size:
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            thread = threading.Thread(target=self._run, name="tokenbudget-worker", daemon=True)
            thread.start()
            self._thread = thread

    def flush(self, timeout: float | None = 5.0) -> bool:
        """Hand every queued event to the exporter; True when that finished within `timeout` seconds."""
        if self._closed:
            return not self._queue
        if self._thread is None:
            if not self._queue:
                return True
            self._start()
            if self._thread is None:
                return not self._queue
        done = threading.Event()
        with self._lock:
            self._flush_requests.append(done)
        self._wake.set()
        return done.wait(timeout)

    def shutdown(self, timeout: float | None = 5.0) -> bool:
        """Flush, stop the thread and close the exporter. Safe to call more than once."""
        with self._lock:
            if self._closed:
                return True
            self._closed = True
            thread = self._thread
        self._wake.set()
        finished = True
        if thread is not None:
            thread.join(timeout)
            finished = not thread.is_alive()
        else:
            # Never started (nothing or little emitted): drain here, on the caller's thread, at exit only.
            self._drain(time.monotonic() + (timeout if timeout is not None else self.export_timeout))
        if finished:
            self.exporter.close()
        _live_workers.discard(self)
        return finished

    # -- worker thread -------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            with self._lock:
                requests, self._flush_requests = self._flush_requests, []
                closing = self._closed
            self._drain(time.monotonic() + self.export_timeout)
            if not self._queue:
                self.exporter.idle(deadline=time.monotonic() + self.export_timeout)
            for request in requests:
                request.set()
            if closing:
                self._drain(time.monotonic() + self.export_timeout)
                return

    def _drain(self, deadline: float) -> None:
        queue = self._queue
        while queue:
            batch: list[Item] = []
            try:
                while len(batch) < self.batch_size:
                    batch.append(queue.popleft())
            except IndexError:
                pass
            try:
                self.exporter.export(batch, deadline=deadline)
            except Exception:  # an exporter bug must not kill the thread
                warn_once("export-crash", "tokenbudget: exporting events failed", exc_info=True)

    def _after_fork_in_child(self) -> None:
        # The parent's thread does not exist here and its lock may be held: start over, keeping what was queued.
        pending = list(self._queue)
        self._init_state()
        self._queue.extend(pending)
        try:
            self.exporter.after_fork()
        except Exception:
            warn_once("fork", "tokenbudget: resetting the exporter after fork failed", exc_info=True)


_live_workers: weakref.WeakSet[BatchWorker] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for worker in list(_live_workers):
        worker._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def every_worker(action: Callable[[BatchWorker], Any]) -> None:
    for worker in list(_live_workers):
        action(worker)
