"""/api/keys: a user's own API keys. Revoking here takes effect at once on this process (see server/auth.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from tokenbudget.core import keys
from tokenbudget.server.deps import Caller, State
from tokenbudget.server.schemas import KeyList, KeyOut

router = APIRouter(prefix="/api/keys", tags=["keys"])


@router.get("", response_model=KeyList, summary="The caller's user's active keys (prefixes only)")
async def list_keys(state: State, identity: Caller) -> dict[str, Any]:
    found = await run_in_threadpool(lambda: keys.list_keys(state.store, user_email=identity.user))
    return {"keys": [k.as_json() for k in found]}


@router.delete("/{prefix}", response_model=KeyOut, summary="Revoke one of the caller's user's keys")
async def revoke(prefix: str, state: State, identity: Caller) -> dict[str, Any]:
    # user_id: another user's prefix is "not found", never revoked.
    info = await run_in_threadpool(lambda: keys.revoke_key(state.store, prefix, user_id=identity.user_id))
    state.authenticator.forget_key(info.id)
    return info.as_json()
