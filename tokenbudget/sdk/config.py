"""SDK configuration: `configure(...)` arguments, then TOKENBUDGET_* environment, then the config file, defaults.

Where events go (endpoint, API key, store, home dir, default project) is resolved through the one core `Settings`
object; the knobs of the in-process pipeline (queue, batching, spool, exit) live here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

# Keys of `configure()` that belong to the core Settings (see tokenbudget.core.settings).
SETTINGS_KEYS = frozenset({"endpoint", "api_key", "home", "database_url", "default_project", "data_dir"})


@dataclass(frozen=True)
class SdkConfig:
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    max_queue_size: int = 100_000
    batch_size: int = 500
    flush_interval: float = 1.0
    # Upper bound for one delivery (retries included) before a batch is spooled.
    max_retry_time: float = 30.0
    http_timeout: float = 10.0
    spool_max_bytes: int = 50 * 1024 * 1024
    # How long the interpreter may wait at exit for queued events to be delivered.
    exit_timeout: float = 5.0

    def updated(self, **changes: Any) -> SdkConfig:
        overrides = dict(self.settings_overrides)
        own: dict[str, Any] = {}
        for key, value in changes.items():
            if key in SETTINGS_KEYS:
                if value is None:
                    overrides.pop(key, None)
                else:
                    overrides[key] = str(value)
            elif key in _OWN_KEYS:
                if value is not None:
                    own[key] = value
            else:
                raise TypeError(f"tokenbudget.configure() got an unexpected argument {key!r}")
        return replace(self, settings_overrides=overrides, **own)


_OWN_KEYS = frozenset(
    {
        "enabled",
        "max_queue_size",
        "batch_size",
        "flush_interval",
        "max_retry_time",
        "http_timeout",
        "spool_max_bytes",
        "exit_timeout",
    }
)
