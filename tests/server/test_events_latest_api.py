"""GET /api/events/latest: the newest calls of the caller's projects only, with the TUI's filters."""

from __future__ import annotations

from tests.server.conftest import LiveServer, event
from tokenbudget.core.analytics import EventFilter
from tokenbudget.server.routers.events import event_json

FIELDS = {
    "event_id",
    "occurred_at",
    "project",
    "provider",
    "model",
    "price_key",
    "feature",
    "user_id",
    "env",
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_usd",
    "cost_status",
    "latency_ms",
    "status",
}


def _post(server: LiveServer, key: str, rows: list[dict[str, object]]) -> None:
    with server.client(key) as client:
        assert client.post("/v1/events/batch", json={"events": rows}).json()["accepted"] == len(rows)


def _seed(server: LiveServer) -> tuple[str, str]:
    """ana (project web) has 12 calls; bob (project ops, another tenant) has 5 newer ones."""
    ana = server.key("ana@example.com", project="web")
    bob = server.key("bob@example.com", project="ops")
    _post(
        server,
        ana,
        [
            event(
                i,
                occurred_at=f"2026-11-20T10:{i:02d}:00Z",
                model=("gpt-4o", "mystery-1")[i % 2],
                feature=("search", "chat")[i % 3 == 0],
                user_id=f"u{i % 2}",
                latency_ms=100 + i,
                status="error" if i == 4 else "ok",
            )
            for i in range(12)
        ],
    )
    _post(server, bob, [event(100 + i, occurred_at=f"2026-11-20T11:{i:02d}:00Z") for i in range(5)])
    return ana, bob


def test_newest_first_in_the_callers_scope_only(server: LiveServer) -> None:
    ana, bob = _seed(server)
    with server.client(ana) as client:
        body = client.get("/api/events/latest").json()
    events = body["events"]
    assert set(body) == {"events"} and len(events) == 12
    assert {e["project"] for e in events} == {"web"}  # bob's newer calls never show
    assert [e["occurred_at"] for e in events] == sorted((e["occurred_at"] for e in events), reverse=True)
    assert all(set(e) == FIELDS for e in events)
    # Exactly the store's newest events of the caller's projects, serialised.
    local = server.store.latest_events(50, EventFilter(projects=("web",)))
    assert events == [event_json(e) for e in local]
    newest = events[0]
    assert newest["event_id"] == "ev-11" and newest["occurred_at"].startswith("2026-11-20T10:11:00")
    assert (newest["model"], newest["latency_ms"], newest["input_tokens"]) == ("mystery-1", 111, 1000)
    assert newest["cost_usd"] is None and newest["cost_status"] == "unpriced"
    priced = next(e for e in events if e["model"] == "gpt-4o")
    assert priced["cost_status"] == "priced" and priced["price_key"]
    assert len(priced["cost_usd"].split(".")[1]) == 9  # a decimal string, never a float
    assert next(e for e in events if e["event_id"] == "ev-4")["status"] == "error"
    with server.client(bob) as client:
        theirs = client.get("/api/events/latest").json()["events"]
    assert [e["event_id"] for e in theirs] == [f"ev-{100 + i}" for i in reversed(range(5))]
    assert {e["project"] for e in theirs} == {"ops"}


def test_filters_and_limit(server: LiveServer) -> None:
    ana, _ = _seed(server)
    with server.client(ana) as client:

        def ids(**params: object) -> list[str]:
            response = client.get("/api/events/latest", params=params)
            assert response.status_code == 200, response.text
            return [e["event_id"] for e in response.json()["events"]]

        assert ids(limit=3) == ["ev-11", "ev-10", "ev-9"]
        assert ids(limit=1) == ["ev-11"]
        assert len(ids(limit=500)) == 12
        assert ids(feature="chat") == ["ev-9", "ev-6", "ev-3", "ev-0"]
        assert ids(model="gpt-4o", limit=2) == ["ev-10", "ev-8"]
        assert ids(model="gpt-4o", feature="chat") == ["ev-6", "ev-0"]
        assert len(ids(project="web")) == 12
        # Another tenant's project, or one that does not exist: nothing, never their calls.
        assert ids(project="ops") == []
        assert ids(project="nowhere") == []
        for bad in (0, -1, 501, "many"):
            response = client.get("/api/events/latest", params={"limit": bad})
            assert response.status_code == 422, bad


def test_needs_a_key(server: LiveServer) -> None:
    _seed(server)
    with server.client() as client:
        assert client.get("/api/events/latest").status_code == 401
    with server.client("tb_ak_notavalidkey_0000000000") as client:
        assert client.get("/api/events/latest").status_code == 401
