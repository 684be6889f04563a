"""Storing new events: idempotent on event_id, one transaction per batch, the daily rollup kept in step.

SQLite: multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING id straight to sqlite3, then the rollup from those
ids. PostgreSQL: binary COPY into a session staging table, then ONE statement that inserts, keeps the rollup from
its RETURNING rows and counts them (docs/server.md, "Ingest"). Never one ORM object per event.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tokenbudget.core.events import Event
from tokenbudget.core.store import rollups
from tokenbudget.core.store.events_repo import to_nanos
from tokenbudget.core.store.schema import events
from tokenbudget.core.store.transactions import staged_transaction
from tokenbudget.core.usage import TOKEN_FIELDS


@dataclass(frozen=True)
class InsertResult:
    inserted: int
    duplicates: int


def _opt(text: str | None) -> str | None:
    # '' is "none" (as parse_event treats it); storing NULL keeps one spelling for reports and the rollup key.
    return text or None


# The columns an insert writes, in the order of _row_values.
ROW_COLUMNS: tuple[str, ...] = (
    "event_id",
    "occurred_at",
    "project",
    "provider",
    "model",
    "price_key",
    *TOKEN_FIELDS,
    "service_tier",
    "cost_nanos",
    "cost_status",
    "price_version",
    "latency_ms",
    "status",
    "request_id",
    "feature",
    "user_id",
    "env",
    "tags",
    "ingested_at",
)
_TAGS_AT = ROW_COLUMNS.index("tags")


def _row_values(event: Event, ingested_at: datetime) -> list[Any]:
    """One event as the values of ROW_COLUMNS (a list: the COPY path swaps the tags for their JSON text)."""
    usage = event.usage
    return [
        event.event_id,
        event.occurred_at,
        event.project,
        _opt(event.provider),
        event.model,
        _opt(event.price_key),
        usage.input_tokens,  # TOKEN_FIELDS' order
        usage.cache_read_input_tokens,
        usage.cache_write_input_tokens,
        usage.cache_write_1h_input_tokens,
        usage.output_tokens,
        usage.reasoning_tokens,
        usage.service_tier,
        to_nanos(event.cost_usd),
        event.cost_status,
        event.price_version,
        event.latency_ms,
        event.status,
        _opt(event.request_id),
        _opt(event.feature),
        _opt(event.user_id),
        _opt(event.env),
        dict(event.tags) or None,  # NULL rather than '{}' on millions of rows
        ingested_at,
    ]


# SQLite refuses statements with more than 32,766 parameters; 24 columns x 1,000 rows stays well under it.
_SQLITE_ROWS_PER_STATEMENT = 1000


@functools.lru_cache(maxsize=8)
def _sqlite_insert_sql(rows: int) -> str:
    # RETURNING the rows actually written: the count of a batch, and the ids whose sums go into the rollup.
    one = "(" + ", ".join("?" * len(ROW_COLUMNS)) + ")"
    return (
        f"INSERT INTO events ({', '.join(ROW_COLUMNS)}) VALUES {', '.join([one] * rows)} "
        "ON CONFLICT (event_id) DO NOTHING RETURNING id"
    )


@functools.lru_cache(maxsize=4)
def sqlite_converters(dialect: sa.Dialect) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position in ROW_COLUMNS, SQLAlchemy's own bind processor) for each column whose value SQLite stores
    converted. dialect_impl: the SQLite flavour of each type (e.g. its DATETIME text format)."""
    processors = [events.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in ROW_COLUMNS]
    return tuple((at, convert) for at, convert in enumerate(processors) if convert is not None)


def _sqlite_insert(conn: sa.Connection, rows: list[list[Any]]) -> list[int]:
    """The batch as multi-row INSERTs straight to sqlite3, each value converted as SQLAlchemy would (the stored
    text of timestamps and JSON is exactly what SQLAlchemy writes and reads back): SQLAlchemy's per-row statement
    machinery was about half of SQLite's insert time."""
    converters = sqlite_converters(conn.dialect)
    ids: list[int] = []
    for start in range(0, len(rows), _SQLITE_ROWS_PER_STATEMENT):
        chunk = rows[start : start + _SQLITE_ROWS_PER_STATEMENT]
        params: list[Any] = []
        for values in chunk:
            row = list(values)  # the batch stays as built: a retried transaction starts from it again
            for at, convert in converters:
                row[at] = convert(row[at])
            params.extend(row)
        ids.extend(row[0] for row in conn.exec_driver_sql(_sqlite_insert_sql(len(chunk)), tuple(params)))
    return ids


@dataclass(frozen=True)
class _PgIngest:
    """The SQL of a PostgreSQL batch, built once (statement objects are immutable)."""

    create_staging: str  # the session temp table the batch is COPYed into (tags as JSON text)
    copy: str
    # INSERT the staged rows into events (duplicates skipped), add the written ones to the rollup, count them: one
    # statement and one round trip; the rollup sums come from the INSERT's RETURNING (the rows really written),
    # so they are not read back from events.
    ingest: sa.Select[Any]


@functools.cache
def _pg_ingest() -> _PgIngest:
    names = ", ".join(ROW_COLUMNS)
    # Named after its columns: a pooled session that outlives a schema change gets a new table, not a stale one.
    staging = "tb_ingest_" + hashlib.sha1(f"{names} binary".encode()).hexdigest()[:10]
    selected = ", ".join("tags::text AS tags" if name == "tags" else name for name in ROW_COLUMNS)
    staged = sa.table(staging, *(sa.column(name) for name in ROW_COLUMNS))
    values = [sa.cast(c, postgresql.JSONB) if c.name == "tags" else c for c in staged.c]
    inserted = (
        postgresql.insert(events)
        .from_select(list(ROW_COLUMNS), sa.select(*values))
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(*(events.c[name] for name in rollups.SOURCE_COLUMNS))
        .cte("inserted")
    )
    return _PgIngest(
        create_staging=f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS "
        f"AS SELECT {selected} FROM events WITH NO DATA",
        copy=f"COPY {staging} ({names}) FROM STDIN (FORMAT BINARY)",
        ingest=rollups.count_and_add_inserted(inserted),
    )


# In a pooled connection's info: the type OIDs of the COPY columns (column types never change under a process).
_TYPES_KEY = "tb_copy_types"


def _copy_types(conn: sa.Connection) -> list[int]:
    """The PostgreSQL type of each of ROW_COLUMNS as staged (tags as text), read once per pooled connection."""
    info = conn.connection.info
    if _TYPES_KEY not in info:
        from psycopg.postgres import types as builtin_types

        found = conn.exec_driver_sql(
            "SELECT attname, atttypid FROM pg_attribute "
            "WHERE attrelid = 'events'::regclass AND attnum > 0 AND NOT attisdropped"
        )
        oids = {name: int(oid) for name, oid in found}
        oids["tags"] = builtin_types["text"].oid
        info[_TYPES_KEY] = [oids[name] for name in ROW_COLUMNS]
    return list(info[_TYPES_KEY])


def _tags_as_json(rows: list[list[Any]]) -> None:
    """The tags of each row as JSON text, as the staging table takes them (a batch mostly shares a few tag sets)."""
    encoded: dict[tuple[tuple[str, str], ...], str] = {}
    for values in rows:
        tags = values[_TAGS_AT]
        if tags is not None:
            key = tuple(tags.items())
            text = encoded.get(key)
            if text is None:
                text = encoded[key] = json.dumps(tags)
            values[_TAGS_AT] = text


def _pg_stage(conn: sa.Connection, rows: list[list[Any]]) -> sa.Select[Any]:
    """COPY the batch (tags already JSON text) into a session temp table; returns the statement that ingests it.

    A multi-row VALUES list has one placeholder per cell (12,000 for 500 events): psycopg re-parses such a long
    statement on every execution and dumps every cell in Python, which was most of ingest time. COPY streams the
    rows through psycopg's C dumpers, in the binary format (no text rendering of timestamps and integers, which was
    a sixth of the server's ingest time); the temp table (no indexes, emptied at commit) costs next to nothing.
    Runs inside the caller's transaction (same DBAPI connection), so a failed batch leaves nothing behind.
    """
    plan = _pg_ingest()
    # Every batch, in its own transaction (one short round trip): behind a pooler in transaction mode (PgBouncer)
    # the next transaction may run in another server session, which would not have a table made earlier.
    conn.exec_driver_sql(plan.create_staging)
    types = _copy_types(conn)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(plan.copy) as copy:
        copy.set_types(types)
        for values in rows:
            copy.write_row(values)
    # No cleanup: ON COMMIT DELETE ROWS empties the table, and a rollback discards what was copied.
    return plan.ingest


def insert_events(
    engine: sa.Engine,
    items: Iterable[Event],
    batch_size: int,
    rollup_lock: AbstractContextManager[Any] | None = None,
) -> InsertResult:
    """Store new events (duplicates of stored event_ids skipped and counted) and add them to the rollup.

    Each batch is one transaction. `rollup_lock` (the Store's) makes this process's concurrent batches take turns
    for their rollup write and commit; see transactions.staged_transaction.
    """
    pg = engine.dialect.name == "postgresql"
    inserted = duplicates = 0
    batch: dict[str, Event] = {}

    def flush() -> None:
        nonlocal inserted, duplicates
        now = datetime.now(timezone.utc)
        rows = [_row_values(event, now) for event in batch.values()]
        if pg:
            _tags_as_json(rows)  # once, before the transaction (which may be retried)

        def apply(conn: sa.Connection, staged: sa.Select[Any] | None) -> int:
            if staged is not None:
                return int(conn.execute(staged).scalar_one())
            ids = _sqlite_insert(conn, rows)
            if ids:
                rollups.add(conn, events.c.id.in_(ids))
            return len(ids)

        stage: Callable[[sa.Connection], sa.Select[Any] | None] = (
            (lambda conn: _pg_stage(conn, rows)) if pg else (lambda conn: None)
        )
        written = staged_transaction(engine, stage, apply, rollup_lock or nullcontext())
        inserted += written
        duplicates += len(rows) - written
        batch.clear()

    for event in items:
        if event.event_id in batch:
            duplicates += 1  # same id twice in one batch: the first one wins, like a later duplicate would
            continue
        batch[event.event_id] = event
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return InsertResult(inserted=inserted, duplicates=duplicates)
