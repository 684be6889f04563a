"""Server fixtures: a REAL uvicorn server on a free port (in a thread) over the store of the current backend.

Redis: TOKENBUDGET_TEST_REDIS_URL (default redis://127.0.0.1:6379/15); unreachable Redis FAILS the tests that
need it, never skips. Each test gets its own Redis key prefix.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tokenbudget.core.settings import Settings

REDIS_URL = os.environ.get("TOKENBUDGET_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
TEST_ROUNDS = 4  # bcrypt work factor for test keys: the lookup path is what is tested, not bcrypt's cost


@dataclass
class LiveServer:
    url: str
    app: Any
    _server: Any
    _thread: threading.Thread

    @property
    def state(self) -> Any:
        return self.app.state.tb

    @property
    def store(self) -> Any:
        return self.state.store

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def key(self, user: str, *, project: str | None = None, team: str | None = None, name: str = "k") -> str:
        from tokenbudget.core.keys import create_key

        return create_key(
            self.store, name=name, user_email=user, project=project, team=team, rounds=TEST_ROUNDS
        ).key

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def start_server(settings: Settings) -> LiveServer:
    import uvicorn

    from tokenbudget.server import create_app

    app = create_app(settings)
    sock = free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    # Uvicorn is handed the already-bound socket: no window in which another process could take the port.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", app, server, thread)


ServerFactory = Callable[..., LiveServer]


@pytest.fixture
def make_server(store_settings: Settings) -> Iterator[ServerFactory]:
    """make_server(**settings overrides) -> a started LiveServer over the current backend's store."""
    started: list[LiveServer] = []

    def make(**overrides: Any) -> LiveServer:
        server = start_server(dataclasses.replace(store_settings, **overrides))
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: ServerFactory) -> LiveServer:
    return make_server()


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc}); start it or set TOKENBUDGET_TEST_REDIS_URL"
        )
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    import redis

    prefix = f"tbtest:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


def event(n: int, **fields: Any) -> dict[str, Any]:
    """A canonical event as the SDK posts it."""
    return {
        "event_id": f"ev-{n}",
        "occurred_at": "2026-11-20T10:00:00Z",
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 1000,
        "cache_read_input_tokens": 200,
        "output_tokens": 100,
        "feature": "search",
        **fields,
    }
