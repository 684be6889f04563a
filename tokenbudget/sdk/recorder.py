"""The process's event pipeline: `record()`, `configure()`, `flush()`, `shutdown()`.

Nothing is started at import. The first event starts one worker thread; where its events go (local store or a
remote `tb serve`) is decided on that thread, so the caller never waits for settings, files or the network.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from tokenbudget.sdk.config import SdkConfig
from tokenbudget.sdk.log import warn_once
from tokenbudget.sdk.tags import EVENT_TAG_FIELDS, _current
from tokenbudget.sdk.worker import BatchWorker

_lock = threading.Lock()
_config = SdkConfig()
_worker: BatchWorker | None = None
_atexit_registered = False


class _ModeExporter:
    """Picks local or remote mode on the worker thread, on first use."""

    def __init__(self, config: SdkConfig) -> None:
        self.config = config
        self.target: Any = None
        self.mode: str | None = None

    def _resolve(self) -> Any:
        if self.target is None:
            from tokenbudget.core.settings import Settings
            from tokenbudget.sdk.spool import Spool

            settings = Settings.resolve(self.config.settings_overrides)
            if settings.endpoint and settings.api_key:
                from tokenbudget.sdk.shipper import RemoteShipper

                spool = Spool(settings.data_dir / "spool" / "remote", max_bytes=self.config.spool_max_bytes)
                self.target = RemoteShipper(
                    settings.endpoint,
                    settings.api_key,
                    spool,
                    timeout=self.config.http_timeout,
                    max_retry_time=self.config.max_retry_time,
                )
                self.mode = "remote"
            else:
                if settings.endpoint or settings.api_key:
                    warn_once(
                        "half-remote",
                        "tokenbudget: TOKENBUDGET_ENDPOINT and TOKENBUDGET_API_KEY must both be set for remote "
                        "mode; writing to the local store",
                    )
                from tokenbudget.sdk.local_sink import LocalSink

                spool = Spool(settings.data_dir / "spool" / "local", max_bytes=self.config.spool_max_bytes)
                self.target = LocalSink(settings, spool)
                self.mode = "local"
        return self.target

    def export(self, batch: list[dict[str, Any]], *, deadline: float) -> None:
        try:
            target = self._resolve()
        except Exception as exc:
            warn_once(
                "config", "tokenbudget: cannot resolve settings (%s); %d events dropped", exc, len(batch)
            )
            return
        target.export(batch, deadline=deadline)

    def idle(self, *, deadline: float) -> None:
        if self.target is not None:
            self.target.idle(deadline=deadline)

    def after_fork(self) -> None:
        if self.target is not None:
            self.target.after_fork()

    def close(self) -> None:
        if self.target is not None:
            self.target.close()


def _get_worker() -> BatchWorker | None:
    global _worker, _atexit_registered
    worker = _worker
    if worker is not None:
        return worker
    with _lock:
        if _worker is None:
            config = _config
            if not config.enabled:
                return None
            _worker = BatchWorker(
                _ModeExporter(config),
                max_queue_size=config.max_queue_size,
                batch_size=config.batch_size,
                flush_interval=config.flush_interval,
                export_timeout=config.max_retry_time + config.http_timeout,
            )
            if not _atexit_registered:
                atexit.register(_at_exit)
                _atexit_registered = True
        return _worker


def current_worker() -> BatchWorker | None:
    """The running pipeline, if any event was recorded since the last configure()/shutdown()."""
    return _worker


def emit(item: dict[str, Any]) -> None:
    worker = _worker or _get_worker()
    if worker is not None:
        worker.emit(item)


# Event ids: a random per-process prefix and a counter, far cheaper than uuid4 on the hot path; a forked child
# draws a new prefix, so ids stay unique across processes.
_id_prefix = os.urandom(8).hex()
_id_counter = itertools.count(1)


def new_event_id() -> str:
    return f"{_id_prefix}{next(_id_counter):016x}"


def _after_fork_in_child() -> None:
    global _id_prefix, _id_counter, _lock
    _id_prefix = os.urandom(8).hex()
    _id_counter = itertools.count(1)
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def build_item(
    model: str,
    provider: str | None,
    usage: Mapping[str, int] | None,
    *,
    occurred_at: float | datetime | None = None,
    latency_ms: int | None = None,
    status: str = "ok",
    request_id: str | None = None,
    service_tier: str | None = None,
    extra_tags: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    event_id: str | None = None,
    cost_usd: Any = None,
) -> dict[str, Any]:
    """One queue item: the canonical event fields, with the enclosing `tags()` applied (explicit values win)."""
    item: dict[str, Any] = {
        "event_id": event_id or new_event_id(),
        "occurred_at": time.time() if occurred_at is None else occurred_at,
        "model": model,
    }
    if provider:
        item["provider"] = provider
    if usage:
        for key, value in usage.items():
            if value:
                item[key] = value
    if latency_ms is not None:
        item["latency_ms"] = latency_ms
    if status != "ok":
        item["status"] = status
    if request_id:
        item["request_id"] = request_id
    if service_tier:
        item["service_tier"] = service_tier
    if cost_usd is not None:
        item["cost_usd"] = cost_usd
    context = _current.get()
    if context or extra_tags:
        _apply_tags(item, context, extra_tags)
    if fields:
        for key, value in fields.items():
            if value is not None:
                item[key] = str(value)
    return item


def record(
    *,
    model: str,
    provider: str | None = None,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    cache_write_input_tokens: int = 0,
    cache_write_1h_input_tokens: int = 0,
    reasoning_tokens: int = 0,
    service_tier: str | None = None,
    latency_ms: int | None = None,
    status: str = "ok",
    request_id: str | None = None,
    cost_usd: Decimal | str | int | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    project: str | None = None,
    feature: str | None = None,
    user_id: str | None = None,
    env: str | None = None,
    tags: Mapping[str, Any] | None = None,
) -> str | None:
    """Record one call to any provider. Token counts follow DESIGN.md (inclusive totals). Returns the event id.

    Never raises and never blocks: the event is validated, priced and stored (or sent) on the worker thread; an
    invalid one is dropped there with a warning.
    """
    try:
        item = build_item(
            model,
            provider,
            {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_read_input_tokens": cache_read_input_tokens,
                "cache_write_input_tokens": cache_write_input_tokens,
                "cache_write_1h_input_tokens": cache_write_1h_input_tokens,
                "reasoning_tokens": reasoning_tokens,
            },
            occurred_at=occurred_at,
            latency_ms=latency_ms,
            status=status,
            request_id=request_id,
            service_tier=service_tier,
            extra_tags=tags,
            fields={"project": project, "feature": feature, "user_id": user_id, "env": env},
            event_id=event_id,
            cost_usd=cost_usd,
        )
        worker = _worker or _get_worker()
        if worker is not None:
            worker.emit(item)
        return item["event_id"]
    except Exception:
        warn_once("record", "tokenbudget: record() failed", exc_info=True)
        return None


def _apply_tags(
    item: dict[str, Any], context: Mapping[str, str] | None, extra: Mapping[str, Any] | None
) -> None:
    free: dict[str, str] = {}
    if context:
        for key, value in context.items():
            if key in EVENT_TAG_FIELDS:
                item[key] = value
            else:
                free[key] = value
    if extra:
        for key, value in extra.items():
            if value is not None:
                free[str(key)] = str(value)
    if free:
        item["tags"] = free


def configure(**options: Any) -> None:
    """Change where and how events go. Accepts endpoint, api_key, home, database_url, default_project, enabled,
    max_queue_size, batch_size, flush_interval, max_retry_time, http_timeout, spool_max_bytes, exit_timeout.

    Events already queued are delivered with the previous configuration first (bounded by `exit_timeout`).
    """
    global _config, _worker
    with _lock:
        new_config = _config.updated(**options)
        old, _worker = _worker, None
        _config = new_config
    if old is not None:
        old.shutdown(timeout=new_config.exit_timeout)


def reset_configuration() -> None:
    """Back to the defaults (environment and config file only); queued events are delivered first."""
    global _config, _worker
    with _lock:
        old, _worker = _worker, None
        _config = SdkConfig()
    if old is not None:
        old.shutdown(timeout=_config.exit_timeout)


def flush(timeout: float | None = 5.0) -> bool:
    """Deliver every queued event; True when done within `timeout` seconds. Never raises."""
    worker = _worker
    if worker is None:
        return True
    try:
        return worker.flush(timeout)
    except Exception:
        warn_once("flush", "tokenbudget: flush() failed", exc_info=True)
        return False


def shutdown(timeout: float | None = 5.0) -> bool:
    """Flush and stop the worker. Safe to call twice; a later event starts a new worker."""
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is None:
        return True
    try:
        return worker.shutdown(timeout)
    except Exception:
        warn_once("shutdown", "tokenbudget: shutdown() failed", exc_info=True)
        return False


def _at_exit() -> None:
    shutdown(timeout=_config.exit_timeout)
