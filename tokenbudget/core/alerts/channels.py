"""Alert channels: a Slack incoming webhook or a generic JSON webhook; payloads, HMAC signing and one send.

Generic webhook: POST of the alert payload (see README "Webhook payload") as compact JSON. With a secret, two headers
let the receiver verify it and refuse replays:

    X-TokenBudget-Timestamp: <unix seconds>
    X-TokenBudget-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

The timestamp is inside the signed string, so an old request cannot be replayed with a fresh timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tokenbudget.core.errors import TokenBudgetError

KINDS = ("slack", "webhook")
TIMESTAMP_HEADER = "X-TokenBudget-Timestamp"
SIGNATURE_HEADER = "X-TokenBudget-Signature"
EVENT_HEADER = "X-TokenBudget-Event"
DELIVERY_HEADER = "X-TokenBudget-Delivery"
USER_AGENT = "TokenBudget-Alerts/1"
# Receiver errors that no retry will fix (bad URL, revoked Slack webhook, auth): give up at once.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 410, 413, 422})


class ChannelError(TokenBudgetError, ValueError):
    """A channel definition is invalid (kind, URL)."""

    exit_code = 2
    http_status = 422


class DeliveryError(TokenBudgetError):
    """One send failed. `permanent` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str
    url: str
    secret: str | None = None
    project: str | None = None
    id: int | None = None
    created_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "url": redact(self.url) if self.kind == "slack" else self.url,
            "signed": bool(self.secret),
            "project": self.project,
            "created_at": None if self.created_at is None else self.created_at.isoformat(),
        }


def redact(url: str) -> str:
    """A Slack webhook URL is itself the credential: show only its start."""
    parts = urlsplit(url)
    path = parts.path
    return f"{parts.scheme}://{parts.netloc}{path[:12]}…" if len(path) > 12 else url


def check_kind(kind: str) -> str:
    value = (kind or "").strip().lower()
    if value not in KINDS:
        raise ChannelError(f"unknown channel kind {kind!r}; use one of {', '.join(KINDS)}")
    return value


def check_url(url: str) -> str:
    """http(s) URLs with a host only: no file:, ftp:, javascript: or hostless URLs reach the sender."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChannelError(f"webhook URL must be http:// or https:// with a host, got {url!r}")
    if len(text) > 2000:
        raise ChannelError("webhook URL is longer than 2000 characters")
    return text


# --- payloads ------------------------------------------------------------------------------------------------


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance_s: int = 300,
    now: float | None = None,
) -> bool:
    """The receiver's check: right HMAC (constant-time) and a timestamp within `tolerance_s` of now."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature or "")


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A readable Slack message: a one-line `text` (notifications) and a section with the figures."""
    if payload.get("kind") == "price_change":
        return _slack_price_change(payload)
    budget = payload.get("budget", {})
    icon = {"threshold": ":rotating_light:" if payload.get("threshold_pct", 0) >= 100 else ":warning:"}.get(
        payload.get("kind", ""), ":crystal_ball:"
    )
    if payload.get("kind") == "test":
        icon = ":white_check_mark:"
    lines = [
        f"*Budget:* {budget.get('name', '-')} ({budget.get('scope', '-')}, {budget.get('period', '-')})",
        f"*Spent:* ${payload.get('spent_usd', '0')} of ${payload.get('limit_usd', '0')} "
        f"({payload.get('percent', '0')}%)",
        f"*Forecast:* ${payload.get('forecast_usd', '0')} by {payload.get('period', {}).get('end', '-')}"
        + (f" · runs out {payload['run_out_at']}" if payload.get("run_out_at") else ""),
    ]
    text = f"{icon} {payload.get('message', 'TokenBudget alert')}"
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        ],
    }


def _slack_price_change(payload: dict[str, Any]) -> dict[str, Any]:
    text = f":label: {payload.get('message', 'Prices changed')}"
    lines = [
        f"*{c['model']}* {c['field']}: {c['old'] or '-'} → {c['new'] or '-'} USD/token"
        + (f" ({c['percent']}%)" if c.get("percent") else "")
        for c in payload.get("changes", [])[:20]
    ]
    lines += [f"*{model}* removed from the price table" for model in payload.get("removed_models", [])[:20]]
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines) or "-"}},
        ],
    }


def request_for(
    channel: Channel, payload: dict[str, Any], *, delivery_id: int | None = None, now: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """The exact body bytes and headers a channel receives."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if channel.kind == "slack":
        return body_bytes(slack_message(payload)), headers
    body = body_bytes(payload)
    headers[EVENT_HEADER] = str(payload.get("type", "budget.alert"))
    if delivery_id is not None:
        # Retries resend the same delivery id: receivers can drop duplicates after a lost response.
        headers[DELIVERY_HEADER] = str(delivery_id)
    if channel.secret:
        stamp = int(time.time() if now is None else now)
        headers[TIMESTAMP_HEADER] = str(stamp)
        headers[SIGNATURE_HEADER] = sign(channel.secret, stamp, body)
    return body, headers


def send(
    channel: Channel, payload: dict[str, Any], *, timeout_s: float = 10.0, delivery_id: int | None = None
) -> int:
    """POST once. Returns the HTTP status; raises DeliveryError (permanent or not) on any failure."""
    import httpx

    body, headers = request_for(channel, payload, delivery_id=delivery_id)
    try:
        # A total deadline, not just per-read: a receiver trickling bytes must not hold the dispatcher.
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
            status, text = _post_with_deadline(client, channel.url, body, headers, timeout_s)
    except httpx.TimeoutException:
        raise DeliveryError(f"timed out after {timeout_s:g}s") from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:500]) from None
    if 200 <= status < 300:
        return status
    detail = text[:200].strip().replace("\n", " ")
    raise DeliveryError(
        f"HTTP {status}" + (f": {detail}" if detail else ""), permanent=status in PERMANENT_STATUSES
    )


def _post_with_deadline(
    client: Any, url: str, body: bytes, headers: dict[str, str], timeout_s: float
) -> tuple[int, str]:
    import httpx

    deadline = time.monotonic() + timeout_s
    with client.stream("POST", url, content=body, headers=headers) as response:
        kept = b""
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("total deadline exceeded")
            if len(kept) < 4096:  # only the start of an error body is kept
                kept += chunk[: 4096 - len(kept)]
        return response.status_code, kept.decode("utf-8", "replace")


def default_name(kind: str, url: str) -> str:
    return f"{kind}-{hashlib.sha256(url.encode()).hexdigest()[:6]}"


def test_payload(now: datetime) -> dict[str, Any]:
    """What `tb alerts test` sends: the real payload shape, marked as a test."""
    stamp = now.isoformat()
    return {
        "type": "test",
        "kind": "test",
        "alert_id": None,
        "threshold_pct": 0,
        "budget": {
            "id": None,
            "name": "example",
            "scope": "global",
            "project": None,
            "period": "monthly",
            "timezone": "UTC",
        },
        "period": {"start": stamp, "end": stamp},
        "spent_usd": "0.000000000",
        "limit_usd": "0.000000000",
        "percent": "0.0",
        "forecast_usd": "0.000000000",
        "forecast_percent": "0.0",
        "run_out_at": None,
        "message": "TokenBudget test alert: this channel works.",
        "triggered_at": stamp,
    }
