"""Column types whose behaviour must be identical on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from tokenbudget.core.events import utc


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out.

    SQLite has no time zone type: SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' text and drops tzinfo. Converting
    every bound value (rows AND query parameters) to UTC first keeps the text lexicographically ordered, so range
    filters compare like timestamps and use the index, and `substr(occurred_at, 1, 10)` is the UTC day.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw text from a hand-written SQLite query path
            value = datetime.fromisoformat(value)
        return utc(value)


def json_type() -> sa.types.TypeEngine[Any]:
    """JSON everywhere, JSONB on PostgreSQL (indexable, compact)."""
    return sa.JSON().with_variant(JSONB(), "postgresql")


def big_pk() -> sa.types.TypeEngine[int]:
    """BIGINT primary key, but INTEGER on SQLite so that the column is the rowid (autoincrement, no extra index)."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")
