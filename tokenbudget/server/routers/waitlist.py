"""/api/waitlist: public sign-up (validated, deduplicated), admin listing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from tokenbudget.core import waitlist
from tokenbudget.server.deps import State, public_rate_limit, require_admin
from tokenbudget.server.schemas import WaitlistIn, WaitlistList, WaitlistOut

router = APIRouter(prefix="/api/waitlist", tags=["waitlist"])


@router.post(
    "",
    response_model=WaitlistOut,
    status_code=201,
    dependencies=[Depends(public_rate_limit)],
    summary="Join (201; 200 when already listed; 429 past the per-address limit)",
)
async def join(body: WaitlistIn, state: State, response: Response) -> dict[str, Any]:
    from tokenbudget.core.tenants import normalise_email

    email = normalise_email(body.email)
    created = await run_in_threadpool(waitlist.join, state.store, email, body.source)
    if not created:
        response.status_code = 200
    return {"email": email, "already_listed": not created}


@router.get(
    "", response_model=WaitlistList, dependencies=[Depends(require_admin)], summary="Every entry (admin)"
)
async def entries(state: State) -> dict[str, Any]:
    return {"entries": await run_in_threadpool(waitlist.entries, state.store)}
