"""GET /api/events/latest: the newest calls of the caller's projects (the TUI's live tail over `tb serve`).

`Store.latest_events` (what `tb tui` reads locally) with the key's project scope added to the filter, so another
tenant's calls never appear, whatever the filters say.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from tokenbudget.core.analytics import EventFilter
from tokenbudget.core.budgets import money
from tokenbudget.core.events import Event
from tokenbudget.server.deps import Caller, State

router = APIRouter(prefix="/api/events", tags=["events"])

MAX_LIMIT = 500
Text = Annotated[str | None, Query(max_length=200)]


def event_json(event: Event) -> dict[str, Any]:
    usage = event.usage
    return {
        "event_id": event.event_id,
        "occurred_at": event.occurred_at.isoformat(),
        "project": event.project,
        "provider": event.provider,
        "model": event.model,
        "price_key": event.price_key,
        "feature": event.feature,
        "user_id": event.user_id,
        "env": event.env,
        "input_tokens": usage.input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_write_input_tokens": usage.cache_write_input_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cost_usd": None if event.cost_usd is None else money(event.cost_usd),
        "cost_status": event.cost_status,
        "latency_ms": event.latency_ms,
        "status": event.status,
    }


@router.get("/latest", summary="The newest calls of the caller's projects, newest first")
async def latest(
    state: State,
    identity: Caller,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    project: Text = None,
    feature: Text = None,
    model: Text = None,
) -> dict[str, Any]:
    filters = EventFilter(project=project, feature=feature, model=model, projects=identity.projects)
    found = await run_in_threadpool(state.store.latest_events, limit, filters)
    return {"events": [event_json(e) for e in found]}
