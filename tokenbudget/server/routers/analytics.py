"""GET /api/analytics/*: the numbers and JSON shapes of `tb report --format json`, for the caller's projects only.

Every answer is computed by core.analytics (the CLI's code) with the key's project scope added to the filter, so
the server and the CLI cannot disagree. With Redis configured, answers are cached for analytics_cache_ttl_s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from tokenbudget.core.analytics import BREAKDOWN_DIMENSIONS, EventFilter, build_report, report_to_json
from tokenbudget.core.keys import KeyIdentity
from tokenbudget.core.periods import parse_period
from tokenbudget.server.deps import Caller, State
from tokenbudget.server.schemas import BreakdownResponse, ReportOut, SummaryOut, TimeseriesOut
from tokenbudget.server.state import ServerState

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

Text = Annotated[str | None, Query(max_length=200)]


class Filters:
    """The `tb report` filters as query parameters (a class dependency so every endpoint documents them)."""

    def __init__(
        self,
        period: Annotated[
            str, Query(description="as `tb report --period`: 30d, mtd, 2026-11-01..2026-11-15, …")
        ] = "30d",
        project: Text = None,
        feature: Text = None,
        model: Text = None,
        provider: Text = None,
        user: Text = None,
        env: Text = None,
    ) -> None:
        self.period = period
        self.values = {
            "project": project,
            "feature": feature,
            "model": model,
            "provider": provider,
            "user_id": user,
            "env": env,
        }

    def event_filter(self, identity: KeyIdentity) -> EventFilter:
        return EventFilter(**self.values, projects=identity.projects)


def _cached(state: ServerState, identity: KeyIdentity, parts: tuple[Any, ...], compute: Any) -> Any:
    # The scope is part of the key: two keys with different projects never share an answer.
    key = state.cache.key(identity.projects, *parts)
    hit = state.cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    state.cache.put(key, value)
    return value


def _report(
    state: ServerState, identity: KeyIdentity, f: Filters, by: str, top: int | None
) -> dict[str, Any]:
    if by not in BREAKDOWN_DIMENSIONS:
        raise HTTPException(422, f"by must be one of {', '.join(BREAKDOWN_DIMENSIONS)}, got {by!r}")
    period = parse_period(f.period)
    return _cached(
        state,
        identity,
        ("report", f.period, f.values, by, top),
        lambda: report_to_json(build_report(state.store, period, f.event_filter(identity), by=by, top=top)),
    )


Top = Annotated[
    int | None, Query(ge=1, description="keep the N most expensive rows; fold the rest into '(other)'")
]
By = Annotated[str, Query(description="model|provider|feature|user|env|project|day|week|month")]


@router.get("/report", response_model=ReportOut, summary="Exactly `tb report --format json`")
async def report(
    state: State, identity: Caller, f: Annotated[Filters, Depends()], by: By = "model", top: Top = None
):
    return await run_in_threadpool(_report, state, identity, f, by, top)


@router.get(
    "/summary", response_model=SummaryOut, summary="Totals, tokens by kind, change vs previous period"
)
async def summary(state: State, identity: Caller, f: Annotated[Filters, Depends()]) -> dict[str, Any]:
    full = await run_in_threadpool(_report, state, identity, f, "model", None)
    return {k: full[k] for k in ("period", "filters", "totals", "previous", "change")}


@router.get("/breakdown", response_model=BreakdownResponse, summary="Cost by a dimension")
async def breakdown(
    state: State, identity: Caller, f: Annotated[Filters, Depends()], by: By = "model", top: Top = None
) -> dict[str, Any]:
    full = await run_in_threadpool(_report, state, identity, f, by, top)
    return {k: full[k] for k in ("period", "filters", "breakdown")}


def _timeseries(state: ServerState, identity: KeyIdentity, f: Filters, granularity: str) -> dict[str, Any]:
    from tokenbudget.core.analytics import _row_json
    from tokenbudget.core.timeseries import MAX_HOURLY_DAYS, timeseries

    period = parse_period(f.period)
    if granularity == "hour" and period.days > MAX_HOURLY_DAYS:
        raise HTTPException(422, f"granularity=hour needs a period of at most {MAX_HOURLY_DAYS} days")

    def compute() -> dict[str, Any]:
        rows = timeseries(state.store, period, f.event_filter(identity), granularity)
        return {
            "period": {
                "label": period.label,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
            },
            "filters": EventFilter(**f.values).as_dict(),
            "granularity": granularity,
            "rows": [_row_json(row) for row in rows],
        }

    return _cached(state, identity, ("timeseries", f.period, f.values, granularity), compute)


@router.get("/timeseries", response_model=TimeseriesOut, summary="Cost per hour, day, week or month")
async def timeseries_endpoint(
    state: State,
    identity: Caller,
    f: Annotated[Filters, Depends()],
    granularity: Annotated[str, Query(pattern="^(hour|day|week|month)$")] = "day",
) -> dict[str, Any]:
    return await run_in_threadpool(_timeseries, state, identity, f, granularity)
