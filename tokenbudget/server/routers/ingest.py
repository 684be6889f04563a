"""POST /v1/events and /v1/events/batch: validate each event alone, price it, store the good ones at once.

Pricing is the server's (bundled table + the store's custom prices); a client's cost is kept only for a model the
server cannot price. Every event is stamped with a project the key may write to. The accepted events of a request
go to the store in ONE insert_events call and one transaction: a request is stored whole or not at all.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from tokenbudget.core.errors import InvalidEventError, TokenBudgetError
from tokenbudget.core.events import Event, parse_event, price_event
from tokenbudget.core.keys import KeyIdentity
from tokenbudget.server.body import read_json
from tokenbudget.server.deps import Caller, State
from tokenbudget.server.schemas import EventBatchIn, EventIn, IngestResult
from tokenbudget.server.state import ServerState

router = APIRouter(tags=["ingest"])


def _body_doc(batch: bool) -> dict[str, Any]:
    # The body is read raw (see body.py), so its schema is given to OpenAPI by hand, inlined (no $refs).
    schema = EventIn.model_json_schema()
    if batch:
        schema = {
            "title": EventBatchIn.__name__,
            "type": "object",
            "properties": {"events": {"type": "array", "items": schema}},
            "required": ["events"],
        }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _project(inp_project: str | None, identity: KeyIdentity) -> str:
    if identity.project is not None:
        if inp_project not in (None, identity.project):
            raise InvalidEventError(f"this API key writes only to project {identity.project!r}")
        return identity.project
    if inp_project is None:
        raise InvalidEventError("project is required: this API key is not scoped to a project")
    if inp_project not in identity.projects:
        raise InvalidEventError(f"project {inp_project!r} is not one of this API key's projects")
    return inp_project


def ingest(state: ServerState, identity: KeyIdentity, key: str, items: list[Any]) -> dict[str, Any]:
    book = state.books.get()
    accepted: list[Event] = []
    rejected: list[dict[str, Any]] = []
    refreshed = False
    for index, item in enumerate(items):
        try:
            inp = parse_event(item)
            try:
                project = _project(inp.project, identity)
            except InvalidEventError:
                if refreshed:
                    raise
                # The key's cached scope may predate a project created a moment ago: read it once, then decide.
                refreshed = True
                fresh = state.authenticator.refresh(key, identity)
                if fresh is None:
                    raise HTTPException(401, "invalid or missing API key") from None
                identity = fresh
                project = _project(inp.project, identity)
            # The project is None or already this one: price_event stamps it, no dataclass copy per event.
            accepted.append(price_event(inp, book, default_project=project))
        except TokenBudgetError as exc:
            rejected.append({"index": index, "error": str(exc)})
    result = state.store.insert_events(accepted, batch_size=len(accepted) + 1)
    if result.inserted:
        state.alerts.poke()  # a budget may have crossed a threshold: checked soon, off this request
    return {"accepted": result.inserted, "duplicates": result.duplicates, "rejected": rejected}


@router.post(
    "/v1/events",
    status_code=202,
    response_model=IngestResult,
    summary="Record one call",
    openapi_extra=_body_doc(batch=False),
)
async def post_event(request: Request, state: State, identity: Caller) -> dict[str, Any]:
    data = await read_json(request, state.settings.max_body_bytes)
    if not isinstance(data, dict):
        raise HTTPException(400, "malformed request: expected one event object")
    return await run_in_threadpool(ingest, state, identity, request.state.api_key, [data])


@router.post(
    "/v1/events/batch",
    status_code=202,
    response_model=IngestResult,
    summary="Record up to max_batch_events calls",
    openapi_extra=_body_doc(batch=True),
)
async def post_batch(request: Request, state: State, identity: Caller) -> dict[str, Any]:
    data = await read_json(request, state.settings.max_body_bytes)
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise HTTPException(400, 'malformed request: expected {"events": [...]}')
    items = data["events"]
    limit = state.settings.max_batch_events
    if len(items) > limit:
        raise HTTPException(413, f"batch has {len(items)} events; at most {limit} per request")
    return await run_in_threadpool(ingest, state, identity, request.state.api_key, items)
