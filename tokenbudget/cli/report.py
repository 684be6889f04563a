"""`tb report`: what the calls cost in a period, broken down by a dimension."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.filters import (
    ApiKeyOption,
    EnvOption,
    FeatureOption,
    ModelOption,
    PeriodOption,
    ProjectOption,
    ProviderOption,
    RemoteOption,
    UserOption,
    event_filter,
)
from tokenbudget.cli.output import OutputFormat, format_option

if TYPE_CHECKING:
    from tokenbudget.core.analytics import Report

app = new_typer()

BY_CHOICES = "model|provider|feature|user|env|project|day|week|month"
SPARK = "▁▂▃▄▅▆▇█"


@app.command()
def report(
    ctx: typer.Context,
    period: PeriodOption = "30d",
    by: str = typer.Option("model", "--by", "-b", help=f"Break the cost down by {BY_CHOICES}."),
    project: ProjectOption = None,
    feature: FeatureOption = None,
    model: ModelOption = None,
    provider: ProviderOption = None,
    user: UserOption = None,
    env: EnvOption = None,
    top: int | None = typer.Option(
        None, "--top", "-n", min=1, help="Show the N most expensive rows; the rest are folded into '(other)'."
    ),
    fmt: OutputFormat = format_option(),
    remote: RemoteOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Show total cost, requests and tokens in a period, the change against the previous period, and a breakdown.

    All aggregation runs in the database. Calls whose model has no price are counted and flagged, never as $0.

    Examples:

      tb report                          # last 30 days by model

      tb report --period mtd --by feature --project checkout

      tb report --period 2026-11-01..2026-11-15 --by day --format json
    """
    from tokenbudget.core.analytics import BREAKDOWN_DIMENSIONS, build_report, report_to_json
    from tokenbudget.core.errors import InvalidPeriodError
    from tokenbudget.core.periods import parse_period

    if by not in BREAKDOWN_DIMENSIONS:
        raise InvalidPeriodError(f"--by must be one of {', '.join(BREAKDOWN_DIMENSIONS)}, got {by!r}")
    the_period = parse_period(period)
    filters = event_filter(
        project=project, feature=feature, model=model, provider=provider, user=user, env=env
    )
    if remote:
        # The server runs the same build_report over the key's projects; see cli/remote.py.
        from tokenbudget.cli.remote import fetch_report, filter_params, report_from_json

        data = fetch_report(
            remote, api_key, {"period": period, "by": by, "top": top, **filter_params(filters)}
        )
        result = report_from_json(data)
    else:
        data = None
        result = build_report(context.get(ctx).store(), the_period, filters, by=by, top=top)
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json(data if data is not None else report_to_json(result))
    elif fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv
        from tokenbudget.core.analytics import BREAKDOWN_COLUMNS

        write_csv(BREAKDOWN_COLUMNS, ([getattr(row, c) for c in BREAKDOWN_COLUMNS] for row in result.rows))
    else:
        render_report(result)


def sparkline(values: list[Decimal]) -> str:
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(
        SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1) + Decimal("0.5")))] for v in values
    )


def _change(current: Decimal, previous: Decimal) -> str:
    if previous == 0:
        return "[dim]no previous data[/]" if current == 0 else "[dim]new (nothing the period before)[/]"
    pct = (current - previous) / previous * 100
    colour = "red" if pct > 0 else "green"
    return f"[{colour}]{pct:+.1f}%[/] vs previous period"


def render_report(result: Report) -> None:
    from rich.panel import Panel
    from rich.table import Table

    from tokenbudget.cli.output import console, tokens, usd

    out = console()
    t = result.totals
    period = result.period
    title = f"TokenBudget report · {period.label} · {period.start:%Y-%m-%d %H:%M} → {period.end:%Y-%m-%d %H:%M} UTC"
    filters = ", ".join(f"{k}={v}" for k, v in vars(result.filters).items() if v)
    kpis = Table.grid(padding=(0, 3))
    kpis.add_column(style="bold")
    kpis.add_column()
    kpis.add_row(
        "Total cost", f"[bold]{usd(t.cost_usd)}[/]  {_change(t.cost_usd, result.previous_totals.cost_usd)}"
    )
    kpis.add_row(
        "Requests",
        f"{t.requests:,}" + (f"  ([red]{t.error_requests:,} errors[/])" if t.error_requests else ""),
    )
    kpis.add_row("Avg per request", usd(t.avg_cost_per_request))
    kpis.add_row(
        "Input tokens",
        f"{tokens(t.input_tokens)}  (cache read {tokens(t.cache_read_input_tokens)}, "
        f"cache write {tokens(t.cache_write_input_tokens)})",
    )
    kpis.add_row("Output tokens", f"{tokens(t.output_tokens)}  (reasoning {tokens(t.reasoning_tokens)})")
    if result.daily:
        spark = sparkline([cost for _, cost in result.daily])
        kpis.add_row(
            "Daily spend", f"[cyan]{spark}[/]  {result.daily[0][0]:%m-%d} → {result.daily[-1][0]:%m-%d}"
        )
    if filters:
        kpis.add_row("Filters", filters)
    out.print(Panel(kpis, title=title, title_align="left", border_style="blue"))

    table = Table(title=f"Cost by {result.by}", title_justify="left", header_style="bold")
    cells = [
        (
            usd(row.cost_usd),
            f"{row.cost_usd / t.cost_usd * 100:.1f}%" if t.cost_usd else "-",
            f"{row.requests:,}",
            tokens(row.input_tokens),
            tokens(row.output_tokens),
            f"{row.unpriced_requests:,}" if row.unpriced_requests else "",
        )
        for row in result.rows
    ]
    # Numbers never shrink; the name column gives way first (ellipsised; the JSON has it whole).
    table.add_column(result.by, overflow="ellipsis", min_width=min(len(result.by), 12))
    for i, column in enumerate(("cost", "share", "requests", "input", "output", "unpriced")):
        width = max([len(column), *(len(c[i]) for c in cells)])
        table.add_column(column, justify="right", no_wrap=True, min_width=width)
    for row, numbers in zip(result.rows, cells, strict=True):
        table.add_row(row.key, *numbers[:-1], f"[red]{numbers[-1]}[/]" if numbers[-1] else "")
    if not result.rows:
        table.add_row("[dim]no calls in this period[/]", "", "", "", "", "", "")
    out.print(table)
    if t.unpriced_requests:
        out.print(
            f"[bold red]⚠ {t.unpriced_requests:,} call(s) in this period have no price and are NOT in the total.[/] "
            "Add a price with [bold]tb pricing set MODEL[/], then run [bold]tb reprice[/]."
        )
    if t.client_reported_requests:
        out.print(
            f"[yellow]{t.client_reported_requests:,} call(s) are priced with the cost their client reported.[/]"
        )
