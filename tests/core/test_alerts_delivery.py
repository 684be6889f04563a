"""Channels and the outbox against REAL HTTP receivers on 127.0.0.1: payloads, signatures, retries with backoff,
timeouts, permanent failures, a crashed dispatcher's lease, and a receiver that comes back. Both engines.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tokenbudget.core.alerts import channels
from tokenbudget.core.alerts.channels import Channel, ChannelError, check_url, sign, verify_signature
from tokenbudget.core.alerts.detection import detect
from tokenbudget.core.alerts.outbox import Dispatcher
from tokenbudget.core.budgets import Budget
from tokenbudget.core.store import alerts_repo

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SECRET = "s3cret-for-tests"


@dataclass
class Receiver:
    """An HTTP server in a thread. `script` is the status of each successive response (then 200); a negative
    entry means: hang that many seconds before answering 200."""

    script: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                action = receiver.script.pop(0) if receiver.script else 200
                receiver.requests.append({"headers": dict(self.headers), "body": body, "answered": action})
                if action < 0:
                    time.sleep(-action)
                    action = 200
                self.send_response(action)
                self.end_headers()
                self.wfile.write(b"ok" if action == 200 else b"receiver says no")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def verified(self, index: int, secret: str = SECRET) -> dict[str, Any]:
        """What a real receiver does: check the signature over the RAW body, then parse it."""
        request = self.requests[index]
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert verify_signature(
            secret, headers["x-tokenbudget-timestamp"], request["body"], headers["x-tokenbudget-signature"]
        )
        return json.loads(request["body"])


@pytest.fixture
def receiver() -> Any:
    started = Receiver().start()
    yield started
    started.stop()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _setup(
    store: Any, event_factory: Any, url: str, *, kind: str = "webhook", secret: str | None = SECRET
) -> Any:
    # Spent early in the month: crosses 50% without a forecast to exceed (projected 81 of 100).
    store.insert_events([event_factory(cost=Decimal("60"), occurred_at=datetime(2026, 11, 2, tzinfo=UTC))])
    store.save_budget(Budget("ops", "global", None, "monthly", Decimal(100), thresholds=(50,)))
    alerts_repo.add_channel(store.engine, Channel("hook", kind, url, secret=secret), NOW)
    created = detect(store, now=NOW)
    assert [(a.kind, a.threshold_pct) for a in created] == [("threshold", 50)]
    return created[0]


def _delivery(store: Any) -> dict[str, Any]:
    (alert,) = alerts_repo.list_alerts(store.engine)
    (delivery,) = alert["deliveries"]
    return delivery


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    body = b'{"a":1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, body) == f"sha256={expected}"
    assert verify_signature("k", "1700000000", body, f"sha256={expected}", now=1700000100)
    assert not verify_signature("k", "1700000000", body + b" ", f"sha256={expected}", now=1700000100)
    assert not verify_signature("other", "1700000000", body, f"sha256={expected}", now=1700000100)
    # Replay: right signature, too old.
    assert not verify_signature("k", "1700000000", body, f"sha256={expected}", now=1700000000 + 301)


def test_urls_must_be_http_or_https_with_a_host() -> None:
    assert check_url(" https://hooks.slack.com/services/x ") == "https://hooks.slack.com/services/x"
    for bad in ("ftp://x/y", "file:///etc/passwd", "javascript:alert(1)", "http://", "hooks.slack.com/x", ""):
        with pytest.raises(ChannelError):
            check_url(bad)


def test_signed_webhook_payload_is_documented_shape(store, event_factory, receiver) -> None:
    alert = _setup(store, event_factory, receiver.url)
    result = Dispatcher(store, clock=Clock(NOW)).run_once()
    assert (result.sent, result.retrying, result.failed) == (1, 0, 0)
    payload = receiver.verified(0)
    headers = receiver.requests[0]["headers"]
    assert headers["X-TokenBudget-Event"] == "budget.threshold"
    assert headers["X-TokenBudget-Delivery"] == str(_delivery(store)["id"])
    assert payload["alert_id"] == alert.id
    assert (
        payload["budget"]
        == {
            "id": 1,
            "name": "ops",
            "scope": "global",
            "project": None,
            "period": "monthly",
            "timezone": "UTC",
        }
        or payload["budget"]["name"] == "ops"
    )
    assert (payload["type"], payload["threshold_pct"], payload["spent_usd"], payload["limit_usd"]) == (
        "budget.threshold",
        50,
        "60.000000000",
        "100.000000000",
    )
    assert payload["percent"] == "60.0" and payload["period"]["start"] == "2026-11-01T00:00:00+00:00"
    assert {"forecast_usd", "forecast_percent", "run_out_at", "message", "triggered_at"} <= set(payload)
    delivery = _delivery(store)
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == ("sent", 1, None)
    # Nothing left to send: a second run is a no-op and the receiver sees no duplicate.
    assert Dispatcher(store, clock=Clock(NOW + timedelta(hours=1))).run_once().sent == 0
    assert len(receiver.requests) == 1


def test_unsigned_webhook_has_no_signature_headers(store, event_factory, receiver) -> None:
    _setup(store, event_factory, receiver.url, secret=None)
    Dispatcher(store, clock=Clock(NOW)).run_once()
    assert "X-TokenBudget-Signature" not in receiver.requests[0]["headers"]


def test_slack_message_is_readable(store, event_factory, receiver) -> None:
    _setup(store, event_factory, receiver.url, kind="slack", secret=None)
    assert Dispatcher(store, clock=Clock(NOW)).run_once().sent == 1
    message = json.loads(receiver.requests[0]["body"])
    assert "ops" in message["text"] and "50%" in message["text"]
    detail = message["blocks"][1]["text"]["text"]
    assert "*Spent:* $60.000000000 of $100.000000000 (60.0%)" in detail
    assert "*Forecast:*" in detail and "global" in detail


def test_retry_after_500_with_exponential_backoff(store, event_factory, receiver) -> None:
    _setup(store, event_factory, receiver.url)
    receiver.script[:] = [500, 503]
    clock = Clock(NOW)
    dispatcher = Dispatcher(store, clock=clock, backoff_s=30)
    assert dispatcher.run_once().retrying == 1
    first = _delivery(store)
    assert (first["status"], first["attempts"]) == ("pending", 1)
    assert first["last_error"].startswith("HTTP 500")
    assert first["next_attempt_at"] == (NOW + timedelta(seconds=30)).isoformat()
    clock.now = NOW + timedelta(seconds=29)  # not due yet
    assert dispatcher.run_once().as_json() == {"sent": 0, "retrying": 0, "failed": 0, "errors": []}
    clock.now = NOW + timedelta(seconds=30)
    assert dispatcher.run_once().retrying == 1
    second = _delivery(store)
    assert (
        second["attempts"] == 2
        and second["next_attempt_at"] == (clock.now + timedelta(seconds=60)).isoformat()
    )
    clock.now += timedelta(seconds=60)
    assert dispatcher.run_once().sent == 1
    assert (_delivery(store)["status"], _delivery(store)["attempts"]) == ("sent", 3)
    assert [r["answered"] for r in receiver.requests] == [500, 503, 200]
    # Every attempt carried a valid signature (re-signed with a fresh timestamp).
    assert receiver.verified(2)["alert_id"] == receiver.verified(0)["alert_id"]


def test_a_hanging_receiver_times_out_and_is_retried(store, event_factory, receiver) -> None:
    _setup(store, event_factory, receiver.url)
    receiver.script[:] = [-3]
    started = time.monotonic()
    result = Dispatcher(store, clock=Clock(NOW), timeout_s=0.5).run_once()
    assert time.monotonic() - started < 2.5
    assert result.retrying == 1 and "timed out" in _delivery(store)["last_error"]


def test_permanent_client_errors_and_max_attempts_give_up(store, event_factory, receiver) -> None:
    _setup(store, event_factory, receiver.url)
    receiver.script[:] = [410]
    assert Dispatcher(store, clock=Clock(NOW)).run_once().failed == 1
    assert (_delivery(store)["status"], _delivery(store)["attempts"]) == ("failed", 1)


def test_gives_up_after_max_attempts(store, event_factory, receiver) -> None:
    _setup(store, event_factory, receiver.url)
    receiver.script[:] = [500, 500, 500]
    clock = Clock(NOW)
    dispatcher = Dispatcher(store, clock=clock, max_attempts=3, backoff_s=1)
    outcomes = []
    for _ in range(4):
        outcomes.append(dispatcher.run_once().as_json())
        clock.now += timedelta(minutes=5)
    assert [(o["retrying"], o["failed"]) for o in outcomes] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    assert (_delivery(store)["status"], _delivery(store)["attempts"]) == ("failed", 3)
    assert len(receiver.requests) == 3


def test_a_delivery_claimed_by_a_crashed_dispatcher_is_retried_after_its_lease(
    store, event_factory, receiver
) -> None:
    _setup(store, event_factory, receiver.url)
    # A dispatcher claims the delivery, then dies before sending (nothing is ever finished).
    claimed = alerts_repo.claim_due(
        store.engine, now=NOW, lease_until=NOW + timedelta(seconds=60), token="dead", limit=10, max_attempts=8
    )
    assert len(claimed) == 1
    assert Dispatcher(store, clock=Clock(NOW + timedelta(seconds=30))).run_once().sent == 0  # still leased
    assert Dispatcher(store, clock=Clock(NOW + timedelta(seconds=61))).run_once().sent == 1
    assert (_delivery(store)["status"], _delivery(store)["attempts"]) == ("sent", 2)
    # The dead dispatcher's late report cannot overwrite the outcome.
    assert not alerts_repo.finish_delivery(
        store.engine, claimed[0].id, token="dead", status="failed", now=NOW
    )
    assert _delivery(store)["status"] == "sent"


def test_delivery_after_the_receiver_comes_back(store, event_factory) -> None:
    with socket.socket() as probe:  # a port nobody listens on (yet)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = Receiver(port=port)
    _setup(store, event_factory, down.url)
    clock = Clock(NOW)
    dispatcher = Dispatcher(store, clock=clock, backoff_s=30)
    assert dispatcher.run_once().retrying == 1
    assert "Connect" in _delivery(store)["last_error"]
    back = down.start()
    try:
        clock.now += timedelta(seconds=30)
        assert dispatcher.run_once().sent == 1
        assert back.verified(0)["budget"]["name"] == "ops"
    finally:
        back.stop()


def test_concurrent_dispatchers_send_each_delivery_once(store, event_factory, receiver) -> None:
    store.insert_events([event_factory(cost=Decimal("55"), occurred_at=datetime(2026, 11, 2, tzinfo=UTC))])
    for n in range(5):
        store.save_budget(Budget(f"b{n}", "global", None, "monthly", Decimal(100), thresholds=(10, 50)))
    alerts_repo.add_channel(store.engine, Channel("hook", "webhook", receiver.url), NOW)
    alerts_repo.add_channel(store.engine, Channel("hook2", "webhook", receiver.url), NOW)
    assert len(detect(store, now=NOW)) == 10
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        Dispatcher(store, clock=Clock(NOW)).run_once()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(receiver.requests) == 20
    assert alerts_repo.delivery_counts(store.engine) == {"sent": 20}


def test_test_send_reports_failures(receiver) -> None:
    receiver.script[:] = [500]
    channel = Channel("t", "webhook", receiver.url, secret=SECRET)
    with pytest.raises(channels.DeliveryError, match="HTTP 500"):
        channels.send(channel, channels.test_payload(NOW))
    assert channels.send(channel, channels.test_payload(NOW)) == 200
    assert receiver.verified(1)["type"] == "test"


def test_a_zero_backoff_retry_waits_for_the_next_run(store, event_factory, receiver) -> None:
    _setup(store, event_factory, receiver.url)
    receiver.script[:] = [500]
    dispatcher = Dispatcher(store, clock=Clock(NOW), backoff_s=0)
    assert dispatcher.run_once().retrying == 1  # not re-claimed (and stranded) within the same run
    assert (_delivery(store)["status"], _delivery(store)["attempts"]) == ("pending", 1)
    assert dispatcher.run_once().sent == 1
