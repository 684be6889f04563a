"""`RemoteSource`: the dashboard's numbers from a `tb serve` (`tb tui --remote URL --api-key K`).

Per refresh: GET /api/analytics/report (exactly `tb report --format json`, by model and by feature),
/api/analytics/timeseries (hourly periods), /api/budgets/status (the gauges) and /api/events/latest (the live
tail). The server adds the key's project scope to each, and the objects built here equal LocalSource's for the
same store and scope.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tokenbudget.tui.data import (
    TAIL_SIZE,
    BudgetGauge,
    ChartPoint,
    DashboardQuery,
    Snapshot,
    SourceUnavailable,
    TailEvent,
    hour_points,
)

if TYPE_CHECKING:
    import httpx

TIMEOUT_S = 5.0


class RemoteSource:
    def __init__(
        self,
        url: str,
        api_key: str | None,
        *,
        client: httpx.Client | None = None,
        tail_size: int = TAIL_SIZE,
    ) -> None:
        import httpx

        if not api_key:
            raise SourceUnavailable("--remote needs an API key: --api-key or TOKENBUDGET_API_KEY")
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=TIMEOUT_S)
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._tail_size = tail_size

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
            # Every budget of the key's projects, whatever the filters (as LocalSource: each has its own scope).
            budgets=[budget_gauge(b) for b in self._get("/api/budgets/status", {})["budgets"]],
            tail=[
                tail_event(e)
                for e in self._get(
                    "/api/events/latest", {"limit": self._tail_size, **query.active_filters()}
                )["events"]
            ],
            fetched_at=now,
            query_ms=(time.perf_counter() - started) * 1000,
        )


def budget_gauge(data: dict[str, Any]) -> BudgetGauge:
    """One `BudgetStatus.as_json()` object as the gauge LocalSource builds from the BudgetStatus itself."""
    return BudgetGauge(
        name=data["name"],
        scope=data["scope"],
        period=data["period"],
        spent_usd=Decimal(data["spent_usd"]),
        limit_usd=Decimal(data["limit_usd"]),
        percent=Decimal(data["percent"]),
        forecast_usd=Decimal(data["forecast_usd"]),
        forecast_percent=Decimal(data["forecast_percent"]),
        state=data["state"],
    )


def tail_event(data: dict[str, Any]) -> TailEvent:
    """One /api/events/latest object as the tail row LocalSource builds from the stored Event."""
    cost = data["cost_usd"]
    return TailEvent(
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        model=data["model"],
        feature=data["feature"],
        user_id=data["user_id"],
        project=data["project"],
        tokens=data["input_tokens"] + data["output_tokens"],
        cost_usd=None if cost is None else Decimal(cost),
        cost_status=data["cost_status"],
        status=data["status"],
        latency_ms=data["latency_ms"],
    )
