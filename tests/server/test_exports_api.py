"""GET /api/exports/csv|pdf through a real uvicorn server: streamed, scoped to the key's projects, equal to the
report. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tests.core.test_exports_pdf import pdf_text, render_page
from tests.server.conftest import TEST_ROUNDS, LiveServer, free_socket
from tokenbudget.core.analytics import EventFilter, build_report
from tokenbudget.core.exports import EVENT_CSV_COLUMNS
from tokenbudget.core.periods import parse_period
from tokenbudget.core.settings import Settings

NOW = datetime.now(timezone.utc)


def _start(settings: Settings) -> LiveServer:
    """A live server whose app has the exports router (mounted here too until app.py registers it)."""
    import uvicorn

    from tokenbudget.server import create_app
    from tokenbudget.server.routers import exports

    app = create_app(settings)
    if not any(getattr(route, "path", "").startswith("/api/exports") for route in app.routes):
        app.include_router(exports.router)
    sock = free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{sock.getsockname()[1]}", app, server, thread)


@pytest.fixture
def live(store_settings: Settings, event_factory: Any) -> Iterator[LiveServer]:
    server = _start(store_settings)
    events = []
    for i in range(300):
        events.append(
            event_factory(
                occurred_at=NOW - timedelta(hours=i),
                project=("web", "api", "batch")[i % 3],
                feature=("chat", "search")[i % 2],
                user_id=f"u{i % 7}",
                cost=Decimal("0.000314159") * (i % 11 + 1),
                tags={"i": str(i)},
            )
        )
    events.append(event_factory(occurred_at=NOW - timedelta(hours=1), project="web", model="acme", cost=None))
    server.store.insert_events(events)
    try:
        yield server
    finally:
        server.stop()


def _key(server: LiveServer, user: str, project: str | None = None) -> str:
    from tokenbudget.core.keys import create_key

    return create_key(server.store, name="k", user_email=user, project=project, rounds=TEST_ROUNDS).key


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == EVENT_CSV_COLUMNS
    return list(reader)


def test_csv_is_streamed_and_scoped_to_the_keys_project(live: LiveServer) -> None:
    key = _key(live, "ana@example.com", project="web")
    with (
        live.client(key) as client,
        client.stream("GET", "/api/exports/csv", params={"period": "30d"}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "content-length" not in response.headers  # chunked: streamed, not built in memory
        assert 'filename="tokenbudget-events-30d.csv"' in response.headers["content-disposition"]
        chunks = list(response.iter_text())
    rows = _rows("".join(chunks))
    assert {r["project"] for r in rows} == {"web"}
    report = build_report(live.store, parse_period("30d"), EventFilter(project="web"))
    assert len(rows) == report.totals.requests == 101
    assert sum((Decimal(r["cost_usd"]) for r in rows if r["cost_usd"]), Decimal(0)) == report.totals.cost_usd
    assert sum(1 for r in rows if r["cost_status"] == "unpriced") == 1


def test_csv_filters_and_an_out_of_scope_project(live: LiveServer) -> None:
    key = _key(live, "bo@example.com", project="api")
    with live.client(key) as client:
        own = client.get("/api/exports/csv", params={"period": "7d", "project": "api", "feature": "chat"})
        other = client.get("/api/exports/csv", params={"period": "30d", "project": "web"})
    rows = _rows(own.text)
    expected = build_report(live.store, parse_period("7d"), EventFilter(project="api", feature="chat")).totals
    assert len(rows) == expected.requests > 0
    assert sum(Decimal(r["cost_usd"]) for r in rows) == expected.cost_usd
    assert other.status_code == 200 and _rows(other.text) == []  # another tenant's project: nothing


def test_summary_csv_equals_the_report(live: LiveServer) -> None:
    key = _key(live, "ana@example.com", project="web")
    with live.client(key) as client:
        response = client.get(
            "/api/exports/csv", params={"period": "30d", "summary": "true", "by": "feature"}
        )
        bad = client.get("/api/exports/csv", params={"summary": "true", "by": "colour"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    report = build_report(live.store, parse_period("30d"), EventFilter(project="web"), by="feature")
    assert [(r["key"], Decimal(r["cost_usd"])) for r in rows] == [(r.key, r.cost_usd) for r in report.rows]
    assert bad.status_code == 422


def test_pdf_is_scoped_and_carries_the_totals(live: LiveServer) -> None:
    key = _key(live, "ana@example.com", project="web")
    with live.client(key) as client:
        response = client.get("/api/exports/pdf", params={"period": "30d"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    totals = build_report(live.store, parse_period("30d"), EventFilter(project="web")).totals
    text = pdf_text(response.content)
    assert f"exact ${totals.cost_usd:.9f}" in text and f"{totals.requests:,}" in text
    assert "projects web" in text
    render_page(response.content)


def test_auth_and_bad_period(live: LiveServer) -> None:
    key = _key(live, "ana@example.com", project="web")
    with live.client() as anonymous:
        assert anonymous.get("/api/exports/csv").status_code == 401
        assert anonymous.get("/api/exports/pdf").status_code == 401
    with live.client(key) as client:
        bad = client.get("/api/exports/pdf", params={"period": "fortnight"})
    assert bad.status_code == 400 and "unknown period" in bad.json()["detail"]
