"""The outbox dispatcher: sends pending deliveries with a timeout, retries with exponential backoff, gives up.

Each run claims due deliveries under a lease (`claimed_until = now + lease`), counts the attempt, sends, and records
the outcome. A dispatcher that dies mid-send leaves its lease to lapse; the next run claims the delivery again.
Schedule (defaults): attempt n failed -> next try after min(backoff_s * 2**(n-1), max_backoff_s), i.e. 30 s, 1, 2,
4, 8, 16, 32 min; after `max_attempts` (8) attempts the delivery is `failed` for good. Client errors that no retry
fixes (400, 401, 403, 404, 405, 410, 413, 422) fail at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from tokenbudget.core.alerts.channels import DeliveryError, send

if TYPE_CHECKING:
    from tokenbudget.core.store import Store
    from tokenbudget.core.store.alerts_repo import ClaimedDelivery

MAX_ATTEMPTS = 8
BACKOFF_S = 30.0
MAX_BACKOFF_S = 3600.0
TIMEOUT_S = 10.0


@dataclass
class DispatchResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed, "errors": self.errors}


@dataclass
class Dispatcher:
    store: Store
    timeout_s: float = TIMEOUT_S
    max_attempts: int = MAX_ATTEMPTS
    backoff_s: float = BACKOFF_S
    max_backoff_s: float = MAX_BACKOFF_S
    batch: int = 50
    # Longer than any send can take (timeout plus slack), so a live dispatcher never loses its lease.
    lease_s: float | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff_s * 2 ** max(0, attempts - 1), self.max_backoff_s))

    def run_once(self) -> DispatchResult:
        """Send every delivery due now (in batches) once; later retries are for later runs."""
        from tokenbudget.core.store import alerts_repo

        result = DispatchResult()
        now = self.clock()
        result.failed += alerts_repo.give_up_expired(self.store.engine, now, self.max_attempts)
        lease = timedelta(seconds=self.lease_s if self.lease_s is not None else self.timeout_s * 2 + 30)
        seen: set[int] = set()
        while True:
            now = self.clock()
            claimed = alerts_repo.claim_due(
                self.store.engine,
                now=now,
                lease_until=now + lease,
                token=self.token,
                limit=self.batch,
                max_attempts=self.max_attempts,
                exclude=seen,
            )
            if not claimed:
                return result
            for delivery in claimed:
                seen.add(delivery.id)
                self._deliver(delivery, result)

    def _deliver(self, delivery: ClaimedDelivery, result: DispatchResult) -> None:
        from tokenbudget.core.store import alerts_repo

        payload = dict(delivery.payload, alert_id=delivery.alert_id)
        try:
            send(delivery.channel, payload, timeout_s=self.timeout_s, delivery_id=delivery.id)
        except DeliveryError as exc:
            now = self.clock()
            final = exc.permanent or delivery.attempts >= self.max_attempts
            alerts_repo.finish_delivery(
                self.store.engine,
                delivery.id,
                token=self.token,
                status="failed" if final else "pending",
                now=now,
                error=str(exc),
                next_attempt_at=None if final else now + self.backoff(delivery.attempts),
            )
            result.errors.append(f"{delivery.channel.name}: {exc}")
            if final:
                result.failed += 1
            else:
                result.retrying += 1
            return
        alerts_repo.finish_delivery(
            self.store.engine, delivery.id, token=self.token, status="sent", now=self.clock()
        )
        result.sent += 1
