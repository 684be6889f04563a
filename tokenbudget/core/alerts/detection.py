"""Detection: turn budget statuses into alerts, each recorded once whatever the number of concurrent checkers.

Python only decides which alerts *could* exist now; the UNIQUE key on alerts decides which one is new
(store/alerts_repo.record_alert). Threshold alerts: one per crossed threshold per period. Forecast alert: one per
period, when the forecast reaches the limit while the spend is still below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tokenbudget.core.budgets import BudgetStatus, all_statuses, money, percent_of

if TYPE_CHECKING:
    from tokenbudget.core.store import Store

NANOS = Decimal(1_000_000_000)
FORECAST_KEY = 100  # forecast alerts are keyed as "the 100% line, predicted"


@dataclass(frozen=True)
class NewAlert:
    id: int
    budget: str
    kind: str
    threshold_pct: int
    message: str


def payload(status: BudgetStatus, kind: str, threshold: int, alert_id: int | None = None) -> dict[str, Any]:
    """The documented webhook payload (README "Webhook payload"); frozen into the alert row at detection."""
    b = status.budget
    f = status.forecast
    return {
        "type": f"budget.{kind}",
        "kind": kind,
        "alert_id": alert_id,
        "threshold_pct": threshold,
        "budget": {
            "id": b.id,
            "name": b.name,
            "scope": b.scope_label,
            "project": b.project,
            "period": b.period,
            "timezone": status.timezone,
        },
        "period": {"start": status.period.start.isoformat(), "end": status.period.end.isoformat()},
        "spent_usd": money(status.spent_usd),
        "limit_usd": money(status.limit_usd),
        "percent": str(status.percent),
        "forecast_usd": money(f.projected_usd),
        "forecast_percent": str(percent_of(f.projected_usd, status.limit_usd)),
        "run_out_at": None if f.run_out_at is None else f.run_out_at.isoformat(),
        "message": message(status, kind, threshold),
        "triggered_at": status.now.isoformat(),
    }


def message(status: BudgetStatus, kind: str, threshold: int) -> str:
    b = status.budget
    spent = f"${money(status.spent_usd)} of ${money(status.limit_usd)} ({status.percent}%)"
    if kind == "forecast":
        return (
            f"Budget {b.name} ({b.scope_label}, {b.period}) is forecast to exceed its limit: "
            f"${money(status.forecast.projected_usd)} projected; {spent} spent so far"
        )
    return f"Budget {b.name} ({b.scope_label}, {b.period}) crossed {threshold}%: {spent} spent"


def candidates(status: BudgetStatus) -> list[tuple[str, int]]:
    found = [("threshold", t) for t in status.crossed]
    if status.spent_usd < status.limit_usd <= status.forecast.projected_usd:
        found.append(("forecast", FORECAST_KEY))
    return found


def record(store: Store, status: BudgetStatus, kind: str, threshold: int) -> int | None:
    from tokenbudget.core.store import alerts_repo

    data = payload(status, kind, threshold)
    values = {
        "budget_id": status.budget.id,
        "kind": kind,
        "threshold_pct": threshold,
        "period_start": status.period.start,
        "period_end": status.period.end,
        "spent_nanos": int(status.spent_usd * NANOS),
        "limit_nanos": int(status.limit_usd * NANOS),
        "forecast_nanos": int(status.forecast.projected_usd * NANOS),
        "message": data["message"][:1000],
        "payload": data,
        "triggered_at": status.now,
    }
    return alerts_repo.record_alert(store.engine, values, project=status.budget.project, now=status.now)


def detect(
    store: Store,
    *,
    default_timezone: str = "UTC",
    now: datetime | None = None,
    statuses: list[BudgetStatus] | None = None,
) -> list[NewAlert]:
    """Record the alerts every budget calls for now; return only those this call created."""
    now = now or datetime.now(timezone.utc)
    if statuses is None:
        statuses = all_statuses(store, default_timezone=default_timezone, now=now)
    created: list[NewAlert] = []
    for status in statuses:
        for kind, threshold in candidates(status):
            alert_id = record(store, status, kind, threshold)
            if alert_id is not None:
                created.append(
                    NewAlert(alert_id, status.budget.name, kind, threshold, message(status, kind, threshold))
                )
    return created
