"""`RemoteSource`: the dashboard's numbers from a `tb serve` (`tb tui --remote URL --api-key K`).

Per refresh: GET /api/analytics/report (exactly `tb report --format json`, by model), /api/analytics/breakdown
by feature and /api/analytics/timeseries (hourly or daily). The server has no budget-status or newest-events
endpoint yet, so those panels say "not available from the server" instead of showing nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tokenbudget.tui.data import ChartPoint, DashboardQuery, Snapshot, SourceUnavailable, hour_points

if TYPE_CHECKING:
    import httpx

TIMEOUT_S = 5.0
REMOTE_NOTES = ("budgets and the live tail need a server endpoint that does not exist yet",)


class RemoteSource:
    def __init__(self, url: str, api_key: str | None, *, client: httpx.Client | None = None) -> None:
        import httpx

        if not api_key:
            raise SourceUnavailable("--remote needs an API key: --api-key or TOKENBUDGET_API_KEY")
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=TIMEOUT_S)
        self._headers = {"Authorization": f"Bearer {api_key}"}

    @property
    def description(self) -> str:
        return self.url

    def invalidate(self) -> None:
        """Nothing cached here (the server caches its own answers)."""

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        import httpx

        endpoint = f"{self.url}{path}"
        try:
            response = self._client.get(
                endpoint, params={k: v for k, v in params.items() if v is not None}, headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"cannot reach {self.url}: {exc or type(exc).__name__}") from None
        if response.status_code != 200:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text[:200]
            raise SourceUnavailable(f"{endpoint} answered {response.status_code}: {detail}")
        return response.json()

    def fetch(self, query: DashboardQuery, now: datetime) -> Snapshot:
        import time

        from tokenbudget.cli.remote import report_from_json

        started = time.perf_counter()
        params: dict[str, Any] = {"period": query.period, **query.active_filters()}
        report = report_from_json(self._get("/api/analytics/report", {**params, "by": "model"}))
        features = report_from_json(self._get("/api/analytics/report", {**params, "by": "feature"}))
        if query.granularity == "hour":
            series = self._get("/api/analytics/timeseries", {**params, "granularity": "hour"})
            costs = {row["key"][:13]: Decimal(row["cost_usd"]) for row in series["rows"]}
            chart = hour_points(report.period, costs)
        else:  # the report's daily series is already zero-filled
            chart = [ChartPoint(day.isoformat(), cost) for day, cost in report.daily]
        return Snapshot(
            query=query,
            period=report.period,
            totals=report.totals,
            previous_totals=report.previous_totals,
            by_model=report.rows,
            by_feature=features.rows,
            granularity=query.granularity,
            chart=chart,
            budgets=None,
            tail=None,
            fetched_at=now,
            query_ms=(time.perf_counter() - started) * 1000,
            notes=REMOTE_NOTES,
        )
