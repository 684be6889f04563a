"""Engine creation for the two supported backends, with one clear error when the database is unreachable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tokenbudget.core.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 5


def display_url(url: str | sa.URL) -> str:
    """The URL with its password masked and without the driver name (users write postgresql://), for messages."""
    try:
        parsed = sa.make_url(url)
        return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return str(url)


def create_engine(url: str, *, echo: bool = False) -> sa.Engine:
    """An engine for `url`: sqlite:///path or postgresql+psycopg://...; raises StoreError for anything else."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, echo)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(
            parsed,
            echo=echo,
            pool_pre_ping=True,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
            # Large batches: fewer round trips for multi-row INSERT ... RETURNING.
            insertmanyvalues_page_size=2000,
        )
    raise StoreError(f"unsupported database {display_url(parsed)}: use sqlite:///PATH or postgresql://...")


def _sqlite_engine(url: sa.URL, echo: bool) -> sa.Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the directory for {database}: {exc}") from None
    engine = sa.create_engine(url, echo=echo)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        # WAL: readers (tb report, the TUI) never block the writer (the SDK / tb serve) and vice versa.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # NORMAL is durable across application crashes in WAL mode; only a power cut can lose the last commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def check_connection(engine: sa.Engine) -> None:
    """Connect once so that an unreachable database fails at open time with a one-line message."""
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise StoreError(f"cannot connect to {display_url(engine.url)}: {reason}") from None
