"""Custom prices (table price_overrides) and the register of price versions (table price_versions).

`CustomPrice` lives in tokenbudget.core.pricing and is imported inside the functions: the store must not pull in
the price book (or its data files) just to open.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tokenbudget.core.store.schema import price_overrides, price_versions
from tokenbudget.core.store.sql import dialect_insert

if TYPE_CHECKING:
    from tokenbudget.core.pricing import CustomPrice

_RATES = ("input_per_token", "output_per_token", "cache_read_per_token", "cache_write_per_token")


def _text(rate: Decimal | None) -> str | None:
    # str(Decimal) keeps every digit and the exponent: Decimal(str(d)) == d, digit for digit.
    return None if rate is None else str(Decimal(rate))


def list_custom_prices(engine: sa.Engine) -> list[CustomPrice]:
    from tokenbudget.core.pricing import CustomPrice

    with engine.connect() as conn:
        rows = conn.execute(sa.select(price_overrides).order_by(price_overrides.c.model)).all()
    return [
        CustomPrice(
            model=row.model,
            input_per_token=Decimal(row.input_per_token),
            output_per_token=Decimal(row.output_per_token),
            cache_read_per_token=None
            if row.cache_read_per_token is None
            else Decimal(row.cache_read_per_token),
            cache_write_per_token=None
            if row.cache_write_per_token is None
            else Decimal(row.cache_write_per_token),
            provider=row.provider,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def set_custom_price(engine: sa.Engine, price: CustomPrice) -> CustomPrice:
    """Insert or replace the custom price of `price.model` (stored lowercase, as names resolve case-insensitively)."""
    now = datetime.now(timezone.utc)
    model = price.model.strip().lower()
    values: dict[str, Any] = {name: _text(getattr(price, name)) for name in _RATES}
    values.update(model=model, provider=price.provider, updated_at=now)
    stmt = dialect_insert(engine, price_overrides).values(**values, created_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["model"], set_=values)
    with engine.begin() as conn:
        conn.execute(stmt)
    return dataclasses.replace(price, model=model, updated_at=now)


def delete_custom_price(engine: sa.Engine, model: str) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            sa.delete(price_overrides).where(price_overrides.c.model == model.strip().lower())
        )
    return result.rowcount > 0


def register_price_version(
    engine: sa.Engine, version: str, *, source: str, content_hash: str, model_count: int
) -> None:
    stmt = (
        dialect_insert(engine, price_versions)
        .values(
            version=version,
            source=source,
            content_hash=content_hash,
            model_count=model_count,
            created_at=datetime.now(timezone.utc),
        )
        .on_conflict_do_nothing(index_elements=["version"])
    )
    with engine.begin() as conn:
        conn.execute(stmt)


def list_price_versions(engine: sa.Engine) -> list[dict[str, Any]]:
    query = sa.select(
        price_versions.c.version,
        price_versions.c.source,
        price_versions.c.content_hash,
        price_versions.c.model_count,
        price_versions.c.created_at,
    ).order_by(price_versions.c.created_at, price_versions.c.id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
