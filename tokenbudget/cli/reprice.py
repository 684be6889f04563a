"""`tb reprice`: the one explicit act that rewrites stored costs, with the difference shown first."""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.output import OutputFormat, format_option

app = new_typer()


@dataclass
class ModelDiff:
    events: int = 0
    old_cost: Decimal = Decimal(0)
    new_cost: Decimal = Decimal(0)
    newly_priced: int = 0


@dataclass
class RepriceDiff:
    scanned: int = 0
    models: dict[str, ModelDiff] = field(default_factory=lambda: defaultdict(ModelDiff))
    still_unpriced: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def changed(self) -> int:
        return sum(d.events for d in self.models.values())

    def to_json(self) -> dict:
        return {
            "scanned": self.scanned,
            "changed": self.changed,
            "old_cost_usd": format(sum((d.old_cost for d in self.models.values()), Decimal(0)), "f"),
            "new_cost_usd": format(sum((d.new_cost for d in self.models.values()), Decimal(0)), "f"),
            "models": [
                {
                    "model": name,
                    "events": d.events,
                    "newly_priced": d.newly_priced,
                    "old_cost_usd": format(d.old_cost, "f"),
                    "new_cost_usd": format(d.new_cost, "f"),
                }
                for name, d in sorted(self.models.items())
            ],
            "still_unpriced": dict(sorted(self.still_unpriced.items())),
        }


@app.command()
def reprice(
    ctx: typer.Context,
    period: str = typer.Option("all", "--period", "-p", help="Which calls: any period `tb report` accepts."),
    everything: bool = typer.Option(
        False, "--all", help="Re-price every call in the period, not only the unpriced ones."
    ),
    model: str | None = typer.Option(None, "--model", help="Only this model."),
    project: str | None = typer.Option(None, "--project", help="Only this project."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before writing."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Price past calls with the current book (including custom prices).

    By default only calls stored as unpriced are priced. With --all, every call in the period is re-priced, which
    rewrites history: the difference is shown first, and nothing is written with --dry-run.
    """
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.periods import parse_period
    from tokenbudget.core.store import CostUpdate

    cli = context.get(ctx)
    store, book = cli.store(), cli.book()
    the_period = parse_period(period)
    filters = EventFilter(project=project, model=model)
    diff = RepriceDiff()
    updates: list[CostUpdate] = []
    for event in store.iter_events(the_period, filters, only_unpriced=not everything):
        diff.scanned += 1
        breakdown = book.try_cost(event.model, event.usage, provider=event.provider)
        if breakdown is None:
            if event.cost_status == "unpriced":
                diff.still_unpriced[event.model] += 1
            continue  # never turn a priced or client-reported call into an unpriced one
        new_cost = breakdown.total
        if (
            event.cost_status == "priced"
            and event.cost_usd == new_cost
            and event.price_version == breakdown.price_version
        ):
            continue
        entry = diff.models[breakdown.model_key]
        entry.events += 1
        entry.old_cost += event.cost_usd or Decimal(0)
        entry.new_cost += new_cost
        entry.newly_priced += event.cost_status != "priced"
        updates.append(
            CostUpdate(event.event_id, breakdown.model_key, new_cost, "priced", breakdown.price_version)
        )

    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({**diff.to_json(), "dry_run": dry_run, "written": 0 if dry_run else len(updates)})
    else:
        _render(diff)
    if dry_run or not updates:
        return
    if not yes and sys.stdin.isatty() and fmt is OutputFormat.table:
        typer.confirm(f"Write new costs for {len(updates):,} call(s)?", abort=True)
    written = store.update_costs(updates)
    if fmt is OutputFormat.table:
        typer.echo(f"Re-priced {written:,} call(s).")


def _render(diff: RepriceDiff) -> None:
    from rich.table import Table

    from tokenbudget.cli.output import console, usd

    out = console()
    if not diff.changed:
        out.print(f"Nothing to re-price ({diff.scanned:,} call(s) looked at).")
    else:
        table = Table(title="Re-price: what would change", title_justify="left", header_style="bold")
        for col in ("model", "calls", "newly priced", "old cost", "new cost", "difference"):
            table.add_column(col, justify="left" if col == "model" else "right")
        for name, d in sorted(diff.models.items()):
            table.add_row(
                name,
                f"{d.events:,}",
                f"{d.newly_priced:,}",
                usd(d.old_cost),
                usd(d.new_cost),
                usd(d.new_cost - d.old_cost),
            )
        out.print(table)
    for model, count in sorted(diff.still_unpriced.items()):
        out.print(
            f"[yellow]{count:,} call(s) of {model} still have no price: add one with tb pricing set {model}[/]"
        )
