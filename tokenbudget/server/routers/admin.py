"""/api/admin/*: operator endpoints behind X-Admin-Key (TOKENBUDGET_ADMIN_KEY); disabled without that setting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from tokenbudget.core import keys
from tokenbudget.server.deps import State, require_admin
from tokenbudget.server.schemas import KeyList, KeyOut

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.get("/keys", response_model=KeyList, summary="Every API key (prefixes only)")
async def list_keys(
    state: State,
    user: Annotated[str | None, Query(description="only this user's keys")] = None,
    include_revoked: bool = False,
) -> dict[str, Any]:
    found = await run_in_threadpool(
        lambda: keys.list_keys(state.store, user_email=user, include_revoked=include_revoked)
    )
    return {"keys": [k.as_json() for k in found]}


@router.post(
    "/keys/{prefix}/revoke", response_model=KeyOut, summary="Revoke any key (at once on this process)"
)
async def revoke(prefix: str, state: State) -> dict[str, Any]:
    info = await run_in_threadpool(keys.revoke_key, state.store, prefix)
    state.authenticator.forget_key(info.id)
    return info.as_json()
