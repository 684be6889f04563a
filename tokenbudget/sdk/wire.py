"""Queue items to the canonical event JSON (`tokenbudget.core.events.EVENT_FIELDS`) that is stored or POSTed."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def to_wire(item: dict[str, Any]) -> dict[str, Any]:
    """A JSON-ready event. `occurred_at` travels in the queue as a float timestamp: cheap on the caller's thread."""
    out = dict(item)
    when = out.get("occurred_at")
    if isinstance(when, float):
        out["occurred_at"] = datetime.fromtimestamp(when, timezone.utc).isoformat()
    elif isinstance(when, datetime):
        out["occurred_at"] = (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).isoformat()
    cost = out.get("cost_usd")
    if cost is not None and not isinstance(cost, str):
        out["cost_usd"] = str(cost)
    return out
