"""Tenants: users, teams and projects in the store, and which projects an API key may see.

A key scoped to a project sees that project only; an unscoped key sees the projects its user owns and, when the key
belongs to a team, the team's projects. Events carry their project's NAME, so a project's name is its tenancy:
deleting a project deletes its events (a later project of the same name must not inherit them) and revokes the
keys scoped to it (the foreign key's SET NULL would otherwise widen those keys to every project of their user).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tokenbudget.core.errors import NotFoundError, TokenBudgetError
from tokenbudget.core.store import rollups
from tokenbudget.core.store.schema import api_keys, event_rollups, events, projects, teams, users

if TYPE_CHECKING:
    from tokenbudget.core.store import Store

__all__ = [
    "ConflictError",
    "InvalidNameError",
    "Project",
    "ScopeError",
    "create_project",
    "delete_project",
    "ensure_team",
    "ensure_user",
    "get_project",
    "list_projects",
    "normalise_email",
    "update_project",
    "visible_projects",
]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# No '/' (project names are URL path segments) and no control characters.
_PROJECT_NAME = re.compile(r"^[^/\x00-\x1f]{1,200}$")


class ConflictError(TokenBudgetError):
    """The thing already exists (a project name, ...)."""

    http_status = 409


class ScopeError(TokenBudgetError):
    """The caller's key may not do this (e.g. a project-scoped key creating another project)."""

    http_status = 403


class InvalidNameError(TokenBudgetError, ValueError):
    """An email address or a project name is not acceptable."""

    http_status = 422


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    owner: str | None
    team: str | None
    description: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "team": self.team,
            "description": self.description,
            "created_at": self.created_at.isoformat(),
        }


def now() -> datetime:
    return datetime.now(timezone.utc)


def normalise_email(email: str) -> str:
    text = (email or "").strip().lower()
    if len(text) > 320 or not _EMAIL.match(text):
        raise InvalidNameError(f"not a valid email address: {email!r}")
    return text


def check_project_name(name: str) -> str:
    text = (name or "").strip()
    if not _PROJECT_NAME.match(text):
        raise InvalidNameError(f"invalid project name {name!r}: 1-200 characters, no '/'")
    return text


def ensure_user(conn: sa.Connection, email: str) -> int:
    email = normalise_email(email)
    found = conn.execute(sa.select(users.c.id).where(users.c.email == email)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            sa.insert(users).values(email=email, created_at=now()).returning(users.c.id)
        ).scalar_one()
    )


def ensure_team(conn: sa.Connection, name: str) -> int:
    name = name.strip()
    if not name:
        raise InvalidNameError("team name must not be empty")
    found = conn.execute(sa.select(teams.c.id).where(teams.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(sa.insert(teams).values(name=name, created_at=now()).returning(teams.c.id)).scalar_one()
    )


def _project_query() -> sa.Select[Any]:
    return (
        sa.select(
            projects.c.id,
            projects.c.name,
            users.c.email.label("owner"),
            teams.c.name.label("team"),
            projects.c.description,
            projects.c.created_at,
        )
        .select_from(projects.outerjoin(users, users.c.id == projects.c.user_id))
        .outerjoin(teams, teams.c.id == projects.c.team_id)
    )


def _project(row: sa.Row[Any]) -> Project:
    return Project(row.id, row.name, row.owner, row.team, row.description, row.created_at)


def get_project(store: Store, name: str) -> Project | None:
    with store.engine.connect() as conn:
        row = conn.execute(_project_query().where(projects.c.name == name)).first()
    return None if row is None else _project(row)


def list_projects(store: Store, names: tuple[str, ...] | None = None) -> list[Project]:
    """Every project, or only those named in `names` (a key's scope), by name."""
    query = _project_query().order_by(projects.c.name)
    if names is not None:
        query = query.where(projects.c.name.in_(names))
    with store.engine.connect() as conn:
        return [_project(row) for row in conn.execute(query)]


def insert_project(
    conn: sa.Connection,
    name: str,
    *,
    user_id: int | None,
    team_id: int | None,
    description: str | None = None,
) -> int:
    name = check_project_name(name)
    try:
        with conn.begin_nested():  # a savepoint: the caller's transaction survives a name clash
            return int(
                conn.execute(
                    sa.insert(projects)
                    .values(
                        name=name, user_id=user_id, team_id=team_id, description=description, created_at=now()
                    )
                    .returning(projects.c.id)
                ).scalar_one()
            )
    except sa.exc.IntegrityError:
        raise ConflictError(f"a project named {name!r} already exists") from None


def create_project(
    store: Store,
    name: str,
    *,
    owner_email: str | None = None,
    team: str | None = None,
    description: str | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
) -> Project:
    with store.engine.begin() as conn:
        if owner_email:
            owner_id = ensure_user(conn, owner_email)
        if team:
            team_id = ensure_team(conn, team)
        insert_project(conn, name, user_id=owner_id, team_id=team_id, description=description)
    project = get_project(store, name.strip())
    assert project is not None
    return project


def update_project(
    store: Store, name: str, *, new_name: str | None = None, description: str | None = None
) -> Project:
    """Change a project's description and/or name. A rename moves its events (and rollup rows) with it."""
    with store.engine.begin() as conn:
        found = conn.execute(sa.select(projects.c.id).where(projects.c.name == name)).scalar()
        if found is None:
            raise NotFoundError(f"no project named {name!r}")
        values: dict[str, Any] = {}
        if description is not None:
            values["description"] = description or None
        if new_name is not None and new_name.strip() != name:
            target = check_project_name(new_name)
            taken = conn.execute(sa.select(projects.c.id).where(projects.c.name == target)).scalar()
            stray = conn.execute(sa.select(events.c.id).where(events.c.project == target).limit(1)).scalar()
            if taken is not None or stray is not None:
                raise ConflictError(f"a project named {target!r} already exists")
            values["name"] = target
            conn.execute(sa.update(events).where(events.c.project == name).values(project=target))
            conn.execute(
                sa.update(event_rollups).where(event_rollups.c.project == name).values(project=target)
            )
        if values:
            conn.execute(sa.update(projects).where(projects.c.id == found).values(**values))
    project = get_project(store, values.get("name", name))
    assert project is not None
    return project


def delete_project(store: Store, name: str) -> int:
    """Delete a project, its events and its rollup rows; revoke the keys scoped to it. Returns events deleted."""
    with store.engine.begin() as conn:
        found = conn.execute(sa.select(projects.c.id).where(projects.c.name == name)).scalar()
        if found is None:
            raise NotFoundError(f"no project named {name!r}")
        conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.project_id == found, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
        mine = events.c.project == name
        rollups.add(conn, mine, -1)
        deleted = conn.execute(sa.delete(events).where(mine)).rowcount
        rollups.prune(conn)
        conn.execute(sa.delete(projects).where(projects.c.id == found))
    return int(deleted or 0)


def visible_projects(
    conn: sa.Connection, *, user_id: int, team_id: int | None, project_id: int | None
) -> tuple[str, ...]:
    """Names of the projects a key with this scope may read and write, sorted."""
    if project_id is not None:
        condition: sa.ColumnElement[bool] = projects.c.id == project_id
    elif team_id is not None:
        condition = sa.or_(projects.c.user_id == user_id, projects.c.team_id == team_id)
    else:
        condition = projects.c.user_id == user_id
    rows = conn.execute(sa.select(projects.c.name).where(condition).order_by(projects.c.name))
    return tuple(row[0] for row in rows)
