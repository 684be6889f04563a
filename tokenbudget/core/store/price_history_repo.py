"""Price history: the tables `tb pricing sync` stored (price_tables), their versions and the changes they brought.

A synced table is stored as the zlib-compressed JSON of its pricing-relevant content (what the price book reads),
so the active book can be rebuilt exactly, digit for digit, on any machine that shares the store. The latest
activated table is the active one; re-syncing an older table re-activates it instead of storing it twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from tokenbudget.core.pricing.diff import change_kind
from tokenbudget.core.store.schema import events, metadata, price_changes, price_versions
from tokenbudget.core.store.sql import dialect_insert
from tokenbudget.core.store.types import UTCDateTime, big_pk

# Created by migration 0003_price_tables.
price_tables = sa.Table(
    "price_tables",
    metadata,
    sa.Column("id", big_pk(), primary_key=True, autoincrement=True),
    sa.Column("version", sa.String(80), nullable=False, unique=True),
    sa.Column("source", sa.String(1000), nullable=False),
    sa.Column("content_hash", sa.String(128), nullable=False),
    sa.Column("model_count", sa.Integer(), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=False),  # zlib(JSON)
    sa.Column("fetched_at", UTCDateTime(), nullable=False),
    sa.Column("activated_at", UTCDateTime(), nullable=False, index=True),
)

_SOURCE_MAX = 1000
_VERSION_SOURCE_MAX = 200  # price_versions.source
_VALUE_MAX = 64


@dataclass(frozen=True)
class StoredPriceTable:
    version: str
    source: str
    content_hash: str
    model_count: int
    fetched_at: datetime
    activated_at: datetime
    content: bytes  # the table's JSON (decompressed)


@dataclass(frozen=True)
class PriceChangeRecord:
    """One changed rate: `old` is None for a new model, `new` is None for a removed one (decimal text)."""

    model: str
    field: str
    old: str | None
    new: str | None
    price_version: str | None = None
    detected_at: datetime | None = None

    @property
    def change(self) -> str:
        return change_kind(self.old, self.new)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def latest_version(engine: sa.Engine) -> str | None:
    """The version of the active synced table (cheap: no content), or None when nothing was ever synced."""
    query = (
        sa.select(price_tables.c.version)
        .order_by(price_tables.c.activated_at.desc(), price_tables.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def latest_table(engine: sa.Engine) -> StoredPriceTable | None:
    query = (
        sa.select(price_tables)
        .order_by(price_tables.c.activated_at.desc(), price_tables.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return StoredPriceTable(
        version=row.version,
        source=row.source,
        content_hash=row.content_hash,
        model_count=row.model_count,
        fetched_at=row.fetched_at,
        activated_at=row.activated_at,
        content=zlib.decompress(row.content),
    )


def save_table(
    engine: sa.Engine,
    *,
    version: str,
    source: str,
    content_hash: str,
    model_count: int,
    content: bytes,
    fetched_at: datetime,
    changes: Iterable[PriceChangeRecord],
) -> int:
    """Store (or re-activate) a table, register its version and record its changes, in one transaction.

    Returns the number of change records written. Nothing is written if any statement fails.
    """
    now = datetime.now(timezone.utc)
    rows = [
        {
            "model": _clip(c.model, 200),
            "field": _clip(c.field, 64),
            "old_value": None if c.old is None else _clip(c.old, _VALUE_MAX),
            "new_value": None if c.new is None else _clip(c.new, _VALUE_MAX),
            "price_version": version,
            "detected_at": fetched_at,
        }
        for c in changes
    ]
    with engine.begin() as conn:
        conn.execute(
            dialect_insert(engine, price_versions)
            .values(
                version=version,
                source=_clip(source, _VERSION_SOURCE_MAX),
                content_hash=content_hash,
                model_count=model_count,
                created_at=fetched_at,
            )
            .on_conflict_do_nothing(index_elements=["version"])
        )
        table = dialect_insert(engine, price_tables).values(
            version=version,
            source=_clip(source, _SOURCE_MAX),
            content_hash=content_hash,
            model_count=model_count,
            content=zlib.compress(content, 6),
            fetched_at=fetched_at,
            activated_at=now,
        )
        conn.execute(
            table.on_conflict_do_update(
                index_elements=["version"],
                set_={"activated_at": now, "fetched_at": fetched_at, "source": _clip(source, _SOURCE_MAX)},
            )
        )
        if rows:
            conn.execute(sa.insert(price_changes), rows)
    return len(rows)


def list_changes(
    engine: sa.Engine,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    model: str | None = None,
) -> list[PriceChangeRecord]:
    query = sa.select(price_changes).order_by(
        price_changes.c.detected_at.desc(), price_changes.c.model, price_changes.c.field, price_changes.c.id
    )
    if since is not None:
        query = query.where(price_changes.c.detected_at >= since)
    if until is not None:
        query = query.where(price_changes.c.detected_at < until)
    if model:
        query = query.where(sa.func.lower(price_changes.c.model) == model.strip().lower())
    with engine.connect() as conn:
        return [
            PriceChangeRecord(
                model=row.model,
                field=row.field,
                old=row.old_value,
                new=row.new_value,
                price_version=row.price_version,
                detected_at=row.detected_at,
            )
            for row in conn.execute(query)
        ]


def count_unpriced_by_model(engine: sa.Engine) -> list[tuple[str, str | None, int]]:
    """(model, provider, calls) over the calls stored as unpriced, most calls first."""
    calls = sa.func.count().label("calls")
    query = (
        sa.select(events.c.model, events.c.provider, calls)
        .where(events.c.cost_status == "unpriced")
        .group_by(events.c.model, events.c.provider)
        .order_by(calls.desc(), events.c.model)
    )
    with engine.connect() as conn:
        return [(row.model, row.provider, int(row.calls)) for row in conn.execute(query)]
