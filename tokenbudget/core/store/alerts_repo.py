"""Alert channels, alerts and the delivery outbox.

`record_alert` is the only writer of alerts: INSERT ... ON CONFLICT DO NOTHING on the (budget, period start, kind,
threshold) key, and, in the same transaction, one pending delivery per channel. A losing concurrent checker inserts
nothing, so it also creates no deliveries. Deliveries are claimed with a lease (`claimed_until`): a conditional
UPDATE that only one dispatcher can win, and that a crashed dispatcher's lease no longer blocks once it lapses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tokenbudget.core.alerts.channels import Channel, ChannelError
from tokenbudget.core.store.schema import ALERT_KEY, alert_channels, alert_deliveries, alerts, budgets
from tokenbudget.core.store.sql import dialect_insert, row_by_ref, rows_in_projects

ERROR_MAX = 1000


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    alert_id: int
    attempts: int  # including the one just claimed
    channel: Channel
    payload: dict[str, Any]


def _channel(row: sa.Row[Any]) -> Channel:
    return Channel(
        id=row.id,
        name=row.name,
        kind=row.kind,
        url=row.url,
        secret=row.secret,
        project=row.project,
        created_at=row.created_at,
    )


# --- channels ------------------------------------------------------------------------------------------------


def add_channel(engine: sa.Engine, channel: Channel, now: datetime) -> Channel:
    with engine.begin() as conn:
        stmt = dialect_insert(conn, alert_channels).values(
            name=channel.name,
            kind=channel.kind,
            url=channel.url,
            secret=channel.secret,
            project=channel.project,
            created_at=now,
        )
        new_id = conn.execute(stmt.on_conflict_do_nothing().returning(alert_channels.c.id)).scalar()
        if new_id is None:
            raise ChannelError(f"a channel named {channel.name!r} already exists (remove it or pick --name)")
        row = conn.execute(sa.select(alert_channels).where(alert_channels.c.id == new_id)).one()
    return _channel(row)


def list_channels(engine: sa.Engine, *, projects: tuple[str, ...] | None = None) -> list[Channel]:
    rows = rows_in_projects(engine, alert_channels, projects=projects, order_by=alert_channels.c.name)
    return [_channel(row) for row in rows]


def get_channel(engine: sa.Engine, ref: str | int) -> Channel:
    return _channel(row_by_ref(engine, alert_channels, ref, "alert channel"))


def delete_channel(engine: sa.Engine, ref: str | int) -> Channel:
    found = get_channel(engine, ref)
    with engine.begin() as conn:
        conn.execute(sa.delete(alert_channels).where(alert_channels.c.id == found.id))
    return found


# --- alerts --------------------------------------------------------------------------------------------------


def record_alert(
    engine: sa.Engine, values: dict[str, Any], *, project: str | None, now: datetime
) -> int | None:
    """Insert the alert unless its key exists; with it, a pending delivery per matching channel.

    Returns the new alert id, or None when another checker (or an earlier run) already recorded it.
    Channels confined to a project get only that project's budgets' alerts; unconfined ones get all.
    """
    with engine.begin() as conn:
        stmt = dialect_insert(conn, alerts).values(**values)
        stmt = stmt.on_conflict_do_nothing(index_elements=list(ALERT_KEY)).returning(alerts.c.id)
        alert_id = conn.execute(stmt).scalar()
        if alert_id is None:
            return None
        wanted = alert_channels.c.project.is_(None)
        if project is not None:
            wanted = sa.or_(wanted, alert_channels.c.project == project)
        channel_ids = [row[0] for row in conn.execute(sa.select(alert_channels.c.id).where(wanted))]
        if channel_ids:
            conn.execute(
                sa.insert(alert_deliveries),
                [
                    {
                        "alert_id": alert_id,
                        "channel_id": cid,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for cid in channel_ids
                ],
            )
    return int(alert_id)


def list_alerts(
    engine: sa.Engine, *, limit: int = 50, budget: str | None = None, projects: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Newest first, each with its deliveries (channel, status, attempts, last error)."""
    query = (
        sa.select(alerts, budgets.c.name.label("budget"))
        .join(budgets, budgets.c.id == alerts.c.budget_id)
        .order_by(alerts.c.triggered_at.desc(), alerts.c.id.desc())
        .limit(limit)
    )
    if budget is not None:
        query = query.where(budgets.c.name == budget)
    if projects is not None:
        query = query.where(budgets.c.project.in_(projects))
    with engine.connect() as conn:
        rows = list(conn.execute(query))
        ids = [row.id for row in rows]
        deliveries: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            d = alert_deliveries.c
            for row in conn.execute(
                sa.select(
                    d.alert_id, d.id, d.status, d.attempts, d.last_error, d.delivered_at, d.next_attempt_at
                )
                .add_columns(alert_channels.c.name.label("channel"))
                .join(alert_channels, alert_channels.c.id == d.channel_id)
                .where(d.alert_id.in_(ids))
                .order_by(d.id)
            ):
                deliveries[row.alert_id].append(
                    {
                        "id": row.id,
                        "channel": row.channel,
                        "status": row.status,
                        "attempts": row.attempts,
                        "last_error": row.last_error,
                        "delivered_at": None if row.delivered_at is None else row.delivered_at.isoformat(),
                        "next_attempt_at": None
                        if row.status != "pending"
                        else row.next_attempt_at.isoformat(),
                    }
                )
    return [
        {
            "id": row.id,
            "budget": row.budget,
            "kind": row.kind,
            "threshold_pct": row.threshold_pct,
            "period_start": row.period_start.isoformat(),
            "period_end": row.period_end.isoformat(),
            "spent_usd": row.payload.get("spent_usd"),
            "limit_usd": row.payload.get("limit_usd"),
            "forecast_usd": row.payload.get("forecast_usd"),
            "message": row.message,
            "triggered_at": row.triggered_at.isoformat(),
            "deliveries": deliveries[row.id],
        }
        for row in rows
    ]


# --- the outbox ----------------------------------------------------------------------------------------------


def give_up_expired(engine: sa.Engine, now: datetime, max_attempts: int) -> int:
    """Deliveries whose last allowed attempt was claimed by a dispatcher that died: mark them failed."""
    d = alert_deliveries.c
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(alert_deliveries)
            .where(d.status == "pending", d.attempts >= max_attempts, d.claimed_until <= now)
            .values(
                status="failed",
                claimed_until=None,
                claimed_by=None,
                last_error=sa.func.coalesce(d.last_error, "dispatcher stopped during the last attempt"),
            )
        )
    return int(result.rowcount or 0)


def claim_due(
    engine: sa.Engine,
    *,
    now: datetime,
    lease_until: datetime,
    token: str,
    limit: int,
    max_attempts: int,
    exclude: set[int] | None = None,
) -> list[ClaimedDelivery]:
    """Claim up to `limit` due deliveries for this dispatcher (`token`), counting the attempt now.

    Counting at claim time (not after the send) bounds a delivery that crashes its dispatcher every time.
    """
    d = alert_deliveries.c
    free = sa.or_(d.claimed_until.is_(None), d.claimed_until <= now)
    due = [d.status == "pending", d.next_attempt_at <= now, d.attempts < max_attempts, free]
    if exclude:
        # Already tried in this run (e.g. a zero backoff): leave it to the next run rather than loop on it.
        due.append(d.id.not_in(exclude))
    with engine.connect() as conn:
        candidates = [
            row[0]
            for row in conn.execute(
                sa.select(d.id).where(*due).order_by(d.next_attempt_at, d.id).limit(limit)
            )
        ]
    claimed: list[int] = []
    for delivery_id in candidates:
        with engine.begin() as conn:
            # The WHERE repeats the conditions: of two dispatchers racing for a row, exactly one updates it.
            won = conn.execute(
                sa.update(alert_deliveries)
                .where(d.id == delivery_id, *due)
                .values(
                    claimed_until=lease_until,
                    claimed_by=token,
                    attempts=d.attempts + 1,
                    last_attempt_at=now,
                )
            ).rowcount
        if won == 1:
            claimed.append(delivery_id)
    if not claimed:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                d.id,
                d.alert_id,
                d.attempts,
                alerts.c.payload,
                *(c.label(f"ch_{c.name}") for c in alert_channels.c),
            )
            .join(alerts, alerts.c.id == d.alert_id)
            .join(alert_channels, alert_channels.c.id == d.channel_id)
            .where(d.id.in_(claimed), d.claimed_by == token)
            .order_by(d.id)
        )
        return [
            ClaimedDelivery(
                id=row.id,
                alert_id=row.alert_id,
                attempts=row.attempts,
                payload=dict(row.payload),
                channel=Channel(
                    id=row.ch_id,
                    name=row.ch_name,
                    kind=row.ch_kind,
                    url=row.ch_url,
                    secret=row.ch_secret,
                    project=row.ch_project,
                ),
            )
            for row in rows
        ]


def finish_delivery(
    engine: sa.Engine,
    delivery_id: int,
    *,
    token: str,
    status: str,
    now: datetime,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> bool:
    """Record the outcome of a claimed attempt; False if the lease was lost (another dispatcher took over)."""
    d = alert_deliveries.c
    values: dict[str, Any] = {"status": status, "claimed_until": None, "claimed_by": None}
    if status == "sent":
        values |= {"delivered_at": now, "last_error": None}
    else:
        values["last_error"] = (error or "unknown error")[:ERROR_MAX]
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(alert_deliveries).where(d.id == delivery_id, d.claimed_by == token).values(**values)
        )
    return result.rowcount == 1


def delivery_counts(engine: sa.Engine) -> dict[str, int]:
    d = alert_deliveries.c
    with engine.connect() as conn:
        return {
            row[0]: int(row[1])
            for row in conn.execute(sa.select(d.status, sa.func.count()).group_by(d.status))
        }
