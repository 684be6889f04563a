"""Opt-in notice of price changes for models a team actually uses (`tb pricing sync --notify`).

After a sync stored a new table, each alert channel is told about the changed rates of the models its scope called
in the last 30 days: an unconfined channel about every project's models, a project channel about its project's.
A channel whose scope used none of the changed models hears nothing. Sent once, directly (not through the budget
alert outbox: a missed notice is reported in the result, and the changes stay listed by `tb pricing changes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tokenbudget.core.alerts.channels import Channel
    from tokenbudget.core.pricing.sync import SyncResult
    from tokenbudget.core.store import Store

USAGE_WINDOW = timedelta(days=30)


@dataclass
class PriceNoticeResult:
    sent: list[str] = field(default_factory=list)  # channel names
    failed: list[dict[str, str]] = field(default_factory=list)  # {"channel", "error"}
    models: list[str] = field(default_factory=list)  # changed models someone used

    def to_json(self) -> dict[str, Any]:
        return {"models": self.models, "sent": self.sent, "failed": self.failed}


def used_models(store: Store, *, project: str | None, now: datetime) -> set[str]:
    """Price keys (else reported names) called in the last 30 days, in SQL (one GROUP BY)."""
    from tokenbudget.core.analytics import EventFilter, breakdown
    from tokenbudget.core.periods import Period

    period = Period(start=now - USAGE_WINDOW, end=now, label="30d")
    return {row.key for row in breakdown(store, period, EventFilter(project=project), by="model")}


def notice_payload(result: SyncResult, models: set[str], now: datetime) -> dict[str, Any] | None:
    """The webhook JSON for the changes of `models`, or None when none of them changed."""
    from tokenbudget.core.pricing.diff import rate_text

    changes = [
        {
            "model": c.model,
            "field": c.field,
            "change": c.change,
            "old": rate_text(c.old),
            "new": rate_text(c.new),
            "percent": None if c.percent is None else str(c.percent),
        }
        for c in result.diff.changed
        if c.model in models
    ]
    removed = sorted(p.key for p in result.diff.removed if p.key in models)
    if not changes and not removed:
        return None
    names = sorted({c["model"] for c in changes} | set(removed))
    return {
        "type": "price.change",
        "kind": "price_change",
        "message": f"Prices changed for {len(names)} model(s) you used in the last 30 days: {', '.join(names[:5])}"
        + ("…" if len(names) > 5 else ""),
        "price_version": result.new_version,
        "source": result.source,
        "detected_at": now.isoformat(),
        "changes": changes,
        "removed_models": removed,
    }


def notify_price_changes(
    store: Store, result: SyncResult, *, now: datetime | None = None, timeout_s: float = 10.0
) -> PriceNoticeResult:
    from tokenbudget.core.alerts.channels import DeliveryError, send
    from tokenbudget.core.store import alerts_repo

    now = now or datetime.now(timezone.utc)
    outcome = PriceNoticeResult()
    if not result.stored:
        return outcome
    used_by_scope: dict[str | None, set[str]] = {}
    notified: set[str] = set()
    channel: Channel
    for channel in alerts_repo.list_channels(store.engine):
        scope = channel.project
        if scope not in used_by_scope:
            used_by_scope[scope] = used_models(store, project=scope, now=now)
        payload = notice_payload(result, used_by_scope[scope], now)
        if payload is None:
            continue
        notified.update(c["model"] for c in payload["changes"])
        notified.update(payload["removed_models"])
        try:
            send(channel, payload, timeout_s=timeout_s)
            outcome.sent.append(channel.name)
        except DeliveryError as exc:
            outcome.failed.append({"channel": channel.name, "error": str(exc)})
    outcome.models = sorted(notified)
    return outcome
