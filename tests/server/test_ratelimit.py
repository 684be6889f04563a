"""Per-key rate limits: in-process, and shared through Redis by two server processes on one PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import PG_ENABLED
from tests.server.conftest import LiveServer, free_socket
from tokenbudget.server.ratelimit import WINDOW_S, MemoryRateLimiter, RedisRateLimiter
from tokenbudget.server.redis_guard import RedisGuard


def _away_from_window_edge(margin: float = 8.0) -> None:
    # Fixed windows reset on the minute: start a counting test well inside one window.
    into = time.time() % WINDOW_S
    if into > WINDOW_S - margin:
        time.sleep(WINDOW_S - into + 0.1)


def test_memory_limiter_counts_per_subject() -> None:
    _away_from_window_edge()
    limiter = MemoryRateLimiter(3)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    retry = limiter.hit("a")
    assert retry is not None and 1 <= retry <= WINDOW_S
    assert limiter.hit("b") is None


def test_redis_limiter_is_shared_between_instances(redis_url: str, redis_prefix: str) -> None:
    import redis

    _away_from_window_edge()
    one = RedisRateLimiter(RedisGuard(redis.Redis.from_url(redis_url), (redis.RedisError,)), redis_prefix, 4)
    two = RedisRateLimiter(RedisGuard(redis.Redis.from_url(redis_url), (redis.RedisError,)), redis_prefix, 4)
    assert [one.hit("k"), two.hit("k"), one.hit("k"), two.hit("k")] == [None] * 4
    assert one.hit("k") is not None and two.hit("k") is not None
    assert one.hit("other") is None


def test_http_429_with_retry_after(make_server) -> None:
    _away_from_window_edge()
    server: LiveServer = make_server(rate_limit_per_minute=5)
    key = server.key("ana@example.com", project="web")
    other = server.key("bob@example.com", project="bobs")
    with server.client(key) as client:
        codes = [client.get("/api/projects").status_code for _ in range(6)]
        limited = client.get("/api/projects")
    assert codes == [200] * 5 + [429]
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= WINDOW_S
    assert limited.json() == {"detail": "rate limit exceeded for this API key"}
    with server.client(other) as client:
        assert client.get("/api/projects").status_code == 200  # per key, not global


@pytest.fixture
def two_processes(pg_schema_url: str, redis_url: str, redis_prefix: str, tmp_path) -> Iterator[list[str]]:
    """Two `uvicorn --factory` processes on one PostgreSQL schema and one Redis, limit 10/minute."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENBUDGET_")}
    env.update(
        TOKENBUDGET_HOME=str(tmp_path),
        TOKENBUDGET_DATABASE_URL=pg_schema_url,
        TOKENBUDGET_REDIS_URL=redis_url,
        TOKENBUDGET_REDIS_PREFIX=redis_prefix,
        TOKENBUDGET_RATE_LIMIT_PER_MINUTE="10",
    )
    procs, urls = [], []
    for _ in range(2):
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "tokenbudget.server.app:app_from_environment"]
        procs.append(
            subprocess.Popen(
                [*cmd, "--port", str(port), "--log-level", "warning"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=15)


@pytest.mark.skipif(not PG_ENABLED, reason="TOKENBUDGET_TEST_POSTGRES=off")
def test_two_server_processes_share_one_limit(two_processes: list[str], pg_schema_url: str, tmp_path) -> None:
    from tokenbudget.core.keys import create_key
    from tokenbudget.core.settings import Settings
    from tokenbudget.core.store import open_store

    settings = Settings.resolve(
        environ={"TOKENBUDGET_HOME": str(tmp_path), "TOKENBUDGET_DATABASE_URL": pg_schema_url}
    )
    with open_store(settings) as store:
        key = create_key(store, name="k", user_email="ana@example.com", project="web", rounds=4).key
    _away_from_window_edge()
    headers = {"Authorization": f"Bearer {key}"}
    codes = [
        httpx.get(two_processes[i % 2] + "/api/projects", headers=headers).status_code for i in range(10)
    ]
    assert codes == [200] * 10
    over = [httpx.get(url + "/api/projects", headers=headers) for url in two_processes]
    assert [r.status_code for r in over] == [429, 429]
    assert all(int(r.headers["Retry-After"]) >= 1 for r in over)
