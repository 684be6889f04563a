"""/api/admin/*: operator endpoints behind X-Admin-Key (TOKENBUDGET_ADMIN_KEY); disabled without that setting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
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


class SyncPricingIn(BaseModel):
    source: str | None = Field(
        None, description="URL or server-side path; default: LiteLLM's table on GitHub"
    )
    dry_run: bool = False
    timeout: float = Field(30.0, gt=0, le=300)
    notify: bool = Field(False, description="tell the alert channels about changed prices of models in use")


@router.post("/sync-pricing", summary="Run `tb pricing sync` on the server and return its summary")
async def sync_pricing(state: State, body: SyncPricingIn | None = None) -> dict[str, Any]:
    from tokenbudget.core.pricing.sync import DEFAULT_SOURCE, sync_prices

    params = body or SyncPricingIn()
    result = await run_in_threadpool(
        lambda: sync_prices(
            state.store, params.source or DEFAULT_SOURCE, dry_run=params.dry_run, timeout=params.timeout
        )
    )
    state.books.invalidate()
    answer = result.to_json()
    if params.notify and result.stored:
        from tokenbudget.core.alerts.price_notice import notify_price_changes

        notice = await run_in_threadpool(notify_price_changes, state.store, result)
        answer["notified"] = notice.to_json()
    return answer
