"""Opt-in price-change notices: only models a channel's scope used, real receivers, both engines."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.core.test_alerts_delivery import SECRET, Receiver
from tests.core.test_pricing_sync_helpers import RAISED_MODEL, modified, raise_price
from tokenbudget.core.alerts.channels import Channel, slack_message
from tokenbudget.core.alerts.price_notice import notify_price_changes
from tokenbudget.core.pricing.sync import sync_prices
from tokenbudget.core.store import alerts_repo


def test_channels_hear_about_changed_models_their_scope_used(store: Any, event_factory: Any, tmp_path: Path):
    now = datetime.now(timezone.utc)
    store.insert_events(
        [
            event_factory(model=RAISED_MODEL, project="web", occurred_at=now - timedelta(days=2)),
            event_factory(model="claude-sonnet-4-5", project="batch", occurred_at=now - timedelta(days=1)),
        ]
    )
    everyone, web, batch = Receiver().start(), Receiver().start(), Receiver().start()
    try:
        for name, receiver, project in (
            ("all", everyone, None),
            ("web", web, "web"),
            ("batch", batch, "batch"),
        ):
            alerts_repo.add_channel(
                store.engine,
                Channel(name=name, kind="webhook", url=receiver.url, secret=SECRET, project=project),
                now,
            )
        raised = tmp_path / "raised.json"
        raised.write_bytes(modified(raise_price))
        result = sync_prices(store, str(raised), timeout=5.0)
        assert result.stored
        notice = notify_price_changes(store, result, now=now)
        assert sorted(notice.sent) == ["all", "web"] and notice.failed == []
        assert notice.models == [RAISED_MODEL]
        assert batch.requests == []  # the batch project never called the changed model
        payload = everyone.verified(0)
        assert payload["type"] == "price.change" and payload["price_version"] == result.new_version
        [change] = payload["changes"]
        assert change["model"] == RAISED_MODEL and Decimal(change["new"]) > Decimal(change["old"])
        assert json.loads(web.requests[0]["body"])["changes"] == payload["changes"]
        text = slack_message(payload)["blocks"][1]["text"]["text"]
        assert RAISED_MODEL in text and "→" in text
        # nothing new stored by a second identical sync: nothing to tell
        again = sync_prices(store, str(raised), timeout=5.0)
        assert not again.stored and notify_price_changes(store, again).sent == []
    finally:
        for receiver in (everyone, web, batch):
            receiver.stop()
