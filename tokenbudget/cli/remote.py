"""Reading from a `tb serve` instead of a database (`tb report|export|tui --remote URL`).

One mechanism: the server answers GET /api/analytics/report with exactly `tb report --format json`; JSON output
prints it as is, and the table/CSV views rebuild the `Report` the local path would have built and render it the
same way. Exports are the server's /api/exports/* bytes, streamed to the output as they arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from tokenbudget.core.errors import TokenBudgetError

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter, Report

TIMEOUT_S = 30.0


class RemoteError(TokenBudgetError):
    """The server could not be reached or refused the request."""


def filter_params(filters: EventFilter) -> dict[str, Any]:
    """The filters as the server's query parameters (`user`, not `user_id`)."""
    params: dict[str, Any] = dict(filters.as_dict())
    params["user"] = params.pop("user_id", None)
    return params


@contextmanager
def _get(url: str, api_key: str | None, path: str, params: dict[str, Any]) -> Iterator[Any]:
    """GET `path` from the server with the API key, as a streamed httpx response; RemoteError unless 200."""
    import httpx

    if not api_key:
        raise RemoteError("--remote needs an API key: --api-key or TOKENBUDGET_API_KEY")
    query = {k: v for k, v in params.items() if v is not None}
    endpoint = url.rstrip("/") + path
    headers = {"Authorization": f"Bearer {api_key}"}
    try:
        with httpx.stream("GET", endpoint, params=query, headers=headers, timeout=TIMEOUT_S) as response:
            if response.status_code != 200:
                response.read()
                try:
                    detail = response.json().get("detail")
                except ValueError:
                    detail = response.text[:200]
                raise RemoteError(f"{endpoint} answered {response.status_code}: {detail}")
            yield response
    except httpx.HTTPError as exc:
        raise RemoteError(f"request to {endpoint} failed: {exc}") from None


def fetch_report(url: str, api_key: str | None, params: dict[str, Any]) -> dict[str, Any]:
    with _get(url, api_key, "/api/analytics/report", params) as response:
        response.read()
        return response.json()


def download(
    url: str,
    api_key: str | None,
    path: str,
    params: dict[str, Any],
    out: IO[bytes],
    on_bytes: Callable[[int], None] | None = None,
) -> int:
    """Stream GET `path` into `out` as it arrives (constant memory); the number of bytes written."""
    written = 0
    with _get(url, api_key, path, params) as response:
        for chunk in response.iter_bytes():
            out.write(chunk)
            written += len(chunk)
            if on_bytes is not None:
                on_bytes(written)
    return written


def report_from_json(data: dict[str, Any]) -> Report:
    from tokenbudget.core.analytics import BreakdownRow, EventFilter, Report, Totals
    from tokenbudget.core.periods import Period
    from tokenbudget.core.store.aggregates import TOKEN_COLUMNS

    t, p = data["totals"], data["previous"]
    period = Period(
        datetime.fromisoformat(data["period"]["start"]),
        datetime.fromisoformat(data["period"]["end"]),
        data["period"]["label"],
    )
    previous = Period(
        datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"]), f"previous {period.label}"
    )
    totals = Totals(
        cost_usd=Decimal(t["cost_usd"]),
        requests=t["requests"],
        **{name: t[name] for name in TOKEN_COLUMNS},
        unpriced_requests=t["unpriced_requests"],
        error_requests=t["error_requests"],
        client_reported_requests=t["client_reported_requests"],
    )
    rows = [
        BreakdownRow(
            key=r["key"],
            cost_usd=Decimal(r["cost_usd"]),
            requests=r["requests"],
            **{name: r[name] for name in TOKEN_COLUMNS},
            unpriced_requests=r["unpriced_requests"],
        )
        for r in data["breakdown"]["rows"]
    ]
    return Report(
        period=period,
        previous_period=previous,
        filters=EventFilter(**data["filters"]),
        totals=totals,
        # The JSON carries only the previous period's cost and requests: all the renderers use.
        previous_totals=Totals(cost_usd=Decimal(p["cost_usd"]), requests=p["requests"]),
        by=data["breakdown"]["by"],
        rows=rows,
        daily=[(date.fromisoformat(d["date"]), Decimal(d["cost_usd"])) for d in data["daily"]],
    )
