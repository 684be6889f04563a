"""/api/budgets and /api/alerts on a real uvicorn server, both engines: CRUD, status, tenant scoping, channels."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.core.test_alerts_delivery import SECRET, Receiver
from tests.server.conftest import LiveServer, event


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def server(make_server) -> LiveServer:
    # The receivers of these tests listen on 127.0.0.1, a private address the server refuses by default.
    return make_server(webhook_allow_private=True)


@pytest.fixture
def tenants(server: LiveServer) -> tuple[str, str]:
    ana = server.key("ana@example.com", project="ana-web")
    bob = server.key("bob@example.com", project="bob-app")
    with server.client(ana) as client:
        assert (
            client.post("/v1/events/batch", json={"events": [event(i) for i in range(3)]}).status_code == 202
        )
    return ana, bob


def test_budget_crud_and_status(server: LiveServer, tenants) -> None:
    ana, _ = tenants
    with server.client(ana) as client:
        created = client.post(
            "/api/budgets",
            json={"name": "web", "scope": "feature:search", "period": "monthly", "limit_usd": "0.01"},
        )
        assert created.status_code == 201, created.text
        budget = created.json()
        assert (budget["project"], budget["scope"], budget["limit_usd"], budget["thresholds"]) == (
            "ana-web",
            "feature:search",
            "0.010000000",
            [50, 80, 100],
        )
        assert client.post("/api/budgets", json={"name": "web", "limit_usd": 1}).status_code == 409
        bid = budget["id"]
        assert client.get(f"/api/budgets/{bid}").json()["name"] == "web"
        assert [b["name"] for b in client.get("/api/budgets").json()["budgets"]] == ["web"]
        patched = client.patch(f"/api/budgets/{bid}", json={"limit_usd": "100", "thresholds": [90]})
        assert patched.json()["limit_usd"] == "100.000000000" and patched.json()["thresholds"] == [90]
        status = client.get(f"/api/budgets/{bid}/status").json()
        assert {"spent_usd", "percent", "forecast_usd", "run_out_at", "period_start", "state"} <= set(status)
        assert Decimal(status["spent_usd"]) >= 0
        bad = client.post("/api/budgets", json={"name": "x", "limit_usd": "-1"})
        assert bad.status_code == 422 and "limit" in bad.json()["detail"]
        assert (
            client.post("/api/budgets", json={"name": "y", "limit_usd": 1, "scope": "team:a"}).status_code
            == 422
        )
        assert client.delete(f"/api/budgets/{bid}").json() == {"deleted": "web"}
        assert client.get(f"/api/budgets/{bid}").status_code == 404


def test_budgets_are_scoped_to_the_callers_projects(server: LiveServer, tenants) -> None:
    ana, bob = tenants
    with server.client(ana) as client:
        bid = client.post("/api/budgets", json={"name": "ana", "limit_usd": 5}).json()["id"]
        assert client.post(
            "/api/budgets", json={"name": "z", "limit_usd": 5, "project": "bob-app"}
        ).status_code in (403, 404)
    with server.client(bob) as client:
        assert client.get("/api/budgets").json() == {"budgets": []}
        for method, url in (
            ("GET", f"/api/budgets/{bid}"),
            ("GET", f"/api/budgets/{bid}/status"),
            ("DELETE", f"/api/budgets/{bid}"),
        ):
            assert client.request(method, url).status_code == 404
        assert client.patch(f"/api/budgets/{bid}", json={"limit_usd": 1}).status_code == 404
        assert client.get("/api/alerts").json() == {"alerts": []}
    with server.client() as anonymous:
        assert anonymous.get("/api/budgets").status_code == 401


def test_all_budget_statuses_of_the_callers_projects(server: LiveServer, tenants) -> None:
    from tokenbudget.core.budgets import all_statuses

    ana, bob = tenants
    with server.client(ana) as client:
        for name, limit in (("ana-a", "0.01"), ("ana-b", "100")):
            assert client.post("/api/budgets", json={"name": name, "limit_usd": limit}).status_code == 201
        statuses = client.get("/api/budgets/status")  # not taken by /{budget_id}
    with server.client(bob) as client:
        assert client.post("/api/budgets", json={"name": "bob", "limit_usd": 1}).status_code == 201
        assert [b["name"] for b in client.get("/api/budgets/status").json()["budgets"]] == ["bob"]
    assert statuses.status_code == 200, statuses.text
    got = statuses.json()["budgets"]
    assert [b["name"] for b in got] == ["ana-a", "ana-b"]
    local = {s.budget.name: s.as_json() for s in all_statuses(server.store, projects=("ana-web",))}
    for status in got:
        expected = local[status["name"]]
        assert set(status) == set(expected)
        moving = ("forecast_usd", "forecast_percent", "burn_rate_usd_per_day", "run_out_at")
        assert {k: v for k, v in status.items() if k not in moving} == {
            k: v for k, v in expected.items() if k not in moving
        }
    assert Decimal(got[0]["spent_usd"]) > 0 and got[0]["state"] in ("over", "at_risk", "warning")
    with server.client() as anonymous:
        assert anonymous.get("/api/budgets/status").status_code == 401


def test_alert_channels_and_history(server: LiveServer, tenants, receiver) -> None:
    ana, bob = tenants
    with server.client(ana) as client:
        added = client.post(
            "/api/alerts/channels",
            json={"kind": "webhook", "url": receiver.url, "secret": SECRET, "name": "a"},
        )
        assert added.status_code == 201, added.text
        channel = added.json()
        assert (channel["project"], channel["signed"]) == ("ana-web", True)
        assert (
            client.post("/api/alerts/channels", json={"kind": "webhook", "url": "ftp://x"}).status_code == 422
        )
        tested = client.post(f"/api/alerts/channels/{channel['id']}/test").json()
        assert tested == {"delivered": True, "status_code": 200}
        assert receiver.verified(0)["type"] == "test"
        client.post("/api/budgets", json={"name": "tiny", "limit_usd": "0.000001", "thresholds": [100]})
        now = datetime.now(timezone.utc).isoformat()
        assert client.post("/v1/events", json=event(99, occurred_at=now)).status_code == 202
    # The server detects the crossing after ingest, off the request path, and delivers it: no cron needed.
    deadline = time.monotonic() + 30
    while len(receiver.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    alert = receiver.verified(1)
    assert alert["budget"]["name"] == "tiny" and alert["threshold_pct"] == 100
    with server.client(ana) as client:
        alerts = client.get("/api/alerts").json()["alerts"]
        assert alerts[0]["budget"] == "tiny" and alerts[0]["deliveries"][0]["status"] == "sent"
        assert [c["name"] for c in client.get("/api/alerts/channels").json()["channels"]] == ["a"]
    with server.client(bob) as client:
        assert client.get("/api/alerts/channels").json() == {"channels": []}
        assert client.get("/api/alerts").json() == {"alerts": []}
        assert client.delete(f"/api/alerts/channels/{channel['id']}").status_code == 404
        assert client.post(f"/api/alerts/channels/{channel['id']}/test").status_code == 404
    with server.client(ana) as client:
        assert client.delete(f"/api/alerts/channels/{channel['id']}").json() == {"deleted": "a"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:8080/hook",  # a name, resolved (from /etc/hosts) to loopback
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/hook",  # shared address space
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # IPv4 loopback written as IPv6
        "http://0.0.0.0/hook",
    ],
)
def test_api_callers_cannot_point_channels_at_private_addresses(make_server, url: str) -> None:
    server: LiveServer = make_server()  # TOKENBUDGET_WEBHOOK_ALLOW_PRIVATE unset
    ana = server.key("ana@example.com", project="ana-web")
    with server.client(ana) as client:
        refused = client.post("/api/alerts/channels", json={"kind": "webhook", "url": url})
        assert refused.status_code == 422, refused.text
        assert "not a public address" in refused.json()["detail"]
        # A public address is accepted (nothing is sent when a channel is added).
        public = client.post(
            "/api/alerts/channels", json={"kind": "webhook", "url": "https://93.184.216.34/x"}
        )
        assert public.status_code == 201, public.text
        assert [c["url"] for c in client.get("/api/alerts/channels").json()["channels"]] == [
            "https://93.184.216.34/x"
        ]


def test_test_send_rechecks_the_destination(make_server, receiver) -> None:
    # A channel to a private address added by the database's owner (tb alerts add, not restricted) cannot be
    # used by an API caller to probe that address.
    server: LiveServer = make_server()
    ana = server.key("ana@example.com", project="ana-web")
    from tokenbudget.core.alerts import channels
    from tokenbudget.core.store import alerts_repo

    added = alerts_repo.add_channel(
        server.store.engine,
        channels.Channel(name="local", kind="webhook", url=receiver.url, secret=None, project="ana-web"),
        datetime.now(timezone.utc),
    )
    with server.client(ana) as client:
        tested = client.post(f"/api/alerts/channels/{added.id}/test")
    assert tested.status_code == 422 and "not a public address" in tested.json()["detail"]
    assert receiver.requests == []
