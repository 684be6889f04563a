"""/api/budgets: CRUD and status of the caller's budgets.

Every budget made through the API is confined to one of the caller's projects (`project`), and a caller sees only
budgets confined to its projects: a budget outside its scope answers 404 like one that does not exist. Budget names
are unique across the store (the CLI's namespace), so a name taken elsewhere answers 409 without saying by whom.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from tokenbudget.core import budgets as core
from tokenbudget.core.errors import NotFoundError
from tokenbudget.core.keys import KeyIdentity
from tokenbudget.server.deps import Caller, State
from tokenbudget.server.state import ServerState

router = APIRouter(prefix="/api/budgets", tags=["budgets"])


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    scope: str = (
        "global"  # global | project:NAME | feature:NAME | user:ID | env:NAME | model:NAME | key:PREFIX
    )
    period: str = "monthly"
    limit_usd: Decimal | str
    thresholds: list[int] | None = None
    timezone: str | None = None
    project: str | None = None  # default: the key's project, or the project of a project: scope


class BudgetPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: str | None = None
    period: str | None = None
    limit_usd: Decimal | str | None = None
    thresholds: list[int] | None = None
    timezone: str | None = None


def _project_for(identity: KeyIdentity, wanted: str | None, scope: tuple[str, str | None]) -> str:
    project = wanted or identity.project or (scope[1] if scope[0] == "project" else None)
    if project is None:
        raise HTTPException(422, "project is required: this API key is not scoped to a project")
    if identity.project is not None and project != identity.project:
        raise HTTPException(403, f"this API key is scoped to project {identity.project!r}")
    if project not in identity.projects:
        raise HTTPException(404, f"no project named {project!r}")
    if scope[0] == "project" and scope[1] != project:
        raise HTTPException(422, "a project: scope must name the budget's own project")
    return project


def visible(state: ServerState, identity: KeyIdentity, budget_id: int) -> core.Budget:
    try:
        budget = state.store.get_budget(budget_id)
    except NotFoundError:
        budget = None
    if budget is None or budget.project not in identity.projects:
        raise HTTPException(404, f"no budget #{budget_id}")
    return budget


def _status(state: ServerState, budget: core.Budget) -> dict[str, Any]:
    return core.budget_status(state.store, budget, default_timezone=state.settings.timezone).as_json()


@router.get("")
async def list_budgets(state: State, identity: Caller) -> dict[str, Any]:
    found = await run_in_threadpool(state.store.list_budgets, projects=identity.projects)
    return {"budgets": [b.as_json() for b in found]}


@router.post("", status_code=201)
async def create_budget(body: BudgetIn, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        scope = core.parse_scope(body.scope)
        budget = core.Budget(
            name=body.name.strip(),
            scope=scope[0],
            scope_value=scope[1],
            period=core.parse_period_name(body.period),
            limit_usd=core.parse_limit(body.limit_usd),
            thresholds=core.parse_thresholds(body.thresholds),
            timezone=core.check_timezone(body.timezone) if body.timezone else None,
            project=_project_for(identity, body.project, scope),
        )
        if not budget.name or len(budget.name) > 200:
            raise core.BudgetError("a budget name is 1 to 200 characters")
        try:
            state.store.get_budget(budget.name)
        except NotFoundError:
            pass
        else:
            raise HTTPException(409, f"a budget named {budget.name!r} already exists")
        saved, _ = state.store.save_budget(budget)
        return saved.as_json()

    return await run_in_threadpool(work)


@router.get("/status")
async def all_budget_statuses(state: State, identity: Caller) -> dict[str, Any]:
    """Every budget of the caller's projects with its status (declared before /{budget_id}, which would take it)."""

    def work() -> dict[str, Any]:
        found = core.all_statuses(
            state.store, default_timezone=state.settings.timezone, projects=identity.projects
        )
        return {"budgets": [status.as_json() for status in found]}

    return await run_in_threadpool(work)


@router.get("/{budget_id}")
async def get_budget(budget_id: int, state: State, identity: Caller) -> dict[str, Any]:
    return (await run_in_threadpool(visible, state, identity, budget_id)).as_json()


@router.patch("/{budget_id}")
async def update_budget(budget_id: int, body: BudgetPatch, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        budget = visible(state, identity, budget_id)
        changes: dict[str, Any] = {}
        if body.scope is not None:
            changes["scope"], changes["scope_value"] = scope = core.parse_scope(body.scope)
            _project_for(identity, budget.project, scope)
        if body.period is not None:
            changes["period"] = core.parse_period_name(body.period)
        if body.limit_usd is not None:
            changes["limit_usd"] = core.parse_limit(body.limit_usd)
        if body.thresholds is not None:
            changes["thresholds"] = core.parse_thresholds(body.thresholds)
        if body.timezone is not None:
            changes["timezone"] = core.check_timezone(body.timezone)
        saved, _ = state.store.save_budget(replace(budget, **changes))
        return saved.as_json()

    return await run_in_threadpool(work)


@router.delete("/{budget_id}")
async def delete_budget(budget_id: int, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        budget = visible(state, identity, budget_id)
        state.store.delete_budget(budget_id)
        return {"deleted": budget.name}

    return await run_in_threadpool(work)


@router.get("/{budget_id}/status")
async def budget_status(budget_id: int, state: State, identity: Caller) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        return _status(state, visible(state, identity, budget_id))

    return await run_in_threadpool(work)
