"""Settings, resolved once: explicit arguments, then TOKENBUDGET_* environment, then the config file, then defaults.

The resolved `Settings` object is passed down to whatever needs it; nothing reads the environment later.
`TOKENBUDGET_HOME` moves every file the tool writes (the config file and the embedded SQLite store).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tokenbudget.core.errors import ConfigError

ENV_PREFIX = "TOKENBUDGET_"
CONFIG_FILE_NAME = "config.toml"
DB_FILE_NAME = "tokenbudget.db"


@dataclass(frozen=True)
class Settings:
    """Every knob the core needs. Build it with `Settings.resolve()`."""

    home: Path | None = None
    data_dir: Path = field(default_factory=Path)
    config_dir: Path = field(default_factory=Path)
    database_url: str = ""
    # Project name given to events that carry none.
    default_project: str = "default"
    # Echo every SQL statement (debugging).
    echo_sql: bool = False
    # SDK remote mode: a `tb serve` base URL and an API key (tb_ak_...); both empty means local mode.
    endpoint: str = ""
    api_key: str = ""
    # --- server (`tb serve`) ---
    # X-Admin-Key for the admin endpoints; empty disables them.
    admin_key: str = ""
    # CORS origins, comma-separated; empty means any origin (development).
    allowed_origins: tuple[str, ...] = ()
    # Shared rate limit and analytics cache across server processes; empty keeps both in-process.
    redis_url: str = ""
    redis_prefix: str = "tokenbudget:"
    max_body_bytes: int = 5 * 1024 * 1024  # also applied after gzip decompression
    max_batch_events: int = 1000
    rate_limit_per_minute: int = 1200  # per API key; 0 disables
    # Per client address on the endpoints that take no key (the waitlist); 0 disables.
    public_rate_limit_per_minute: int = 20
    # Alert channels added through the server's API may point at private addresses (see alerts/destinations.py).
    webhook_allow_private: bool = False
    key_cache_ttl_s: float = 30.0  # how long another process may still accept a revoked key
    analytics_cache_ttl_s: float = 10.0  # Redis only
    # IANA time zone in which budget periods (day, week, month) start; budgets may override it.
    timezone: str = "UTC"

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE_NAME

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def resolve(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Resolve settings from `overrides` (e.g. CLI options), `environ`, the config file and defaults."""
        env = os.environ if environ is None else environ
        given = {k: v for k, v in (overrides or {}).items() if v is not None}

        home_raw = given.get("home") or env.get(ENV_PREFIX + "HOME")
        home = Path(home_raw).expanduser() if home_raw else None
        data_dir, config_dir = _default_dirs(home)
        config_dir = Path(given.get("config_dir") or env.get(ENV_PREFIX + "CONFIG_DIR") or config_dir)
        file_values = _read_config_file(config_dir / CONFIG_FILE_NAME)

        def pick(name: str) -> Any:
            if name in given:
                return given[name]
            env_value = env.get(ENV_PREFIX + name.upper())
            if env_value is not None and env_value != "":
                return env_value
            return file_values.get(name)

        data_dir = Path(pick("data_dir") or data_dir).expanduser()
        database_url = pick("database_url") or f"sqlite:///{data_dir / DB_FILE_NAME}"
        return cls(
            home=home,
            data_dir=data_dir,
            config_dir=config_dir,
            database_url=_normalise_database_url(str(database_url)),
            default_project=str(pick("default_project") or "default"),
            echo_sql=_as_bool(pick("echo_sql"), "echo_sql"),
            endpoint=str(pick("endpoint") or "").strip().rstrip("/"),
            api_key=str(pick("api_key") or "").strip(),
            admin_key=str(pick("admin_key") or ""),
            allowed_origins=_as_list(pick("allowed_origins")),
            redis_url=str(pick("redis_url") or ""),
            redis_prefix=str(pick("redis_prefix") or "tokenbudget:"),
            max_body_bytes=_as_number(pick("max_body_bytes"), "max_body_bytes", int, 5 * 1024 * 1024),
            max_batch_events=_as_number(pick("max_batch_events"), "max_batch_events", int, 1000),
            rate_limit_per_minute=_as_number(
                pick("rate_limit_per_minute"), "rate_limit_per_minute", int, 1200
            ),
            public_rate_limit_per_minute=_as_number(
                pick("public_rate_limit_per_minute"), "public_rate_limit_per_minute", int, 20
            ),
            webhook_allow_private=_as_bool(pick("webhook_allow_private"), "webhook_allow_private"),
            key_cache_ttl_s=_as_number(pick("key_cache_ttl_s"), "key_cache_ttl_s", float, 30.0),
            analytics_cache_ttl_s=_as_number(
                pick("analytics_cache_ttl_s"), "analytics_cache_ttl_s", float, 10.0
            ),
            timezone=_as_timezone(pick("timezone")),
        )

    def describe(self) -> dict[str, str]:
        """A printable view (the database password hidden)."""
        out = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        out["database_url"] = redact_url(self.database_url)
        out["api_key"] = (self.api_key[:10] + "***") if self.api_key else ""
        out["redis_url"] = redact_url(self.redis_url)
        out["admin_key"] = "***" if self.admin_key else ""
        return out


def _default_dirs(home: Path | None) -> tuple[Path, Path]:
    if home is not None:
        return home / "data", home
    import platformdirs  # imported here: only needed when no TOKENBUDGET_HOME is set

    return (
        Path(platformdirs.user_data_dir("tokenbudget", appauthor=False)),
        Path(platformdirs.user_config_dir("tokenbudget", appauthor=False)),
    )


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    section = data.get("tokenbudget", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [tokenbudget] must be a table")
    return section


def _as_bool(value: Any, name: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _as_timezone(value: Any) -> str:
    name = str(value or "UTC").strip() or "UTC"
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # here: only resolving settings needs it

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone: unknown time zone {name!r} (use an IANA name such as Europe/Paris)"
        ) from None
    return name


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def _as_number(value: Any, name: str, kind: type, default: Any) -> Any:
    if value is None or value == "":
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if number < 0:
        raise ConfigError(f"{name}: must not be negative, got {value!r}")
    return number


def _normalise_database_url(url: str) -> str:
    # Accept the URLs people paste from their hosting provider; psycopg 3 is the driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact_url(url: str) -> str:
    """Hide the password of a database URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
