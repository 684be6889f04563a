"""Table definitions (SQLAlchemy Core). The Alembic migrations in `migrations/versions` create exactly these.

Core tables rather than ORM classes: ingest and analytics are bulk statements, and nothing needs identity maps.
"""

from __future__ import annotations

import sqlalchemy as sa

from tokenbudget.core.events import MAX_ID, MAX_TEXT
from tokenbudget.core.store.types import UTCDateTime, big_pk, json_type

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

TEXT = MAX_TEXT  # the longest name/tag an event may carry


def _pk() -> sa.Column[int]:
    return sa.Column("id", big_pk(), primary_key=True, autoincrement=True)


def _created() -> sa.Column[object]:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


def _tokens(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


events = sa.Table(
    "events",
    metadata,
    _pk(),
    sa.Column("event_id", sa.String(MAX_ID), nullable=False, unique=True),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    sa.Column("project", sa.String(TEXT), nullable=False),
    sa.Column("provider", sa.String(MAX_ID)),
    sa.Column("model", sa.String(TEXT), nullable=False),  # as the source reported it
    sa.Column("price_key", sa.String(TEXT)),  # the price-table key that priced it (NULL when unpriced)
    _tokens("input_tokens"),
    _tokens("cache_read_input_tokens"),
    _tokens("cache_write_input_tokens"),
    _tokens("cache_write_1h_input_tokens"),
    _tokens("output_tokens"),
    _tokens("reasoning_tokens"),
    sa.Column("service_tier", sa.String(16)),
    # Exact cost in integer nano-USD: Decimal cost quantized to 1e-9 with ROUND_HALF_EVEN. Integers sum exactly
    # and identically on SQLite and PostgreSQL (SQLite has no exact decimal type). NULL means unpriced, never $0.
    sa.Column("cost_nanos", sa.BigInteger()),
    sa.Column("cost_status", sa.String(16), nullable=False),  # priced | unpriced | client_reported
    sa.Column("price_version", sa.String(80)),
    sa.Column("latency_ms", sa.Integer()),
    sa.Column("status", sa.String(16), nullable=False, server_default="ok"),  # ok | error
    sa.Column("request_id", sa.String(TEXT)),
    sa.Column("feature", sa.String(TEXT)),
    sa.Column("user_id", sa.String(TEXT)),
    sa.Column("env", sa.String(TEXT)),
    sa.Column("tags", json_type()),
    sa.Column("ingested_at", UTCDateTime(), nullable=False),
    sa.Index("ix_events_project_occurred_at", "project", "occurred_at"),
    sa.Index("ix_events_model_occurred_at", "model", "occurred_at"),
    sa.Index("ix_events_feature_occurred_at", "feature", "occurred_at"),
    # Partial index: `reprice --only-unpriced` finds the few unpriced rows without scanning the table.
    sa.Index(
        "ix_events_unpriced",
        "id",
        sqlite_where=sa.text("cost_status = 'unpriced'"),
        postgresql_where=sa.text("cost_status = 'unpriced'"),
    ),
)

# --- Report indexes: one covering index per engine, shaped for how that engine aggregates. ---
# Columns an aggregate reads; with all of them in the index a period scan never touches the wide rows (tags, ids).
REPORT_COLUMNS = (
    "cost_nanos",
    "cost_status",
    "status",
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_tokens",
)
# SQLite aggregates by sorting. Its index leads with the UTC day and the model key (the exact expressions that
# analytics.py groups by), so `GROUP BY day, model` streams in index order with no sort, and range scans stay
# covering. The expressions must stay textually identical to analytics.SQLITE_DAY / SQLITE_MODEL_KEY.
SQLITE_DAY_SQL = "substr(occurred_at, 1, 10)"
SQLITE_MODEL_KEY_SQL = "coalesce(price_key, model)"
sa.Index(
    "ix_events_report_sqlite",
    sa.text(SQLITE_DAY_SQL),
    sa.text(SQLITE_MODEL_KEY_SQL),
    # SQLite 3.40 counts an index as covering only if every referenced column is in it as a plain column.
    events.c.occurred_at,
    events.c.price_key,
    events.c.model,
    *(events.c[name] for name in REPORT_COLUMNS),
).ddl_if(dialect="sqlite")
sa.Index("ix_events_occurred_at", events.c.occurred_at).ddl_if(dialect="sqlite")
# PostgreSQL hash-aggregates, so plain time order is enough (index-only scans once autovacuum has run).
sa.Index(
    "ix_events_report",
    events.c.occurred_at,
    events.c.price_key,
    events.c.model,
    *(events.c[name] for name in REPORT_COLUMNS),
).ddl_if(dialect="postgresql")


# Daily rollup of events, kept in step by every write path of the store (events_insert, events_repo + rollups.py),
# so that a report over whole days reads a few thousand rollup rows instead of every event. Key columns are NOT NULL with ''
# standing for "none" (SQL UNIQUE treats NULLs as distinct, which would break the upsert); events store NULL, never ''.
# user_id is deliberately not a key (too many values): reports filtered or grouped by user read the events.
ROLLUP_KEYS = ("day", "project", "provider", "model", "price_key", "feature", "env", "cost_status", "status")
ROLLUP_SUMS = ("requests", "cost_nanos", *(f for f in REPORT_COLUMNS if f.endswith("_tokens")))
event_rollups = sa.Table(
    "event_rollups",
    metadata,
    _pk(),
    sa.Column("day", sa.Date(), nullable=False),  # UTC
    sa.Column("project", sa.String(TEXT), nullable=False),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("model", sa.String(TEXT), nullable=False),
    sa.Column("price_key", sa.String(TEXT), nullable=False),
    sa.Column("feature", sa.String(TEXT), nullable=False),
    sa.Column("env", sa.String(TEXT), nullable=False),
    sa.Column("cost_status", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    *(sa.Column(name, sa.BigInteger(), nullable=False) for name in ROLLUP_SUMS),
    sa.UniqueConstraint(*ROLLUP_KEYS, name="uq_event_rollups_key"),
)


price_versions = sa.Table(
    "price_versions",
    metadata,
    _pk(),
    sa.Column("version", sa.String(80), nullable=False, unique=True),
    sa.Column("source", sa.String(TEXT), nullable=False),
    sa.Column("content_hash", sa.String(128), nullable=False),
    sa.Column("model_count", sa.Integer(), nullable=False),
    _created(),
)

# Rates are decimal TEXT: SQLite has no exact NUMERIC, and a negotiated rate must come back digit for digit.
price_overrides = sa.Table(
    "price_overrides",
    metadata,
    _pk(),
    sa.Column("model", sa.String(TEXT), nullable=False, unique=True),  # lowercase
    sa.Column("provider", sa.String(64)),
    sa.Column("input_per_token", sa.String(64), nullable=False),
    sa.Column("output_per_token", sa.String(64), nullable=False),
    sa.Column("cache_read_per_token", sa.String(64)),
    sa.Column("cache_write_per_token", sa.String(64)),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

# --- Tables for later features (server, budgets, alerts). Kept minimal; later migrations extend them. ---

teams = sa.Table(
    "teams",
    metadata,
    _pk(),
    sa.Column("name", sa.String(TEXT), nullable=False, unique=True),
    _created(),
)

users = sa.Table(
    "users",
    metadata,
    _pk(),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(TEXT)),
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="SET NULL")),
    sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
    _created(),
)

projects = sa.Table(
    "projects",
    metadata,
    _pk(),
    sa.Column("name", sa.String(TEXT), nullable=False, unique=True),
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="SET NULL")),
    _created(),
    # Migration 0004: the owner, whose unscoped API keys see the project (core/tenants.py).
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="SET NULL"), index=True),
    sa.Column("description", sa.String(1000)),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    _pk(),
    # 'tb_ak_' + the first hex characters: looked up by this index, then one bcrypt check.
    sa.Column("prefix", sa.String(32), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(128), nullable=False),
    sa.Column("name", sa.String(TEXT)),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="SET NULL")),
    # SET NULL would widen a key's scope: core/tenants.py revokes a project's keys before deleting it.
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="SET NULL")),
    _created(),
    sa.Column("last_used_at", UTCDateTime()),
    sa.Column("revoked_at", UTCDateTime()),
)

# --- Budgets and alerts (migration 0005; see core/budgets.py and core/alerts/) ---

budgets = sa.Table(
    "budgets",
    metadata,
    _pk(),
    sa.Column("name", sa.String(TEXT), nullable=False, unique=True),
    sa.Column(
        "scope", sa.String(16), nullable=False
    ),  # global | project | feature | user | env | model | key
    sa.Column("scope_value", sa.String(TEXT)),
    # The project the budget is confined to (the tenant, for the API); NULL = every project.
    sa.Column("project", sa.String(TEXT), index=True),
    sa.Column("period", sa.String(16), nullable=False),  # daily | weekly | monthly
    sa.Column("timezone", sa.String(64)),  # IANA name; NULL = settings.timezone
    sa.Column("limit_nanos", sa.BigInteger(), nullable=False),  # same exact unit as events.cost_nanos
    sa.Column("thresholds", json_type(), nullable=False),  # e.g. [50, 80, 100] percent
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

alert_channels = sa.Table(
    "alert_channels",
    metadata,
    _pk(),
    sa.Column("name", sa.String(TEXT), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),  # slack | webhook
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.String(TEXT)),  # HMAC key for webhooks; NULL = unsigned
    sa.Column("project", sa.String(TEXT)),  # NULL = receives every budget's alerts
    _created(),
)

ALERT_KEY = ("budget_id", "period_start", "kind", "threshold_pct", "limit_nanos")
alerts = sa.Table(
    "alerts",
    metadata,
    _pk(),
    sa.Column("budget_id", sa.ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # threshold | forecast
    sa.Column("threshold_pct", sa.Integer(), nullable=False),  # forecast alerts: 100
    sa.Column("period_start", UTCDateTime(), nullable=False),
    sa.Column("period_end", UTCDateTime(), nullable=False),
    sa.Column("spent_nanos", sa.BigInteger(), nullable=False),
    sa.Column("limit_nanos", sa.BigInteger(), nullable=False),
    sa.Column("forecast_nanos", sa.BigInteger()),
    sa.Column("message", sa.String(1000), nullable=False),
    sa.Column("payload", json_type(), nullable=False),  # what the channels send, frozen at detection
    sa.Column("triggered_at", UTCDateTime(), nullable=False),
    # The idempotency key: however many checkers see a crossing at once, the database keeps one alert. The limit
    # is part of it, so that changing a budget's limit mid-period re-arms its thresholds (migration 0006).
    sa.UniqueConstraint(*ALERT_KEY, name="uq_alerts_budget_period_kind_threshold_limit"),
)

alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    _pk(),
    sa.Column("alert_id", sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("channel_id", sa.ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | sent | failed
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    # Lease: a dispatcher owns a delivery until claimed_until; after a crash the lease lapses and it is retried.
    sa.Column("claimed_until", UTCDateTime()),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("last_error", sa.String(1000)),
    sa.Column("last_attempt_at", UTCDateTime()),
    sa.Column("delivered_at", UTCDateTime()),
    _created(),
    sa.UniqueConstraint("alert_id", "channel_id", name="uq_alert_deliveries_alert_channel"),
    sa.Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
)

price_changes = sa.Table(
    "price_changes",
    metadata,
    _pk(),
    sa.Column("model", sa.String(TEXT), nullable=False, index=True),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("old_value", sa.String(64)),  # decimal text, NULL when the model is new
    sa.Column("new_value", sa.String(64)),  # decimal text, NULL when the model was removed
    sa.Column("price_version", sa.String(80)),
    sa.Column("detected_at", UTCDateTime(), nullable=False),
)

waitlist = sa.Table(
    "waitlist",
    metadata,
    _pk(),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("source", sa.String(TEXT)),
    _created(),
)
