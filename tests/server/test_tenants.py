"""Tenant isolation: for every /api endpoint, one user's key never sees, changes or deletes another's data."""

from __future__ import annotations

import pytest

from tests.server.conftest import LiveServer, event
from tokenbudget.core import keys

ANALYTICS = [
    "/api/analytics/report?period=all",
    "/api/analytics/summary?period=all",
    "/api/analytics/breakdown?period=all&by=project",
    "/api/analytics/timeseries?period=all&granularity=day",
]


@pytest.fixture
def two_tenants(server: LiveServer) -> tuple[str, str]:
    ana = server.key("ana@example.com", project="ana-web")
    bob = server.key("bob@example.com", project="bob-app")
    with server.client(ana) as client:
        assert (
            client.post("/v1/events/batch", json={"events": [event(i) for i in range(3)]}).json()["accepted"]
            == 3
        )
    with server.client(bob) as client:
        body = {"events": [event(100 + i, input_tokens=5000) for i in range(7)]}
        assert client.post("/v1/events/batch", json=body).json()["accepted"] == 7
    return ana, bob


def test_analytics_only_count_the_callers_projects(server: LiveServer, two_tenants) -> None:
    ana, bob = two_tenants
    with server.client(ana) as client:
        report = client.get(ANALYTICS[0]).json()
        assert report["totals"]["requests"] == 3
        assert client.get(ANALYTICS[1]).json()["totals"]["requests"] == 3
        rows = client.get(ANALYTICS[2]).json()["breakdown"]["rows"]
        assert [r["key"] for r in rows] == ["ana-web"]
        assert sum(r["requests"] for r in client.get(ANALYTICS[3]).json()["rows"]) == 3
        # Naming the other tenant's project as a filter finds nothing (and reveals nothing).
        for url in ANALYTICS:
            data = client.get(url + "&project=bob-app").json()
            assert data.get("totals", {"requests": 0})["requests"] == 0
            assert not data.get("rows", data.get("breakdown", {}).get("rows", []))
    with server.client(bob) as client:
        assert client.get(ANALYTICS[0]).json()["totals"]["requests"] == 7


def test_projects_of_another_user_are_404(server: LiveServer, two_tenants) -> None:
    ana, _ = two_tenants
    with server.client(ana) as client:
        assert [p["name"] for p in client.get("/api/projects").json()["projects"]] == ["ana-web"]
        assert client.get("/api/projects/ana-web").status_code == 200
        assert client.get("/api/projects/bob-app").status_code == 404
        assert client.get("/api/projects/nope").json() == client.get("/api/projects/bob-app").json() | {
            "detail": "no project named 'nope'"
        }
        assert client.patch("/api/projects/bob-app", json={"description": "mine"}).status_code == 404
        assert client.patch("/api/projects/bob-app", json={"name": "stolen"}).status_code == 404
        assert client.delete("/api/projects/bob-app").status_code == 404
    from tokenbudget.core.tenants import get_project

    assert get_project(server.store, "bob-app").description is None
    assert server.store.count_events() == 10


def test_keys_endpoints_only_show_and_revoke_own_keys(server: LiveServer, two_tenants) -> None:
    ana, bob = two_tenants
    with server.client(ana) as client:
        prefixes = {k["prefix"] for k in client.get("/api/keys").json()["keys"]}
        assert prefixes == {keys.key_prefix(ana)}
        assert client.delete(f"/api/keys/{keys.key_prefix(bob)}").status_code == 404


def test_ingest_cannot_write_into_another_tenants_project(server: LiveServer, two_tenants) -> None:
    ana, _ = two_tenants
    with server.client(ana) as client:
        data = client.post("/v1/events", json=event(999, project="bob-app")).json()
    assert data["accepted"] == 0 and data["rejected"]


def test_unscoped_key_manages_its_own_projects(server: LiveServer, two_tenants) -> None:
    ana_all = server.key("ana@example.com")
    with server.client(ana_all) as client:
        created = client.post("/api/projects", json={"name": "ana-batch", "description": "nightly"})
        assert created.status_code == 201 and created.json()["owner"] == "ana@example.com"
        assert client.post("/api/projects", json={"name": "bob-app"}).status_code == 409
        names = [p["name"] for p in client.get("/api/projects").json()["projects"]]
        assert names == ["ana-batch", "ana-web"]
        assert client.post("/v1/events", json=event(50, project="ana-batch")).json()["accepted"] == 1
        renamed = client.patch("/api/projects/ana-batch", json={"name": "ana-nightly"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "ana-nightly"
        report = client.get("/api/analytics/breakdown?period=all&by=project").json()
        assert {r["key"]: r["requests"] for r in report["breakdown"]["rows"]} == {
            "ana-web": 3,
            "ana-nightly": 1,
        }
        deleted = client.delete("/api/projects/ana-nightly")
        assert deleted.json() == {"deleted": "ana-nightly", "events_deleted": 1}
        assert client.get("/api/analytics/summary?period=all").json()["totals"]["requests"] == 3
    assert server.store.count_events() == 10


def test_project_scoped_key_cannot_create_projects(server: LiveServer, two_tenants) -> None:
    ana, _ = two_tenants
    with server.client(ana) as client:
        response = client.post("/api/projects", json={"name": "more"})
    assert response.status_code == 403


def test_deleting_a_project_revokes_its_keys_instead_of_widening_them(
    server: LiveServer, two_tenants
) -> None:
    ana, _ = two_tenants
    owner = server.key("ana@example.com")
    server.key("ana@example.com", project="ana-other")
    with server.client(owner) as client:
        assert client.delete("/api/projects/ana-web").status_code == 200
    with server.client(ana) as client:
        # Its project is gone: the key must not fall back to every project of its user.
        assert client.get("/api/projects").status_code == 401
