"""Everything the PDF report shows, gathered with SQL aggregates (never one Python step per event).

One `build_report` (totals, previous period, daily series, cost by model) plus two grouped breakdowns (feature,
user) and two small optional reads: budgets (when the budgets module is installed and has budgets) and the price
changes detected in the period (the `price_changes` table that `tb pricing sync` fills). An optional part that
is missing or fails says so in `*_note`; it never breaks the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tokenbudget.core.analytics import (
    OTHER_KEY,
    BreakdownRow,
    EventFilter,
    Totals,
    breakdown,
    build_report,
    change_pct,
)

if TYPE_CHECKING:
    from tokenbudget.core.periods import Period
    from tokenbudget.core.store import Store

log = logging.getLogger(__name__)
TOP_ROWS = 10
MAX_PRICE_CHANGES = 20


@dataclass(frozen=True)
class BudgetLine:
    name: str
    scope: str
    period: str
    limit_usd: Decimal
    spent_usd: Decimal
    percent: Decimal
    forecast_usd: Decimal | None
    state: str  # ok | warning | at_risk | over


@dataclass(frozen=True)
class PriceChangeLine:
    model: str
    field: str
    old: str | None
    new: str | None
    detected_at: datetime | None
    used: bool  # the model was called in the period (within the report's scope)


@dataclass
class ReportData:
    period: Period
    previous_period: Period
    filters: EventFilter
    scope: str
    generated_at: datetime
    totals: Totals
    previous_totals: Totals
    change_pct: Decimal | None
    daily: list[tuple[date, Decimal]]
    by_model: list[BreakdownRow]
    by_feature: list[BreakdownRow]
    top_users: list[BreakdownRow]
    unpriced_models: list[tuple[str, int]]
    budgets: list[BudgetLine] = field(default_factory=list)
    budgets_note: str | None = None
    price_changes: list[PriceChangeLine] = field(default_factory=list)
    price_changes_total: int = 0
    price_changes_note: str | None = None


def scope_label(filters: EventFilter) -> str:
    parts = [
        f"{name.replace('_id', '')} {value}" for name, value in filters.as_dict().items() if name != "project"
    ]
    head = f"project {filters.project}" if filters.project else "all projects"
    if filters.projects is not None and not filters.project:
        head = "projects " + ", ".join(filters.projects) if filters.projects else "no projects"
    return " · ".join([head, *parts])


def fold(rows: list[BreakdownRow], top: int) -> list[BreakdownRow]:
    """The `top` first rows and one '(other)' row summing the rest (a handful of grouped rows, not events)."""
    if len(rows) <= top:
        return rows
    rest = rows[top:]
    other = BreakdownRow(
        key=OTHER_KEY,
        cost_usd=sum((r.cost_usd for r in rest), Decimal(0)),
        requests=sum(r.requests for r in rest),
        input_tokens=sum(r.input_tokens for r in rest),
        cache_read_input_tokens=sum(r.cache_read_input_tokens for r in rest),
        cache_write_input_tokens=sum(r.cache_write_input_tokens for r in rest),
        output_tokens=sum(r.output_tokens for r in rest),
        reasoning_tokens=sum(r.reasoning_tokens for r in rest),
        unpriced_requests=sum(r.unpriced_requests for r in rest),
    )
    return [*rows[:top], other]


def gather_report_data(
    store: Store,
    period: Period,
    filters: EventFilter | None = None,
    *,
    now: datetime | None = None,
    default_timezone: str = "UTC",
) -> ReportData:
    filters = filters or EventFilter()
    report = build_report(store, period, filters, by="model")
    t = report.totals
    data = ReportData(
        period=period,
        previous_period=report.previous_period,
        filters=filters,
        scope=scope_label(filters),
        generated_at=(now or datetime.now(timezone.utc)).astimezone(timezone.utc),
        totals=t,
        previous_totals=report.previous_totals,
        change_pct=change_pct(t.cost_usd, report.previous_totals.cost_usd),
        daily=report.daily,
        by_model=fold(report.rows, TOP_ROWS),
        by_feature=breakdown(store, period, filters, by="feature", top=TOP_ROWS),
        top_users=breakdown(store, period, filters, by="user", top=TOP_ROWS) if t.requests else [],
        # Unpriced calls have no price key, so their model row is keyed by the reported name.
        unpriced_models=[(r.key, r.unpriced_requests) for r in report.rows if r.unpriced_requests],
    )
    data.budgets, data.budgets_note = budget_lines(store, filters, now=now, default_timezone=default_timezone)
    used = {r.key.lower() for r in report.rows}
    data.price_changes, data.price_changes_total, data.price_changes_note = price_change_lines(
        store, period, used
    )
    return data


# --- optional parts ---------------------------------------------------------------------------------------------


def budget_lines(
    store: Store, filters: EventFilter, *, now: datetime | None = None, default_timezone: str = "UTC"
) -> tuple[list[BudgetLine], str | None]:
    """Budgets visible in the report's scope with their status and forecast, or ([], why there are none)."""
    from tokenbudget.core import budgets

    scope = (filters.project,) if filters.project else filters.projects
    try:
        statuses = budgets.all_statuses(store, default_timezone=default_timezone, now=now, projects=scope)
        lines = [_budget_line(status) for status in statuses]
    except Exception as exc:  # an optional section must never sink the report
        log.warning("budgets left out of the report: %s", exc)
        return [], f"Budgets could not be read ({type(exc).__name__})."
    if not lines:
        return [], "No budgets are set for this scope (tb budgets set)."
    return lines, None


def _budget_line(status: Any) -> BudgetLine:
    budget = status.budget
    forecast = getattr(status, "forecast", None)
    return BudgetLine(
        name=budget.name,
        scope=getattr(budget, "scope_label", budget.scope),
        period=budget.period,
        limit_usd=Decimal(status.limit_usd),
        spent_usd=Decimal(status.spent_usd),
        percent=Decimal(status.percent),
        forecast_usd=None if forecast is None else Decimal(forecast.projected_usd),
        state=str(status.state),
    )


def price_change_lines(
    store: Store, period: Period, used_models: set[str]
) -> tuple[list[PriceChangeLine], int, str | None]:
    """Price changes detected in the period: those of models used in it first, at most MAX_PRICE_CHANGES."""
    lister = getattr(store, "list_price_changes", None)
    if lister is None:
        return [], 0, "Price history is not available in this version of TokenBudget."
    try:
        records = lister(since=period.start, until=period.end)
    except Exception as exc:
        log.warning("price changes left out of the report: %s", exc)
        return [], 0, f"Price changes could not be read ({type(exc).__name__})."
    lines = [
        PriceChangeLine(
            model=r.model,
            field=r.field,
            old=r.old,
            new=r.new,
            detected_at=r.detected_at,
            used=_base_name(r.model) in used_models or r.model.lower() in used_models,
        )
        for r in records
    ]
    lines.sort(key=lambda line: not line.used)  # stable: newest first within each group
    note = None if lines else "No price changes were detected in this period (tb pricing sync records them)."
    return lines[:MAX_PRICE_CHANGES], len(lines), note


def _base_name(model: str) -> str:
    # Price keys are sometimes provider-prefixed ('anthropic/claude-…') while events keep the bare key.
    return model.rsplit("/", 1)[-1].lower()
