"""Remote mode: POST batches to `tb serve` (`/v1/events/batch`), gzip'd, with retries, spooling what cannot be sent.

Retries network errors, 429 and 5xx with exponential backoff and full jitter, honouring `Retry-After`. 401, 403
and 404 say the configuration is wrong (key, project scope, endpoint): nothing is retried at once, the events are
spooled and re-sent once the server takes them, so fixing the key loses nothing. Any other 4xx (the server will
never take these events) is final. Whatever is still unsent when the retry budget (or the flush deadline) runs out goes to the spool and
is re-sent, oldest first, once the server answers again. Event ids are client-generated, so a re-send the server
already had is counted as a duplicate, not stored twice.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import random
import time
from typing import TYPE_CHECKING, Any

from tokenbudget.sdk.log import logger, warn_once
from tokenbudget.sdk.spool import Spool
from tokenbudget.sdk.wire import to_wire

if TYPE_CHECKING:
    import httpx

# Refusals that a fixed key, project or endpoint will turn into acceptance: spooled, not dropped.
CONFIGURATION_ERRORS = frozenset({401, 403, 404})

BATCH_PATH = "/v1/events/batch"
USER_AGENT = "tokenbudget-python-sdk"


class RemoteShipper:
    def __init__(
        self,
        endpoint: str,
        api_key: str,
        spool: Spool,
        *,
        timeout: float = 10.0,
        max_retry_time: float = 30.0,
        backoff_base: float = 0.5,
        backoff_max: float = 10.0,
    ) -> None:
        self.url = endpoint.rstrip("/") + BATCH_PATH
        self.api_key = api_key
        self.spool = spool
        self.timeout = timeout
        self.max_retry_time = max_retry_time
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._client: httpx.Client | None = None
        self.sent = 0
        self.accepted = 0
        self.duplicates = 0
        self.rejected = 0
        self._unreachable = False
        self._next_probe = 0.0
        self.probe_interval = 5.0

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                timeout=self.timeout,
                headers={
                    "Authorization": f"Bearer {self.api_key}",
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                    "User-Agent": USER_AGENT,
                },
            )
        return self._client

    # -- Exporter ------------------------------------------------------------------------------------------
    def export(self, batch: list[dict[str, Any]], *, deadline: float) -> None:
        wire = [to_wire(item) for item in batch]
        # While the server is known to be down, one attempt per batch: do not sit out a full retry budget each time.
        attempts = 1 if self._unreachable else None
        outcome = self._send(
            wire, deadline=min(deadline, time.monotonic() + self.max_retry_time), attempts=attempts
        )
        if outcome == "retry-later":
            self.spool.put(wire)

    def idle(self, *, deadline: float) -> None:
        if not self.spool.pending() or (self._unreachable and time.monotonic() < self._next_probe):
            return
        for claimed, events in self.spool.claim():
            # One attempt per file: a server that is still down must not hold the worker for long.
            outcome = self._send(events, deadline=time.monotonic(), attempts=1)
            if outcome == "retry-later":
                self.spool.release(claimed)
                return
            self.spool.done(claimed)
            if time.monotonic() > deadline:
                return

    def after_fork(self) -> None:
        # An httpx.Client's pooled connections belong to the parent.
        self._client = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- sending -------------------------------------------------------------------------------------------
    def _send(self, events: list[dict[str, Any]], *, deadline: float, attempts: int | None = None) -> str:
        """'sent', 'dropped' (a final 4xx) or 'retry-later'."""
        import httpx

        body = gzip.compress(json.dumps({"events": events}, separators=(",", ":")).encode(), compresslevel=5)
        attempt = 0
        while True:
            attempt += 1
            wait: float | None = None
            try:
                response = self._http().post(self.url, content=body)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    self._unreachable = False
                    self._count(response, len(events))
                    return "sent"
                problem = f"HTTP {status}"
                if status in CONFIGURATION_ERRORS:
                    warn_once(
                        f"http-{status}",
                        "tokenbudget: %s refused %d events with HTTP %d (%s); check TOKENBUDGET_API_KEY and "
                        "TOKENBUDGET_ENDPOINT: the events are kept in %s and sent once the server takes them",
                        self.url,
                        len(events),
                        status,
                        response.text[:200],
                        self.spool.directory,
                    )
                    self._unreachable = True
                    self._next_probe = time.monotonic() + self.probe_interval
                    return "retry-later"
                if status != 429 and status < 500:
                    warn_once(
                        f"http-{status}",
                        "tokenbudget: %s refused %d events with HTTP %d (%s); not retried",
                        self.url,
                        len(events),
                        status,
                        response.text[:200],
                    )
                    self.rejected += len(events)
                    return "dropped"
                wait = retry_after(response.headers.get("Retry-After"))
            if wait is None:
                wait = random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
            if (attempts is not None and attempt >= attempts) or time.monotonic() + wait > deadline:
                self._unreachable = True
                self._next_probe = time.monotonic() + self.probe_interval
                warn_once(
                    "unreachable",
                    "tokenbudget: cannot deliver events to %s (%s); spooling them to %s",
                    self.url,
                    problem,
                    self.spool.directory,
                )
                return "retry-later"
            logger.debug("tokenbudget: %s; retrying in %.2fs", problem, wait)
            time.sleep(wait)

    def _count(self, response: httpx.Response, n: int) -> None:
        self.sent += n
        try:
            data = response.json()
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        self.accepted += int(data.get("accepted") or 0)
        self.duplicates += int(data.get("duplicates") or 0)
        rejected = data.get("rejected") or []
        if rejected:
            self.rejected += len(rejected)
            first = rejected[0] if isinstance(rejected[0], dict) else {}
            warn_once(
                "rejected",
                "tokenbudget: the server rejected %d event(s), e.g. #%s: %s",
                len(rejected),
                first.get("index"),
                first.get("error"),
            )


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped at 60."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, min(seconds, 60.0))
