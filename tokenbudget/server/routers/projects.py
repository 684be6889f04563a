"""/api/projects: list, read, create, rename/describe and delete the caller's projects.

A project outside the key's scope answers 404, exactly like one that does not exist: no key learns another
tenant's project names. A key scoped to one project cannot create others (403). Any change drops this process's
cache of verified keys so that scopes are read again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from tokenbudget.core import tenants
from tokenbudget.core.keys import KeyIdentity
from tokenbudget.server.deps import Caller, State
from tokenbudget.server.schemas import Deleted, ProjectCreate, ProjectList, ProjectOut, ProjectPatch
from tokenbudget.server.state import ServerState

router = APIRouter(prefix="/api/projects", tags=["projects"])


def _visible(state: ServerState, identity: KeyIdentity, name: str) -> tenants.Project:
    project = tenants.get_project(state.store, name) if name in identity.projects else None
    if project is None:
        raise HTTPException(404, f"no project named {name!r}")
    return project


@router.get("", response_model=ProjectList)
async def list_projects(state: State, identity: Caller) -> dict[str, Any]:
    found = await run_in_threadpool(tenants.list_projects, state.store, identity.projects)
    return {"projects": [p.as_json() for p in found]}


@router.post("", response_model=ProjectOut, status_code=201)
async def create_project(body: ProjectCreate, state: State, identity: Caller) -> dict[str, Any]:
    if identity.project is not None:
        raise HTTPException(403, f"this API key is scoped to project {identity.project!r}")

    def work() -> tenants.Project:
        return tenants.create_project(
            state.store,
            body.name,
            description=body.description,
            owner_id=identity.user_id,
            team_id=identity.team_id,
        )

    project = await run_in_threadpool(work)
    state.authenticator.clear()
    return project.as_json()


@router.get("/{name}", response_model=ProjectOut)
async def get_project(name: str, state: State, identity: Caller) -> dict[str, Any]:
    return (await run_in_threadpool(_visible, state, identity, name)).as_json()


@router.patch("/{name}", response_model=ProjectOut)
async def update_project(name: str, body: ProjectPatch, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> tenants.Project:
        _visible(state, identity, name)
        return tenants.update_project(state.store, name, new_name=body.name, description=body.description)

    project = await run_in_threadpool(work)
    state.authenticator.clear()
    return project.as_json()


@router.delete("/{name}", response_model=Deleted)
async def delete_project(name: str, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> int:
        _visible(state, identity, name)
        return tenants.delete_project(state.store, name)

    deleted = await run_in_threadpool(work)
    state.authenticator.clear()
    return {"deleted": name, "events_deleted": deleted}
