"""Analytics endpoints give the CLI's numbers in the CLI's JSON shapes."""

from __future__ import annotations

from tests.server.conftest import LiveServer, event
from tokenbudget.core.analytics import EventFilter, build_report, report_to_json
from tokenbudget.core.periods import parse_period


def _seed(server: LiveServer) -> str:
    key = server.key("ana@example.com", project="web")
    rows = [
        event(
            i,
            occurred_at=f"2026-11-{10 + i % 5:02d}T{i % 24:02d}:15:00Z",
            model=m,
            feature=f,
            user_id=f"u{i % 3}",
        )
        for i, (m, f) in enumerate(
            [("gpt-4o", "search"), ("claude-sonnet-4-5", "chat"), ("mystery-1", "chat")] * 8
        )
    ]
    with server.client(key) as client:
        assert client.post("/v1/events/batch", json={"events": rows}).json()["accepted"] == 24
    return key


def test_report_equals_the_cli_json(server: LiveServer) -> None:
    key = _seed(server)
    period = "2026-11-01..2026-11-30"
    with server.client(key) as client:
        for by in ("model", "feature", "user", "day", "week", "month", "provider", "env", "project"):
            remote = client.get("/api/analytics/report", params={"period": period, "by": by}).json()
            local = report_to_json(
                build_report(server.store, parse_period(period), EventFilter(projects=("web",)), by=by)
            )
            assert remote == local, by
        filtered = client.get(
            "/api/analytics/report", params={"period": period, "feature": "chat", "top": 1}
        ).json()
    local = report_to_json(
        build_report(server.store, parse_period(period), EventFilter(feature="chat"), top=1)
    )
    assert filtered == local
    assert filtered["filters"] == {"feature": "chat"}
    assert filtered["totals"]["unpriced_requests"] == 8


def test_summary_breakdown_timeseries(server: LiveServer) -> None:
    key = _seed(server)
    period = "2026-11-01..2026-11-30"
    with server.client(key) as client:
        summary = client.get("/api/analytics/summary", params={"period": period}).json()
        assert set(summary) == {"period", "filters", "totals", "previous", "change"}
        assert summary["totals"]["requests"] == 24
        assert summary["change"] == {"cost_pct": None}
        breakdown = client.get("/api/analytics/breakdown", params={"period": period, "by": "model"}).json()
        assert set(breakdown) == {"period", "filters", "breakdown"}
        row = breakdown["breakdown"]["rows"][0]
        assert set(row) == {
            "key",
            "cost_usd",
            "requests",
            "input_tokens",
            "cache_read_input_tokens",
            "cache_write_input_tokens",
            "output_tokens",
            "reasoning_tokens",
            "unpriced_requests",
        }
        days = client.get("/api/analytics/timeseries", params={"period": period}).json()
        assert [r["key"] for r in days["rows"]] == [f"2026-11-{d}" for d in range(10, 15)]
        hours = client.get(
            "/api/analytics/timeseries", params={"period": period, "granularity": "hour"}
        ).json()
        assert hours["granularity"] == "hour" and sum(r["requests"] for r in hours["rows"]) == 24
        assert hours["rows"][0]["key"] == "2026-11-10T00:00:00Z"
        total = sum(int(r["cost_usd"].replace(".", "")) for r in hours["rows"])
        assert total == int(summary["totals"]["cost_usd"].replace(".", ""))
        assert (
            client.get(
                "/api/analytics/timeseries", params={"period": "90d", "granularity": "hour"}
            ).status_code
            == 422
        )
        assert client.get("/api/analytics/breakdown", params={"by": "colour"}).status_code == 422
        bad_period = client.get("/api/analytics/summary", params={"period": "fortnight"})
        assert bad_period.status_code == 400 and "unknown period" in bad_period.json()["detail"]


def test_redis_caches_analytics_answers_per_scope(make_server, redis_url: str, redis_prefix: str) -> None:
    server = make_server(redis_url=redis_url, redis_prefix=redis_prefix, analytics_cache_ttl_s=30)
    key = _seed(server)
    other = server.key("bob@example.com", project="bobs")
    with server.client(key) as client:
        first = client.get("/api/analytics/summary?period=all").json()
        assert client.post("/v1/events", json=event(500)).json()["accepted"] == 1
        cached = client.get("/api/analytics/summary?period=all").json()
    assert cached == first  # within the TTL, the cached answer
    with server.client(other) as client:
        assert client.get("/api/analytics/summary?period=all").json()["totals"]["requests"] == 0
    assert any(
        k.startswith(redis_prefix.encode())
        for k in server.state.redis.client.scan_iter(match=redis_prefix + "an:*")
    )
