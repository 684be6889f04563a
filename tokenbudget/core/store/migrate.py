"""Alembic glue. The migrations ship inside the package; every open brings the schema to head.

Loading Alembic's script directory costs hundreds of milliseconds, so `ensure_current` first compares the stored
revision with `HEAD_REVISION` (a test keeps the constant equal to the scripts' head) and only runs Alembic when they differ.
"""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from tokenbudget.core.errors import StoreError

HEAD_REVISION = "0006_alerts_rearm"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant works: it only has to be the same for every process that migrates this database.
_PG_MIGRATION_LOCK = 7_402_611_938
# Alembic keeps its migration context in module globals: one upgrade at a time per process.
_upgrade_lock = threading.Lock()


def current_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config(conn: sa.Connection | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def script_head_revision() -> str:
    """The head according to the migration scripts themselves (slow: loads every script)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StoreError("no migrations found in the package")
    return head


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    from alembic import command

    try:
        with _upgrade_lock, engine.begin() as conn:
            # Two processes opening a fresh database at once must not both create the tables: take the database's
            # write lock first (the loser waits, then finds the schema at head and Alembic does nothing).
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            else:
                # pysqlite opens no transaction before DDL by itself; SQLite's DDL is transactional.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            command.upgrade(alembic_config(conn), revision)
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise StoreError(f"migration failed: {reason}") from None


def ensure_current(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        if current_revision(conn) == HEAD_REVISION:
            return
    try:
        upgrade(engine)
    except StoreError:
        # On SQLite two processes opening a new file at once (the SDK and `tb`) can race on CREATE TABLE:
        # the loser is fine if the winner got the schema to head.
        with engine.connect() as conn:
            if current_revision(conn) == HEAD_REVISION:
                return
        raise
