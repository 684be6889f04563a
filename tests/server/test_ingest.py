"""POST /v1/events and /v1/events/batch through a real uvicorn server, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import threading
from decimal import Decimal

from tests.server.conftest import LiveServer, event
from tokenbudget.core.analytics import EventFilter, totals
from tokenbudget.core.periods import parse_period


def stored(server: LiveServer, project: str | None = None) -> list:
    return list(server.store.iter_events(filters=EventFilter(project=project) if project else None))


def test_batch_accepts_good_rejects_bad_with_index(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    body = {"events": [event(1), {"model": ""}, event(2, input_tokens=-1), 7, event(3)]}
    with server.client(key) as client:
        response = client.post("/v1/events/batch", json=body)
    assert response.status_code == 202
    data = response.json()
    assert data["accepted"] == 2 and data["duplicates"] == 0
    assert [r["index"] for r in data["rejected"]] == [1, 2, 3]
    assert "model is required" in data["rejected"][0]["error"]
    assert "negative" in data["rejected"][1]["error"]
    events = stored(server)
    assert sorted(e.event_id for e in events) == ["ev-1", "ev-3"]
    assert {e.project for e in events} == {"web"}  # stamped with the key's project
    # The server's own price: 800 uncached input + 200 cache reads + 100 output at gpt-4o's rates.
    assert events[0].cost_status == "priced" and events[0].cost_usd == Decimal("0.00325")


def test_values_longer_than_their_column_reject_the_event_not_the_batch(server: LiveServer) -> None:
    # event_id and provider are stored in 64-character columns: a 100-character one (under the 200-character
    # limit of other texts) once passed validation and made PostgreSQL refuse the whole batch.
    key = server.key("ana@example.com", project="web")
    body = {"events": [event(1), event(2, event_id="e" * 100), event(3, provider="p" * 65), event(4)]}
    with server.client(key) as client:
        data = client.post("/v1/events/batch", json=body).json()
    assert data["accepted"] == 2 and [r["index"] for r in data["rejected"]] == [1, 2]
    assert "event_id is longer than 64 characters" in data["rejected"][0]["error"]
    assert "provider is longer than 64 characters" in data["rejected"][1]["error"]
    assert sorted(e.event_id for e in stored(server)) == ["ev-1", "ev-4"]


def test_single_event_and_client_reported_cost(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    with server.client(key) as client:
        ok = client.post("/v1/events", json=event(1, model="private-llm-9", cost_usd="0.0125"))
        unknown = client.post("/v1/events", json=event(2, model="private-llm-9"))
    assert ok.status_code == 202 and ok.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert unknown.status_code == 202
    by_id = {e.event_id: e for e in stored(server)}
    assert by_id["ev-1"].cost_status == "client_reported" and by_id["ev-1"].cost_usd == Decimal("0.0125")
    assert by_id["ev-2"].cost_status == "unpriced" and by_id["ev-2"].cost_usd is None


def test_same_batch_twice_is_stored_once(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    body = {"events": [event(i) for i in range(50)] + [event(0)]}
    with server.client(key) as client:
        first = client.post("/v1/events/batch", json=body).json()
        second = client.post("/v1/events/batch", json=body).json()
    assert (first["accepted"], first["duplicates"]) == (50, 1)
    assert (second["accepted"], second["duplicates"]) == (0, 51)
    assert server.store.count_events() == 50
    period = parse_period("2026-11-20..2026-11-20")
    assert totals(server.store, period).requests == 50  # the rollup agrees


def test_concurrent_posts_of_the_same_ids(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    body = {"events": [event(i) for i in range(200)]}
    results: list[dict] = []

    def post() -> None:
        with server.client(key) as client:
            response = client.post("/v1/events/batch", json=body)
            assert response.status_code == 202, response.text
            results.append(response.json())

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    assert sum(r["accepted"] for r in results) == 200
    assert sum(r["duplicates"] for r in results) == 5 * 200
    assert server.store.count_events() == 200
    assert totals(server.store, parse_period("2026-11-20..2026-11-20")).requests == 200


def test_gzip_body(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    raw = gzip.compress(json.dumps({"events": [event(i) for i in range(10)]}).encode())
    with server.client(key) as client:
        response = client.post(
            "/v1/events/batch",
            content=raw,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        broken = client.post("/v1/events/batch", content=raw[:-8], headers={"Content-Encoding": "gzip"})
    assert response.status_code == 202 and response.json()["accepted"] == 10
    assert broken.status_code == 400 and "gzip" in broken.json()["detail"]


def test_oversized_bodies_are_413_and_write_nothing(make_server) -> None:
    server = make_server(max_body_bytes=20_000, max_batch_events=100)
    key = server.key("ana@example.com", project="web")
    big = {"events": [event(i, feature="x" * 150) for i in range(90)]}
    raw = json.dumps(big).encode()
    assert len(raw) > 20_000
    bomb = gzip.compress(raw)
    assert len(bomb) < 20_000  # small on the wire, too large once inflated
    with server.client(key) as client:
        plain = client.post("/v1/events/batch", content=raw)
        inflated = client.post("/v1/events/batch", content=bomb, headers={"Content-Encoding": "gzip"})
        too_many = client.post("/v1/events/batch", json={"events": [{"model": "m"}] * 101})
    assert plain.status_code == 413 and "20000 bytes" in plain.json()["detail"]
    assert inflated.status_code == 413
    assert too_many.status_code == 413 and "at most 100" in too_many.json()["detail"]
    assert server.store.count_events() == 0


def test_malformed_json_is_400_with_the_reason(server: LiveServer) -> None:
    key = server.key("ana@example.com", project="web")
    with server.client(key) as client:
        broken = client.post("/v1/events/batch", content=b'{"events": [{"model": "gpt-4o",}]}')
        not_batch = client.post("/v1/events/batch", json=[event(1)])
        not_object = client.post("/v1/events", json=[event(1)])
        empty = client.post("/v1/events", content=b"")
    assert broken.status_code == 400 and broken.json()["detail"].startswith("malformed JSON: ")
    assert "line 1 column" in broken.json()["detail"]
    assert not_batch.status_code == 400 and "events" in not_batch.json()["detail"]
    assert not_object.status_code == 400
    assert empty.status_code == 400
    assert server.store.count_events() == 0


def test_project_stamping_rules(server: LiveServer) -> None:
    scoped = server.key("ana@example.com", project="web")
    server.key("ana@example.com", project="mobile")  # ana owns mobile too
    unscoped = server.key("ana@example.com")
    server.key("bob@example.com", project="bobs")
    with server.client(scoped) as client:
        data = client.post(
            "/v1/events/batch", json={"events": [event(1, project="web"), event(2, project="mobile")]}
        ).json()
    assert data["accepted"] == 1 and "writes only to project 'web'" in data["rejected"][0]["error"]
    with server.client(unscoped) as client:
        data = client.post(
            "/v1/events/batch",
            json={"events": [event(3, project="mobile"), event(4), event(5, project="bobs")]},
        ).json()
    assert data["accepted"] == 1
    assert [r["index"] for r in data["rejected"]] == [1, 2]
    assert "project is required" in data["rejected"][0]["error"]
    assert "not one of this API key's projects" in data["rejected"][1]["error"]
    assert {e.event_id: e.project for e in stored(server)} == {"ev-1": "web", "ev-3": "mobile"}


def test_a_project_created_after_the_key_was_cached_is_writable_at_once(server: LiveServer) -> None:
    key = server.key("ana@example.com")
    with server.client(key) as client:
        assert client.post("/v1/events", json=event(1, project="late")).json()["rejected"]
        # Created by another process (the CLI): not yet in this server's cached scope of the key.
        from tokenbudget.core.tenants import create_project

        create_project(server.store, "late", owner_email="ana@example.com")
        assert client.post("/v1/events", json=event(1, project="late")).json()["accepted"] == 1
