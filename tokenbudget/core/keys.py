"""API keys: `tb_ak_` + 32 random hex characters, shown once, stored only as a bcrypt hash.

A key is found by its first characters (`tb_ak_` + 8 hex, a non-secret, uniquely indexed prefix), then ONE bcrypt
check: never a loop over every stored hash. The remaining 24 hex characters (96 bits) stay secret even though the
prefix is shown in listings. bcrypt is imported lazily: it is an optional dependency (the `server` extra).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tokenbudget.core.errors import NotFoundError, TokenBudgetError
from tokenbudget.core.store.schema import api_keys, projects, teams, users
from tokenbudget.core.tenants import ensure_team, ensure_user, insert_project, now, visible_projects

if TYPE_CHECKING:
    from tokenbudget.core.store import Store

__all__ = [
    "KEY_PATTERN",
    "ApiKeyInfo",
    "CreatedKey",
    "KeyIdentity",
    "authenticate",
    "create_key",
    "generate_key",
    "key_prefix",
    "list_keys",
    "revoke_key",
]

KEY_START = "tb_ak_"
KEY_PATTERN = re.compile(r"^tb_ak_[0-9a-f]{32}$")
PREFIX_HEX = 8
# 2^10 rounds (~50 ms): keys are 128-bit random, so bcrypt's work factor guards the hashes, not guessable secrets.
DEFAULT_ROUNDS = 10


@dataclass(frozen=True)
class ApiKeyInfo:
    id: int
    prefix: str
    name: str | None
    user: str
    team: str | None
    project: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        stamp = lambda value: None if value is None else value.isoformat()  # noqa: E731
        return {
            "id": self.id,
            "prefix": self.prefix,
            "name": self.name,
            "user": self.user,
            "team": self.team,
            "project": self.project,
            "created_at": stamp(self.created_at),
            "last_used_at": stamp(self.last_used_at),
            "revoked_at": stamp(self.revoked_at),
        }


@dataclass(frozen=True)
class CreatedKey:
    info: ApiKeyInfo
    key: str  # the only time the full key exists outside the caller's hands

    def as_json(self) -> dict[str, Any]:
        i = self.info
        return {
            "id": i.id,
            "key": self.key,
            "prefix": i.prefix,
            "user": i.user,
            "team": i.team,
            "project": i.project,
        }


@dataclass(frozen=True)
class KeyIdentity:
    """Who a verified key is, and which projects it may see (resolved at verification time)."""

    key_id: int
    prefix: str
    user_id: int
    user: str
    team_id: int | None
    project: str | None  # set when the key is scoped to one project
    projects: tuple[str, ...]


def generate_key() -> str:
    return KEY_START + secrets.token_hex(16)


def key_prefix(key: str) -> str | None:
    """The lookup prefix of a well-formed key, or None for anything malformed (truncated, wrong start, ...)."""
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        return None
    return key[: len(KEY_START) + PREFIX_HEX]


def _hash(key: str, rounds: int) -> str:
    import bcrypt

    return bcrypt.hashpw(key.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def _check(key: str, hashed: str) -> bool:
    import bcrypt

    return bcrypt.checkpw(key.encode(), hashed.encode())


def _info_query() -> sa.Select[Any]:
    return (
        sa.select(
            api_keys.c.id,
            api_keys.c.prefix,
            api_keys.c.name,
            users.c.email.label("user"),
            teams.c.name.label("team"),
            projects.c.name.label("project"),
            api_keys.c.created_at,
            api_keys.c.last_used_at,
            api_keys.c.revoked_at,
        )
        .select_from(api_keys.join(users, users.c.id == api_keys.c.user_id))
        .outerjoin(teams, teams.c.id == api_keys.c.team_id)
        .outerjoin(projects, projects.c.id == api_keys.c.project_id)
    )


def _info(row: sa.Row[Any]) -> ApiKeyInfo:
    return ApiKeyInfo(*row)


def create_key(
    store: Store,
    *,
    name: str,
    user_email: str,
    team: str | None = None,
    project: str | None = None,
    rounds: int = DEFAULT_ROUNDS,
) -> CreatedKey:
    """Create a key, and its user, team and project when missing (a new project is owned by the user)."""
    with store.engine.begin() as conn:
        user_id = ensure_user(conn, user_email)
        team_id = ensure_team(conn, team) if team else None
        project_id = None
        if project:
            project_id = conn.execute(sa.select(projects.c.id).where(projects.c.name == project)).scalar()
            if project_id is None:
                project_id = insert_project(conn, project, user_id=user_id, team_id=team_id)
        for _ in range(5):  # a prefix clash (32 bits) is rare; draw again rather than fail
            key = generate_key()
            prefix = key_prefix(key)
            clash = conn.execute(sa.select(api_keys.c.id).where(api_keys.c.prefix == prefix)).scalar()
            if clash is None:
                break
        else:  # pragma: no cover - five clashes in a row mean a broken random source
            raise TokenBudgetError("could not draw a unique key prefix")
        key_id = conn.execute(
            sa.insert(api_keys)
            .values(
                prefix=prefix,
                key_hash=_hash(key, rounds),
                name=name,
                user_id=user_id,
                team_id=team_id,
                project_id=project_id,
                created_at=now(),
            )
            .returning(api_keys.c.id)
        ).scalar_one()
        row = conn.execute(_info_query().where(api_keys.c.id == key_id)).one()
    return CreatedKey(_info(row), key)


def list_keys(
    store: Store, *, user_email: str | None = None, include_revoked: bool = False
) -> list[ApiKeyInfo]:
    query = _info_query().order_by(api_keys.c.id)
    if user_email:
        query = query.where(users.c.email == user_email.strip().lower())
    if not include_revoked:
        query = query.where(api_keys.c.revoked_at.is_(None))
    with store.engine.connect() as conn:
        return [_info(row) for row in conn.execute(query)]


def revoke_key(store: Store, ref: str | int, *, user_id: int | None = None) -> ApiKeyInfo:
    """Revoke a key by id or prefix (optionally only among one user's keys). Revoking twice is harmless."""
    text = str(ref).strip()
    condition = api_keys.c.id == int(text) if text.isdigit() else api_keys.c.prefix == text
    if user_id is not None:
        condition = sa.and_(condition, api_keys.c.user_id == user_id)
    with store.engine.begin() as conn:
        row = conn.execute(_info_query().where(condition)).first()
        if row is None:
            raise NotFoundError(f"no API key {text!r}")
        if row.revoked_at is None:
            conn.execute(sa.update(api_keys).where(api_keys.c.id == row.id).values(revoked_at=now()))
        row = conn.execute(_info_query().where(api_keys.c.id == row.id)).one()
    return _info(row)


def authenticate(store: Store, key: str) -> KeyIdentity | None:
    """The identity of a valid, unrevoked key, else None (unknown, malformed and revoked look the same)."""
    prefix = key_prefix(key)
    if prefix is None:
        return None
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(
                api_keys.c.id,
                api_keys.c.key_hash,
                api_keys.c.user_id,
                api_keys.c.team_id,
                api_keys.c.project_id,
                api_keys.c.revoked_at,
                users.c.email,
                projects.c.name.label("project"),
            )
            .select_from(api_keys.join(users, users.c.id == api_keys.c.user_id))
            .outerjoin(projects, projects.c.id == api_keys.c.project_id)
            .where(api_keys.c.prefix == prefix)
        ).first()
        if row is None:
            # No bcrypt for an unknown prefix: the prefix is not secret, and a dummy check would let anyone
            # burn our CPU with random keys.
            return None
        if not _check(key, row.key_hash) or row.revoked_at is not None:
            return None
        scope = visible_projects(conn, user_id=row.user_id, team_id=row.team_id, project_id=row.project_id)
    with store.engine.begin() as conn:
        # Once per verification (not per request: the server caches verified keys), so this write is rare.
        conn.execute(sa.update(api_keys).where(api_keys.c.id == row.id).values(last_used_at=now()))
    return KeyIdentity(row.id, prefix, row.user_id, row.email, row.team_id, row.project, scope)


def refresh_scope(store: Store, identity: KeyIdentity) -> KeyIdentity | None:
    """Re-read a cached identity's project scope (after a project change); None once the key is revoked."""
    from dataclasses import replace

    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(api_keys.c.revoked_at, api_keys.c.project_id).where(api_keys.c.id == identity.key_id)
        ).first()
        if row is None or row.revoked_at is not None:
            return None
        scope = visible_projects(
            conn, user_id=identity.user_id, team_id=identity.team_id, project_id=row.project_id
        )
    return replace(identity, projects=scope)
