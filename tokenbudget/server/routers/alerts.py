"""/api/alerts: the caller's alert history, and CRUD (+ test) of alert channels confined to its projects.

A channel made through the API is always confined to one project: an unconfined channel receives every budget's
alerts, which would show one tenant another's spending. Channels outside the caller's projects answer 404.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from tokenbudget.core.alerts import channels, destinations
from tokenbudget.core.errors import NotFoundError
from tokenbudget.core.keys import KeyIdentity
from tokenbudget.core.store import alerts_repo
from tokenbudget.server.deps import Caller, State
from tokenbudget.server.state import ServerState

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str  # slack | webhook
    url: str
    name: str | None = None
    secret: str | None = None
    project: str | None = None  # default: the key's project


def _visible(state: ServerState, identity: KeyIdentity, channel_id: int) -> channels.Channel:
    try:
        found = alerts_repo.get_channel(state.store.engine, channel_id)
    except NotFoundError:
        found = None
    if found is None or found.project not in identity.projects:
        raise HTTPException(404, f"no alert channel #{channel_id}")
    return found


@router.get("")
async def history(
    state: State, identity: Caller, limit: int = 50, budget: str | None = None
) -> dict[str, Any]:
    limit = max(1, min(limit, 500))
    found = await run_in_threadpool(
        alerts_repo.list_alerts, state.store.engine, limit=limit, budget=budget, projects=identity.projects
    )
    return {"alerts": found}


def _check_destination(state: ServerState, url: str) -> None:
    if not state.settings.webhook_allow_private:
        destinations.check_public(url)


@router.get("/channels")
async def list_channels(state: State, identity: Caller) -> dict[str, Any]:
    found = await run_in_threadpool(alerts_repo.list_channels, state.store.engine, projects=identity.projects)
    return {"channels": [c.as_json() for c in found]}


@router.post("/channels", status_code=201)
async def add_channel(body: ChannelIn, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        kind = channels.check_kind(body.kind)
        url = channels.check_url(body.url)
        _check_destination(state, url)
        project = body.project or identity.project
        if project is None:
            raise HTTPException(422, "project is required: this API key is not scoped to a project")
        if project not in identity.projects:
            raise HTTPException(404, f"no project named {project!r}")
        if body.secret is not None and kind != "webhook":
            raise channels.ChannelError("secret applies to webhook channels")
        channel = channels.Channel(
            name=(body.name or channels.default_name(kind, url)).strip(),
            kind=kind,
            url=url,
            secret=body.secret or None,
            project=project,
        )
        return alerts_repo.add_channel(state.store.engine, channel, datetime.now(timezone.utc)).as_json()

    return await run_in_threadpool(work)


@router.get("/channels/{channel_id}")
async def get_channel(channel_id: int, state: State, identity: Caller) -> dict[str, Any]:
    return (await run_in_threadpool(_visible, state, identity, channel_id)).as_json()


@router.delete("/channels/{channel_id}")
async def delete_channel(channel_id: int, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        found = _visible(state, identity, channel_id)
        alerts_repo.delete_channel(state.store.engine, channel_id)
        return {"deleted": found.name}

    return await run_in_threadpool(work)


@router.post("/channels/{channel_id}/test")
async def test_channel(channel_id: int, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        found = _visible(state, identity, channel_id)
        _check_destination(state, found.url)  # again: the host's address may have changed since it was added
        try:
            status = channels.send(found, channels.test_payload(datetime.now(timezone.utc)), timeout_s=10)
        except channels.DeliveryError as exc:
            return {"delivered": False, "error": str(exc)}
        return {"delivered": True, "status_code": status}

    return await run_in_threadpool(work)
