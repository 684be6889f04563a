"""`tb reprice`: the one explicit act that rewrites stored costs, with the difference shown first."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.filters import ModelOption, PeriodOption, ProjectOption, event_filter
from tokenbudget.cli.output import OutputFormat, format_option

if TYPE_CHECKING:
    from tokenbudget.core.reprice import RepricePlan

app = new_typer()


@app.command()
def reprice(
    ctx: typer.Context,
    period: PeriodOption = "all",
    everything: bool = typer.Option(
        False, "--all", help="Re-price every call in the period, not only the unpriced ones."
    ),
    model: ModelOption = None,
    project: ProjectOption = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before writing."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Price past calls with the current book (including custom prices).

    By default only calls stored as unpriced are priced. With --all, every call in the period is re-priced, which
    rewrites history: the difference is shown first, and nothing is written with --dry-run.
    """
    from tokenbudget.core.periods import parse_period
    from tokenbudget.core.reprice import plan_reprice, reprice_updates

    cli = context.get(ctx)
    store = cli.store()
    book, the_period = cli.book(), parse_period(period)
    filters = event_filter(project=project, model=model)
    plan = plan_reprice(store, book, the_period, filters, everything=everything)
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({**plan.to_json(), "dry_run": dry_run, "written": 0 if dry_run else plan.changed})
    else:
        _render(plan)
    if dry_run or not plan.changed:
        return
    if not yes and sys.stdin.isatty() and fmt is OutputFormat.table:
        typer.confirm(f"Write new costs for {plan.changed:,} call(s)?", abort=True)
    # Computed again while written, a page at a time: constant memory for any number of calls.
    written = store.update_costs(reprice_updates(store, book, the_period, filters, everything=everything))
    if fmt is OutputFormat.table:
        typer.echo(f"Re-priced {written:,} call(s).")


def _render(plan: RepricePlan) -> None:
    from rich.table import Table

    from tokenbudget.cli.output import console, usd

    out = console()
    if not plan.changed:
        out.print(f"Nothing to re-price ({plan.scanned:,} call(s) looked at).")
    else:
        table = Table(title="Re-price: what would change", title_justify="left", header_style="bold")
        for col in ("model", "calls", "newly priced", "old cost", "new cost", "difference"):
            table.add_column(col, justify="left" if col == "model" else "right")
        for name, d in sorted(plan.models.items()):
            table.add_row(
                name,
                f"{d.events:,}",
                f"{d.newly_priced:,}",
                usd(d.old_cost),
                usd(d.new_cost),
                usd(d.new_cost - d.old_cost),
            )
        out.print(table)
    for model, count in sorted(plan.still_unpriced.items()):
        out.print(
            f"[yellow]{count:,} call(s) of {model} still have no price: add one with tb pricing set {model}[/]"
        )
