"""POST /api/admin/sync-pricing and GET /api/price-changes on a real server, both engines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.core.test_pricing_sync_helpers import RAISED_MODEL, modified, raise_price
from tests.server.conftest import ServerFactory

ADMIN = "admin-secret-for-tests"


def test_admin_sync_then_changes_and_new_prices_at_ingest(make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(admin_key=ADMIN)
    key = server.key("ana@example.com", project="web")
    raised = tmp_path / "raised.json"
    raised.write_bytes(modified(raise_price))

    with server.client() as admin:
        admin.headers["X-Admin-Key"] = ADMIN
        dry = admin.post("/api/admin/sync-pricing", json={"source": str(raised), "dry_run": True})
        assert dry.status_code == 200, dry.text
        assert dry.json()["changed"] is True and dry.json()["dry_run"] is True
        done = admin.post("/api/admin/sync-pricing", json={"source": str(raised)})
        assert done.status_code == 200 and done.json()["stored"] is True
        missing = admin.post("/api/admin/sync-pricing", json={"source": str(tmp_path / "nope.json")})
        assert missing.status_code == 502 and "nope.json" in missing.json()["detail"]
    with server.client() as anonymous:
        assert anonymous.post("/api/admin/sync-pricing", json={}).status_code in (401, 403)

    with server.client(key) as client:
        changes = client.get("/api/price-changes", params={"since": "1d"})
        assert changes.status_code == 200
        [row] = [c for c in changes.json()["changes"] if c["model"] == RAISED_MODEL]
        assert row["field"] == "input_cost_per_token" and row["change"] == "changed"
        assert Decimal(row["new"]) > Decimal(row["old"])
        # the server prices new calls with the synced table at once
        posted = client.post("/v1/events", json={"model": RAISED_MODEL, "input_tokens": 1_000_000})
        assert posted.status_code == 202, posted.text
        report = client.get("/api/analytics/report", params={"period": "1d"}).json()
        assert Decimal(report["totals"]["cost_usd"]) == Decimal(row["new"]) * 1_000_000
    assert server.client().get("/api/price-changes").status_code == 401
