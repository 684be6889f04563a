"""/api/price-changes: what `tb pricing sync` recorded (new, removed and changed rates). Prices are public data:
any valid key may read them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from tokenbudget.server.deps import Caller, State

router = APIRouter(prefix="/api/price-changes", tags=["pricing"])


@router.get("", summary="Recorded price changes (same rows as `tb pricing changes --format json`)")
async def price_changes(
    state: State,
    caller: Caller,
    since: Annotated[str, Query(description="any `tb report` period: 7d, 30d, mtd, all, A..B")] = "30d",
    model: Annotated[str | None, Query(description="only this model (exact name, any case)")] = None,
) -> dict[str, Any]:
    from tokenbudget.core.periods import parse_period
    from tokenbudget.core.pricing.sync import price_change_rows

    period = parse_period(since)
    records = await run_in_threadpool(
        lambda: state.store.list_price_changes(since=period.start, until=period.end, model=model)
    )
    return {"since": period.start, "until": period.end, "model": model, "changes": price_change_rows(records)}
