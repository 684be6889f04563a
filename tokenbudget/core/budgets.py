"""Budgets: a spending limit on a scope (global, project, feature, user, env, model, API key) per calendar period.

Periods are calendar days, ISO weeks (Monday) or months that start at local midnight in the budget's time zone
(default: `Settings.timezone`, UTC unless configured), held as half-open UTC intervals. Spend comes from the SQL
analytics (`analytics.totals`), so it is exact (Decimal from integer nano-USD) and identical on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tokenbudget.core.errors import TokenBudgetError
from tokenbudget.core.forecast import Forecast, forecast_spend
from tokenbudget.core.periods import Period

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.store import Store

SCOPES = ("global", "project", "feature", "user", "env", "model", "key")
PERIODS = ("daily", "weekly", "monthly")
DEFAULT_THRESHOLDS = (50, 80, 100)
NANO = Decimal("1e-9")
PCT = Decimal("0.1")
MAX_LIMIT = Decimal("1e9")  # a billion dollars: anything larger is a typo, and nanos must fit a BIGINT


class BudgetError(TokenBudgetError, ValueError):
    """A budget definition (scope, period, limit, thresholds, time zone) is invalid."""

    exit_code = 2
    http_status = 422


@dataclass(frozen=True)
class Budget:
    name: str
    scope: str
    scope_value: str | None
    period: str
    limit_usd: Decimal
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    project: str | None = None  # the project the budget is confined to (NULL = all)
    timezone: str | None = None  # None = the settings' time zone
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def scope_label(self) -> str:
        return self.scope if self.scope_value is None else f"{self.scope}:{self.scope_value}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scope": self.scope_label,
            "project": self.project,
            "period": self.period,
            "timezone": self.timezone,
            "limit_usd": money(self.limit_usd),
            "thresholds": list(self.thresholds),
            "created_at": None if self.created_at is None else self.created_at.isoformat(),
            "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    period: Period
    timezone: str
    now: datetime
    spent_usd: Decimal
    requests: int
    unpriced_requests: int
    forecast: Forecast
    crossed: tuple[int, ...] = field(default=())

    @property
    def limit_usd(self) -> Decimal:
        return self.budget.limit_usd

    @property
    def percent(self) -> Decimal:
        return percent_of(self.spent_usd, self.limit_usd)

    @property
    def remaining_usd(self) -> Decimal:
        return max(Decimal(0), self.limit_usd - self.spent_usd).quantize(NANO)

    @property
    def state(self) -> str:
        """over (spent >= limit), at_risk (forecast >= limit), warning (a threshold crossed), else ok."""
        if self.spent_usd >= self.limit_usd:
            return "over"
        if self.forecast.projected_usd >= self.limit_usd:
            return "at_risk"
        return "warning" if self.crossed else "ok"

    def as_json(self) -> dict[str, Any]:
        f = self.forecast
        return {
            **self.budget.as_json(),
            "timezone": self.timezone,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(),
            "spent_usd": money(self.spent_usd),
            "remaining_usd": money(self.remaining_usd),
            "percent": str(self.percent),
            "requests": self.requests,
            "unpriced_requests": self.unpriced_requests,
            "crossed": list(self.crossed),
            "forecast_usd": money(f.projected_usd),
            "forecast_percent": str(percent_of(f.projected_usd, self.limit_usd)),
            "burn_rate_usd_per_day": money(f.rate_per_day),
            "run_out_at": None if f.run_out_at is None else f.run_out_at.isoformat(),
            "state": self.state,
        }


def money(value: Decimal) -> str:
    return f"{value.quantize(NANO, rounding=ROUND_HALF_EVEN):.9f}"


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal(0).quantize(PCT)
    return (part * 100 / whole).quantize(PCT, rounding=ROUND_HALF_EVEN)


# --- parsing user input ------------------------------------------------------------------------------------------


def parse_scope(text: str) -> tuple[str, str | None]:
    """'global' or 'KIND:VALUE' (project:checkout, feature:search, user:u1, env:prod, model:gpt-4o, key:tb_ak_…)."""
    raw = (text or "").strip()
    kind, sep, value = raw.partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if kind == "global" and not value:
        return "global", None
    if kind not in SCOPES:
        raise BudgetError(
            f"unknown scope {raw!r}; use global or one of {', '.join(SCOPES[1:])} as KIND:VALUE"
        )
    if not sep or not value:
        raise BudgetError(f"scope {raw!r} needs a value, e.g. {kind}:NAME")
    if len(value) > 200:
        raise BudgetError("scope value is longer than 200 characters")
    return kind, value


def parse_period_name(text: str) -> str:
    name = (text or "").strip().lower()
    if name not in PERIODS:
        raise BudgetError(f"unknown period {text!r}; use one of {', '.join(PERIODS)}")
    return name


def parse_limit(value: str | Decimal | int) -> Decimal:
    try:
        limit = Decimal(str(value).strip().lstrip("$"))
    except InvalidOperation:
        raise BudgetError(f"limit must be an amount in USD, got {value!r}") from None
    if not limit.is_finite() or limit <= 0 or limit > MAX_LIMIT:
        raise BudgetError(f"limit must be more than 0 and at most {MAX_LIMIT:f} USD, got {value!r}")
    if limit != limit.quantize(NANO):
        raise BudgetError(f"limit has more than 9 decimals: {value!r}")
    return limit.quantize(NANO)


def parse_thresholds(value: str | list[int] | tuple[int, ...] | None) -> tuple[int, ...]:
    if value is None:
        return DEFAULT_THRESHOLDS
    items = value.split(",") if isinstance(value, str) else list(value)
    out: set[int] = set()
    for item in items:
        text = str(item).strip().rstrip("%")
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= 1000:
            raise BudgetError(f"thresholds are whole percents between 1 and 1000, got {item!r}")
        out.add(int(text))
    if not out:
        raise BudgetError("give at least one threshold, e.g. 50,80,100")
    return tuple(sorted(out))


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BudgetError(f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)") from None
    return name


# --- periods -----------------------------------------------------------------------------------------------------


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # Midnight exists in every IANA zone we care about; for the rare zone whose DST jump skips midnight,
    # zoneinfo resolves the gap forward (fold=0), which is the first instant of that local day.
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def calendar_period(kind: str, tz_name: str, now: datetime) -> Period:
    """The calendar day / ISO week / month containing `now`, in time zone `tz_name`, as a UTC half-open interval.

    Boundaries are computed on local dates and converted separately, so a week across a DST change is 167 or
    169 hours long, as the wall clock says.
    """
    zone = ZoneInfo(tz_name)
    local = now.astimezone(zone).date()
    if kind == "daily":
        first, after = local, local + timedelta(days=1)
    elif kind == "weekly":
        first = local - timedelta(days=local.weekday())
        after = first + timedelta(days=7)
    elif kind == "monthly":
        first = local.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    else:
        raise BudgetError(f"unknown period {kind!r}; use one of {', '.join(PERIODS)}")
    return Period(
        _local_midnight(first, zone), _local_midnight(after, zone), f"{kind} from {first.isoformat()}"
    )


# --- spend and status --------------------------------------------------------------------------------------------


def event_filter(store: Store, budget: Budget) -> EventFilter:
    from tokenbudget.core.analytics import EventFilter

    values: dict[str, Any] = {}
    if budget.project is not None:
        values["project"] = budget.project
    if budget.scope in ("project", "feature", "env", "model"):
        if budget.scope == "project" and budget.project not in (None, budget.scope_value):
            # Confined to one project but scoped to another: matches nothing, by construction.
            return EventFilter(projects=())
        values[budget.scope] = budget.scope_value
    elif budget.scope == "user":
        values["user_id"] = budget.scope_value
    elif budget.scope == "key":
        values["projects"] = key_projects(store, budget.scope_value or "")
    return EventFilter(**values)


def key_projects(store: Store, prefix: str) -> tuple[str, ...]:
    """The projects an API key (given by its public prefix, e.g. tb_ak_1a2b3c4d) may write to.

    Events do not record which key sent them, so a key's spend is the spend of the projects in its scope.
    """
    import sqlalchemy as sa

    from tokenbudget.core.store.schema import api_keys
    from tokenbudget.core.tenants import visible_projects

    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(api_keys.c.user_id, api_keys.c.team_id, api_keys.c.project_id).where(
                api_keys.c.prefix == prefix
            )
        ).first()
        if row is None:
            return ()
        return visible_projects(conn, user_id=row.user_id, team_id=row.team_id, project_id=row.project_id)


def budget_status(
    store: Store, budget: Budget, *, default_timezone: str = "UTC", now: datetime | None = None
) -> BudgetStatus:
    from tokenbudget.core.analytics import totals

    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    tz_name = budget.timezone or default_timezone
    period = calendar_period(budget.period, tz_name, now)
    filters = event_filter(store, budget)
    spent = totals(store, period, filters)
    forecast = forecast_spend(
        spent=spent.cost_usd,
        limit=budget.limit_usd,
        period=period,
        now=now,
        recent_spend=lambda start, end: totals(store, Period(start, end, "recent"), filters).cost_usd,
    )
    crossed = tuple(t for t in budget.thresholds if spent.cost_usd * 100 >= budget.limit_usd * t)
    return BudgetStatus(
        budget=budget,
        period=period,
        timezone=tz_name,
        now=now,
        spent_usd=spent.cost_usd,
        requests=spent.requests,
        unpriced_requests=spent.unpriced_requests,
        forecast=forecast,
        crossed=crossed,
    )


def all_statuses(
    store: Store,
    *,
    default_timezone: str = "UTC",
    now: datetime | None = None,
    names: list[str] | None = None,
    projects: tuple[str, ...] | None = None,
) -> list[BudgetStatus]:
    from tokenbudget.core.store import budgets_repo

    found = budgets_repo.list_budgets(store.engine, projects=projects)
    if names:
        missing = sorted(set(names) - {b.name for b in found})
        if missing:
            from tokenbudget.core.errors import NotFoundError

            raise NotFoundError(f"no budget named {missing[0]!r}")
        found = [b for b in found if b.name in names]
    return [budget_status(store, b, default_timezone=default_timezone, now=now) for b in found]
