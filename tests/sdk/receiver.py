"""A small real HTTP server implementing the `POST /v1/events/batch` contract of `tb serve` (issue 4).

202 {"accepted": n, "duplicates": n, "rejected": [{"index": i, "error": "..."}]}; gzip bodies; Bearer tb_ak_ keys;
events validated with tokenbudget.core.events.parse_event and deduplicated on event_id. `script` queues forced
replies (status, headers) for the next requests, `down` answers 503 to everything.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tokenbudget.core.errors import InvalidEventError
from tokenbudget.core.events import parse_event

API_KEY = "tb_ak_" + "0123456789abcdef" * 2


class Receiver:
    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.duplicates = 0
        self.script: list[tuple[int, dict[str, str]]] = []
        self.down = False
        self.lock = threading.Lock()
        self.url = ""

    def handle(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self.lock:
            self.requests.append({"headers": headers, "size": len(raw)})
            if self.down:
                return 503, {}, {"error": "down"}
            if self.script:
                status, extra = self.script.pop(0)
                return status, extra, {"error": f"scripted {status}"}
            if headers.get("authorization") != f"Bearer {API_KEY}":
                return 401, {}, {"error": "bad key"}
            body = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
            events = json.loads(body)["events"]
            self.requests[-1]["count"] = len(events)
            accepted = duplicates = 0
            rejected = []
            for index, data in enumerate(events):
                try:
                    parsed = parse_event(data)
                except InvalidEventError as exc:
                    rejected.append({"index": index, "error": str(exc)})
                    continue
                if parsed.event_id in self.events:
                    duplicates += 1
                else:
                    self.events[parsed.event_id] = data
                    accepted += 1
            self.duplicates += duplicates
            return 202, {}, {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/v1/events/batch":
                status, extra, payload = 404, {}, {"error": "not found"}
            else:
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, payload = receiver.handle(headers, raw)
            data = json.dumps(payload).encode()
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
