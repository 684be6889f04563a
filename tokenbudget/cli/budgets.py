"""`tb budgets`: set, list, status (spend, bar, forecast, run-out date), rm, and check for cron and CI."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.output import OutputFormat, format_option

if TYPE_CHECKING:
    from tokenbudget.core.budgets import BudgetStatus

app = new_typer(help="Budgets per scope and calendar period: set, list, status with forecast, rm, check.")

# `tb budgets check`: spending at or over --fail-over (or, with --fail-on-forecast, forecast to) exits 3, distinct
# from 1 (an error) and 2 (bad usage), so a pipeline can tell "over budget" from "tb broke".
EXIT_OVER = 3
LIST_COLUMNS = ("name", "scope", "project", "period", "timezone", "limit_usd", "thresholds")
STATUS_COLUMNS = (
    "name",
    "scope",
    "period",
    "period_start",
    "period_end",
    "spent_usd",
    "limit_usd",
    "percent",
    "forecast_usd",
    "forecast_percent",
    "run_out_at",
    "unpriced_requests",
    "state",
)
BAR_WIDTH = 10


@app.command("set")
def set_budget(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The budget's name (setting an existing name updates it)."),
    scope: str | None = typer.Option(
        None,
        "--scope",
        "-s",
        help="global, or project:NAME, feature:NAME, user:ID, env:NAME, model:NAME, key:tb_ak_PREFIX. "
        "New budgets default to global.",
    ),
    period: str | None = typer.Option(
        None, "--period", "-p", help="daily, weekly (from Monday) or monthly. New budgets default to monthly."
    ),
    limit: str | None = typer.Option(None, "--limit", "-l", help="Limit in USD per period, e.g. 500."),
    thresholds: str | None = typer.Option(
        None, "--thresholds", "-t", help="Alert thresholds in percent of the limit. Default 50,80,100."
    ),
    project: str | None = typer.Option(
        None, "--project", help="Only count this project's calls (with any scope)."
    ),
    tz: str | None = typer.Option(
        None,
        "--timezone",
        help="IANA time zone where periods start (default: the TOKENBUDGET_TIMEZONE setting).",
    ),
    fmt: OutputFormat = format_option(),
) -> None:
    """Create a budget, or update the one with this NAME (options not given keep their value).

    tb budgets set checkout --scope project:checkout --period monthly --limit 500

    tb budgets set search-daily --scope feature:search --period daily --limit 20 --thresholds 80,100
    """
    from dataclasses import replace

    from tokenbudget.core import budgets as core
    from tokenbudget.core.errors import NotFoundError

    store = context.get(ctx).store()
    try:
        existing: core.Budget | None = store.get_budget(name)
    except NotFoundError:
        existing = None
    name = name.strip()
    if not name or len(name) > 200:
        raise core.BudgetError("a budget name is 1 to 200 characters")
    if existing is None and limit is None:
        raise core.BudgetError("--limit is required for a new budget")
    given: dict[str, object] = {}
    if scope is not None:
        given["scope"], given["scope_value"] = core.parse_scope(scope)
        if given["scope"] == "project" and project is None:
            given["project"] = given["scope_value"]  # a project budget belongs to that project (API scoping)
    if project is not None:
        given["project"] = project.strip() or None
    if limit is not None:
        given["limit_usd"] = core.parse_limit(limit)
    if period is not None:
        given["period"] = core.parse_period_name(period)
    if thresholds is not None:
        given["thresholds"] = core.parse_thresholds(thresholds)
    if tz is not None:
        given["timezone"] = core.check_timezone(tz)
    if existing is None:
        defaults: dict[str, object] = {"scope": "global", "scope_value": None, "period": "monthly"}
        budget = core.Budget(name=name, **{**defaults, **given})  # type: ignore[arg-type]
    else:
        budget = replace(existing, **given)  # type: ignore[arg-type]
    saved, created = store.save_budget(budget)
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json({"created": created, "budget": saved.as_json()})
        return
    from tokenbudget.cli.output import usd

    typer.echo(
        f"{'Created' if created else 'Updated'} budget {saved.name}: {usd(saved.limit_usd)} {saved.period}, "
        f"scope {saved.scope_label}, alerts at {','.join(map(str, saved.thresholds))}%."
    )


@app.command("list")
def list_budgets(ctx: typer.Context, fmt: OutputFormat = format_option()) -> None:
    """List budgets (definitions only; `tb budgets status` shows spend)."""
    found = [b.as_json() for b in context.get(ctx).store().list_budgets()]
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({"budgets": found})
        return
    rows = [[b[c] if c != "thresholds" else ",".join(map(str, b[c])) for c in LIST_COLUMNS] for b in found]
    if fmt is OutputFormat.table:
        from decimal import Decimal

        from tokenbudget.cli.output import usd

        for row in rows:
            row[5] = usd(Decimal(str(row[5])))
    if fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv

        write_csv(LIST_COLUMNS, rows)
        return
    from rich.table import Table

    from tokenbudget.cli.output import console

    table = Table(header_style="bold")
    for column in LIST_COLUMNS:
        table.add_column(column, justify="right" if column == "limit_usd" else "left")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    if not rows:
        table.add_row("[dim]no budgets: tb budgets set NAME --limit 500[/]", *[""] * (len(LIST_COLUMNS) - 1))
    console().print(table)


def _statuses(ctx: typer.Context, names: list[str] | None) -> list[BudgetStatus]:
    from tokenbudget.core.budgets import all_statuses

    cli = context.get(ctx)
    return all_statuses(cli.store(), default_timezone=cli.settings.timezone, names=names or None)


@app.command("status")
def status(
    ctx: typer.Context,
    names: list[str] | None = typer.Argument(None, help="Only these budgets (default: all)."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Spend this period against each limit, with a bar, the end-of-period forecast and the run-out date."""
    _emit(_statuses(ctx, names), fmt, extra={})


@app.command("rm")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help="The budget to delete.")) -> None:
    """Delete a budget and its alert history."""
    gone = context.get(ctx).store().delete_budget(name)
    typer.echo(f"Deleted budget {gone.name}.")


@app.command("check")
def check(
    ctx: typer.Context,
    names: list[str] | None = typer.Argument(None, help="Only these budgets (default: all)."),
    fail_over: float = typer.Option(
        100.0, "--fail-over", min=0, help="Exit 3 when a budget has spent at least this percent of its limit."
    ),
    fail_on_forecast: bool = typer.Option(
        False, "--fail-on-forecast", help="Also exit 3 when a budget is forecast to reach its limit."
    ),
    fmt: OutputFormat = format_option(),
) -> None:
    """Print budget status; exit 3 when a budget is at or over --fail-over percent (for cron and CI).

    Exit codes: 0 every budget is under; 3 at least one is at/over the line; 1 an error; 2 bad usage.
    """
    from decimal import Decimal

    statuses = _statuses(ctx, names)
    line = Decimal(str(fail_over)).normalize()
    over = [
        s.budget.name
        for s in statuses
        if s.spent_usd * 100 >= s.limit_usd * line
        or (fail_on_forecast and s.forecast.projected_usd >= s.limit_usd)
    ]
    _emit(statuses, fmt, extra={"fail_over": format(line, "f"), "over": over})
    if over:
        if fmt is OutputFormat.table:
            typer.echo(f"Over budget ({line:f}% line): {', '.join(over)}", err=True)
        raise typer.Exit(EXIT_OVER)


def _emit(statuses: list[BudgetStatus], fmt: OutputFormat, *, extra: dict[str, object]) -> None:
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({**extra, "budgets": [s.as_json() for s in statuses]})
    elif fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv

        write_csv(STATUS_COLUMNS, ([s.as_json()[c] for c in STATUS_COLUMNS] for s in statuses))
    else:
        render_status(statuses)


def bar(percent: float, width: int = BAR_WIDTH) -> str:
    filled = max(0, min(width, round(percent / 100 * width)))
    colour = "red" if percent >= 100 else "yellow" if percent >= 80 else "green"
    return f"[{colour}]{'█' * filled}[/][dim]{'░' * (width - filled)}[/]"


def render_status(statuses: list[BudgetStatus]) -> None:
    from zoneinfo import ZoneInfo

    from rich import box
    from rich.table import Table
    from rich.text import Text

    from tokenbudget.cli.output import console, usd

    rows = []
    for s in statuses:
        f = s.forecast
        forecast_colour = "red" if f.projected_usd >= s.limit_usd else "default"
        if s.state == "over":
            runs_out = "[red]over[/]"
        else:
            local = f.run_out_at.astimezone(ZoneInfo(s.timezone)) if f.run_out_at else None
            runs_out = f"{local:%b %d %H:%M}" if local else "-"
        rows.append(
            [
                s.budget.name,
                usd(s.spent_usd),
                usd(s.limit_usd),
                f"{bar(float(s.percent))} {s.percent}%",
                f"[{forecast_colour}]{usd(f.projected_usd)}[/]",
                runs_out,
            ]
        )
    # Light borders and a 10-cell bar so that the status fits an 80-column terminal; numbers never shrink.
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    headers = ("budget", "spent", "limit", "used", "forecast", "runs out")
    for i, column in enumerate(headers):
        width = max([len(column), *(len(Text.from_markup(row[i]).plain) for row in rows)])
        table.add_column(column, no_wrap=True, min_width=width, justify="left" if i in (0, 3, 5) else "right")
    for row in rows:
        table.add_row(*row)
    if not statuses:
        console().print("[dim]No budgets yet: tb budgets set NAME --limit 500[/]")
        return
    out = console()
    out.print(table)
    unpriced = max((s.unpriced_requests for s in statuses), default=0)
    if unpriced:
        out.print(
            f"[bold red]⚠ {unpriced:,} call(s) in these periods have no price and are NOT counted.[/] "
            "Add a price with [bold]tb pricing set MODEL[/], then run [bold]tb reprice[/]."
        )
