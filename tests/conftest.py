"""Shared fixtures. Every store test runs on SQLite AND PostgreSQL (param "postgresql").

PostgreSQL: TOKENBUDGET_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/tokenbudget_test).
Each test gets its own schema, so tests run in parallel (pytest -n). An unreachable server FAILS the postgresql
tests; set TOKENBUDGET_TEST_POSTGRES=off to leave them out entirely (they are not collected, not skipped).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tokenbudget.core.events import Event
from tokenbudget.core.settings import Settings
from tokenbudget.core.usage import Usage

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tokenbudget_test"
PG_URL = os.environ.get("TOKENBUDGET_TEST_POSTGRES_URL") or DEFAULT_PG_URL
PG_ENABLED = os.environ.get("TOKENBUDGET_TEST_POSTGRES", "").strip().lower() not in {
    "off",
    "0",
    "false",
    "no",
}
STORE_BACKENDS = ["sqlite", "postgresql"] if PG_ENABLED else ["sqlite"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.resolve(environ={"TOKENBUDGET_HOME": str(tmp_path)})


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test database URL, created on first use. Fails (never skips) when the server cannot be reached."""
    import sqlalchemy as sa

    url = sa.make_url(PG_URL)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": url.database}
            )
            if exists.scalar() is None:
                # Another xdist worker may create it first.
                with contextlib.suppress(sa.exc.ProgrammingError):
                    conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {url.render_as_string(hide_password=True)} "
            f"({str(exc.orig).strip().splitlines()[0]}). Start it, point TOKENBUDGET_TEST_POSTGRES_URL at a server, "
            "or set TOKENBUDGET_TEST_POSTGRES=off to leave the PostgreSQL tests out.",
            pytrace=False,
        )
    finally:
        admin.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema (dropped afterwards): Alembic's version table goes there too."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=STORE_BACKENDS)
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    environ = {"TOKENBUDGET_HOME": str(tmp_path)}
    if request.param == "postgresql":
        environ["TOKENBUDGET_DATABASE_URL"] = request.getfixturevalue("pg_schema_url")
    return Settings.resolve(environ=environ)


@pytest.fixture
def store(store_settings: Settings) -> Iterator[Any]:
    from tokenbudget.core.store import open_store

    with open_store(store_settings) as opened:
        yield opened


EventFactory = Callable[..., Event]


@pytest.fixture
def event_factory() -> EventFactory:
    """make(**fields) -> Event with sensible defaults; token counts and `cost` may be given directly."""
    counter = itertools.count(1)

    def make(**overrides: Any) -> Event:
        n = next(counter)
        usage_fields = {
            name: overrides.pop(name)
            for name in (
                "input_tokens",
                "output_tokens",
                "cache_read_input_tokens",
                "cache_write_input_tokens",
                "cache_write_1h_input_tokens",
                "reasoning_tokens",
                "service_tier",
            )
            if name in overrides
        }
        usage = overrides.pop("usage", None) or Usage(
            **{"input_tokens": 100, "output_tokens": 20, **usage_fields}
        )
        cost = overrides.pop("cost", Decimal("0.001"))
        status = overrides.pop("cost_status", "priced" if cost is not None else "unpriced")
        values: dict[str, Any] = {
            "event_id": f"ev_{n:06d}_{uuid.uuid4().hex[:8]}",
            "occurred_at": datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc),
            "project": "default",
            "model": "gpt-4o",
            "usage": usage,
            "cost_status": status,
            "cost_usd": cost,
            "price_key": overrides.get("model", "gpt-4o") if status == "priced" else None,
            "price_version": "v1" if status == "priced" else None,
            "provider": "openai",
        }
        values.update(overrides)
        return Event(**values)

    return make
