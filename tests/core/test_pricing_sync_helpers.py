"""A real local HTTP server that serves LiteLLM's price table and broken versions of it (for the sync tests).

No tests here: the core and CLI sync tests import `table_server()` and the table helpers.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def table_bytes() -> bytes:
    """The shared copy of LiteLLM's table (../shared/data), else TOKENBUDGET_LITELLM_TABLE, else the test copy."""
    override = os.environ.get("TOKENBUDGET_LITELLM_TABLE")
    shared = Path(__file__).resolve().parents[3] / "shared/data/litellm_model_prices.json"
    if shared.is_file():
        return shared.read_bytes()
    if override:
        return Path(override).read_bytes()
    return gzip.decompress((Path(__file__).parent / "data/litellm_model_prices.json.gz").read_bytes())


TABLE = table_bytes()
RAISED_MODEL = "gpt-4o"  # input 2.5e-06 -> 3e-06 (+20%)
ADDED_MODEL = "acme-new-model-1"
REMOVED_MODEL = "gpt-3.5-turbo"


def table_dict() -> dict[str, Any]:
    return json.loads(TABLE)


def modified(change: Callable[[dict[str, Any]], None]) -> bytes:
    data = table_dict()
    change(data)
    return json.dumps(data).encode()


def raise_price(data: dict[str, Any]) -> None:
    data[RAISED_MODEL]["input_cost_per_token"] = 3e-06


def add_model(data: dict[str, Any]) -> None:
    data[ADDED_MODEL] = {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 1e-06,
        "output_cost_per_token": 4e-06,
        "max_input_tokens": 128000,
        "supports_vision": True,
    }


def remove_model(data: dict[str, Any]) -> None:
    del data[REMOVED_MODEL]


@dataclass
class Route:
    body: bytes
    status: int = 200
    delay: float = 0.0  # seconds before the response starts (a slow server)
    truncate: bool = False  # announce the full length, send half, close (a cut-off download)
    fail_first: int = 0  # answer 503 to the first N requests


class TableServer:
    """ThreadingHTTPServer on 127.0.0.1 and a free port; `routes` maps a path to what it serves."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                server.hits[self.path] += 1
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if server.hits[self.path] <= route.fail_first:
                    self._send(503, b"try again")
                    return
                if route.truncate:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(route.status, route.body)

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may have given up already (timeout tests).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes, **behaviour: Any) -> str:
        self.routes[path] = Route(body, **behaviour)
        self.hits[path] = 0
        return self.url(path)

    def __enter__(self) -> TableServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def table_server() -> Iterator[TableServer]:
    """A started server with the standard routes (wrap it in a module-scoped fixture)."""
    with TableServer() as server:
        server.serve("/same.json", TABLE)
        server.serve("/raised.json", modified(raise_price))
        server.serve("/added.json", modified(add_model))
        server.serve("/removed.json", modified(remove_model))
        server.serve("/malformed.json", TABLE[: len(TABLE) // 3])  # complete HTTP body, broken JSON
        server.serve("/truncated.json", TABLE, truncate=True)
        server.serve("/slow.json", TABLE, delay=3.0)
        server.serve("/gone.json", b"{}", status=404)
        yield server
