"""/healthz: the process answers. /readyz: the database answers and its schema is current (for load balancers);
it also tells whether Redis answers, which does not make the server unready (see redis_guard.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tokenbudget.core.errors import StoreError
from tokenbudget.server.deps import State
from tokenbudget.server.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses={503: {"model": Ready}})
async def readyz(state: State) -> Any:
    store = state.store
    try:
        revision = await run_in_threadpool(store.current_revision)
        ready = revision == store.head_revision()
    except (StoreError, Exception):  # any database failure means "not ready", never a 500
        revision, ready = None, False
    body = {
        "status": "ready" if ready else "not ready",
        "database": store.url,
        "revision": revision,
        "head_revision": store.head_revision(),
        "redis": None if state.redis is None else state.redis.state,
    }
    return body if ready else JSONResponse(body, status_code=503)
