"""Redis going away and coming back: the server keeps ingesting and answering, with per-process limits meanwhile.

A private redis-server on a free port (the shared one is used by other tests), stopped and started again.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.server.conftest import LiveServer, event, free_socket
from tests.server.test_ratelimit import _away_from_window_edge
from tokenbudget.server import redis_guard


class PrivateRedis:
    def __init__(self) -> None:
        sock = free_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (the server tests need Redis)")
        args = ["--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    pytest.fail("private redis-server did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def test_ingest_and_analytics_survive_a_redis_outage(
    make_server, private_redis: PrivateRedis, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(
        redis_guard, "PAUSE_S", 0.5
    )  # how long a failed Redis is left alone (5 s in production)
    _away_from_window_edge(margin=15)
    server: LiveServer = make_server(redis_url=private_redis.url, rate_limit_per_minute=4)
    key = server.key("ana@example.com", project="web")
    import redis

    with server.client(key) as client:
        assert client.get("/readyz").json()["redis"] == "ok"
        assert client.post("/v1/events", json=event(1)).status_code == 202  # counted in Redis
        assert any(redis.Redis.from_url(private_redis.url).scan_iter(match="*rl:*"))

        private_redis.stop()
        with caplog.at_level("WARNING", logger="tokenbudget.server"):
            outage = [client.post("/v1/events", json=event(n)).status_code for n in (2, 3, 4, 5)]
            summary = client.get("/api/analytics/summary", params={"period": "all"})
        # Limits are counted per process meanwhile (this process starts a fresh count): 4 pass, the 5th is 429.
        assert outage == [202, 202, 202, 202]
        assert summary.status_code == 429
        assert client.get("/readyz").json()["redis"] == "unreachable"
        assert (
            sum("Redis unreachable" in r.message for r in caplog.records) == 1
        )  # one warning, not one per call
        assert sorted(e.event_id for e in server.store.iter_events()) == [
            "ev-1",
            "ev-2",
            "ev-3",
            "ev-4",
            "ev-5",
        ]

        private_redis.start()  # empty again: the shared count restarts
        time.sleep(0.6)
        with caplog.at_level("WARNING", logger="tokenbudget.server"):
            back = client.get("/api/analytics/summary", params={"period": "all"})
        assert back.status_code == 200 and back.json()["totals"]["requests"] == 5
        assert any("Redis answers again" in r.message for r in caplog.records)
        assert client.get("/readyz").json()["redis"] == "ok"
        assert any(redis.Redis.from_url(private_redis.url).scan_iter(match="*rl:*"))


def test_a_redis_that_never_answers_costs_no_request(make_server) -> None:
    sock = free_socket()  # bound, never listening: connections are refused
    url = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    try:
        server: LiveServer = make_server(redis_url=url, rate_limit_per_minute=100)
        key = server.key("ana@example.com", project="web")
        with server.client(key) as client:
            started = time.monotonic()
            codes = [client.post("/v1/events", json=event(n)).status_code for n in range(20)]
            elapsed = time.monotonic() - started
            ready = client.get("/readyz")
        assert codes == [202] * 20
        assert ready.status_code == 200 and ready.json()["redis"] == "unreachable"
        assert elapsed < 10, elapsed  # refused at once, then left alone: no timeout paid per request
    finally:
        sock.close()
