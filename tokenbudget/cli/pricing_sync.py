"""`tb pricing sync` and `tb pricing changes`: keep the price table current (from cron) and see what changed.

Registered on the `tb pricing` app (imported at the end of tokenbudget/cli/pricing.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer

from tokenbudget.cli import context
from tokenbudget.cli.output import OutputFormat, format_option
from tokenbudget.cli.pricing import app

if TYPE_CHECKING:
    from tokenbudget.core.pricing.sync import SyncResult

# Kept in step with tokenbudget.core.pricing.sync (not imported here: `tb --help` must stay instant).
DEFAULT_SOURCE = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
SHOWN_MODELS = 40  # longer lists are cut on a terminal (JSON always has everything)
MILLION = Decimal(1_000_000)


@app.command("sync")
def sync(
    ctx: typer.Context,
    source: str = typer.Option(
        DEFAULT_SOURCE,
        "--source",
        envvar="TOKENBUDGET_PRICING_SOURCE",
        help="URL or local path of a LiteLLM price table (default: LiteLLM's table on GitHub).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what changed; store nothing."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print nothing unless prices changed (for cron). Errors still print."
    ),
    timeout: float = typer.Option(
        30.0, "--timeout", min=0.1, help="Seconds to wait to connect and for each read, per attempt."
    ),
    retries: int = typer.Option(
        3, "--retries", min=0, help="Attempts after the first on network errors, 429 and 5xx."
    ),
    min_models: int = typer.Option(
        500, "--min-models", min=0, help="Refuse a table with fewer models (truncated or wrong file)."
    ),
    notify: bool = typer.Option(
        False,
        "--notify",
        help="Tell the alert channels about changed prices of models used in the last 30 days (opt-in).",
    ),
    fmt: OutputFormat = format_option(),
) -> None:
    """Fetch LiteLLM's price table, compare it with the one in force and store it as a new price version.

    New calls are priced with the new table; past calls keep the price that priced them (`tb reprice` is the only
    thing that rewrites history). Custom prices (`tb pricing set`) always win. If the download or validation fails,
    nothing is stored and the old prices stay in force. Exit codes: 0 synced (changed or not), 1 failed, 2 bad usage.
    """
    from tokenbudget.core.errors import TokenBudgetError
    from tokenbudget.core.pricing.sync import sync_prices

    if fmt is OutputFormat.csv:
        raise typer.BadParameter("tb pricing sync prints table or json", param_hint="--format")
    cli = context.get(ctx)
    store = cli.store()
    with _DownloadProgress(enabled=not quiet) as on_progress:
        try:
            result = sync_prices(
                store,
                source,
                dry_run=dry_run,
                timeout=timeout,
                retries=retries,
                min_models=min_models,
                progress=on_progress,
            )
        except TokenBudgetError as exc:
            raise type(exc)(f"{exc}; the prices in force are unchanged") from None
    cli.forget_book()
    notice = None
    if notify and result.stored:
        from tokenbudget.core.alerts.price_notice import notify_price_changes

        notice = notify_price_changes(store, result)
    if quiet and not result.changed:
        return
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({**result.to_json(), **({"notified": notice.to_json()} if notice is not None else {})})
        return
    _render_sync(result)
    if notice is not None and (notice.sent or notice.failed):
        from tokenbudget.cli.output import console

        console().print(
            f"Told {len(notice.sent)} channel(s) about {len(notice.models)} changed model(s) in use"
            + (f"; [red]{len(notice.failed)} channel(s) failed[/]" if notice.failed else "")
        )


class _DownloadProgress:
    """A download bar on a terminal (stderr); a no-op callback in cron and pipes."""

    def __init__(self, *, enabled: bool) -> None:
        import sys

        self.enabled = enabled and sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        from tokenbudget.cli.output import console

        self._progress = Progress(
            TextColumn("price table"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("download", total=None)
        return self._update

    def _update(self, done: int, total: int | None) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _per_1m(rate: Decimal | str | None) -> str:
    if rate is None:
        return "-"
    value = (Decimal(rate) * MILLION).normalize()
    return f"${format(value, 'f')}"


def _render_sync(result: SyncResult) -> None:
    from rich.table import Table

    from tokenbudget.cli.output import console

    out = console()
    diff = result.diff
    if not result.changed:
        out.print(
            f"Prices are up to date: {result.source} prices exactly like version {result.old_version} "
            f"({result.model_count:,} models). Nothing stored."
        )
    else:
        out.print(
            f"[bold]Price table {result.old_version} → {result.new_version}[/] ({result.model_count:,} models, "
            f"from {result.source}): {len(diff.added):,} new model(s), {len(diff.removed):,} removed, "
            f"{len(diff.changed):,} changed rate(s) in {len(diff.changed_models):,} model(s)."
        )
        for title, models in (("New models", diff.added), ("Removed models", diff.removed)):
            if not models:
                continue
            table = Table(title=title, title_justify="left", header_style="bold")
            for col in ("model", "provider", "input /1M", "output /1M", "note"):
                table.add_column(col, justify="right" if "/1M" in col else "left")
            for price in models[:SHOWN_MODELS]:
                note = "custom price wins" if result.overridden(price.key) else (price.unpriced_reason or "")
                table.add_row(
                    price.key, price.provider or "", _per_1m(price.input), _per_1m(price.output), note
                )
            out.print(table)
            if len(models) > SHOWN_MODELS:
                out.print(f"[dim]… and {len(models) - SHOWN_MODELS:,} more (see --format json)[/]")
        if diff.changed:
            table = Table(title="Changed rates", title_justify="left", header_style="bold")
            for col in ("model", "rate", "old /1M", "new /1M", "change", "note"):
                table.add_column(col, justify="left" if col in ("model", "rate", "note") else "right")
            for change in diff.changed[: SHOWN_MODELS * 3]:
                pct = change.percent
                table.add_row(
                    change.model,
                    change.field,
                    _per_1m(change.old),
                    _per_1m(change.new),
                    change.change if pct is None else f"{pct:+}%",
                    "custom price wins" if result.overridden(change.model) else "",
                )
            out.print(table)
            if len(diff.changed) > SHOWN_MODELS * 3:
                out.print(f"[dim]… and {len(diff.changed) - SHOWN_MODELS * 3:,} more (see --format json)[/]")
        if result.dry_run:
            out.print("[yellow]Dry run: nothing stored; the prices in force are unchanged.[/]")
        else:
            out.print(
                f"Stored price version {result.new_version} ({result.written:,} change record(s)). New calls use "
                "it; past calls keep their price (`tb reprice --all` re-prices them)."
            )
    for item in result.now_priceable:
        verb = "could now be priced" if result.dry_run else "can now be priced"
        out.print(f"[green]{item.calls:,} unpriced call(s) of model {item.model} {verb}: run tb reprice[/]")


@app.command("changes")
def changes(
    ctx: typer.Context,
    since: str = typer.Option(
        "30d", "--since", help="Changes detected in this period (any `tb report` period: 7d, mtd, all, …)."
    ),
    model: str | None = typer.Option(None, "--model", help="Only this model (exact name, any case)."),
    fmt: OutputFormat = format_option(),
) -> None:
    """List the price changes that `tb pricing sync` recorded: new models, removed models and changed rates."""
    from tokenbudget.core.periods import parse_period
    from tokenbudget.core.pricing.sync import price_change_rows

    period = parse_period(since)
    records = context.get(ctx).store().list_price_changes(since=period.start, until=period.end, model=model)
    rows = price_change_rows(records)
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({"since": period.start, "until": period.end, "model": model, "changes": rows})
        return
    if fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv

        header = ("detected_at", "model", "field", "change", "old", "new", "percent", "price_version")
        write_csv(header, ([row[h] for h in header] for row in rows))
        return
    from rich.table import Table

    from tokenbudget.cli.output import console

    out = console()
    if not rows:
        out.print(f"No price changes recorded in {period.label} (run `tb pricing sync`).")
        return
    table = Table(title=f"Price changes · {period.label}", title_justify="left", header_style="bold")
    table.add_column("detected", no_wrap=True)
    table.add_column("model", overflow="fold")
    table.add_column("rate", overflow="fold")
    for col in ("old /1M", "new /1M", "change"):
        table.add_column(col, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            f"{row['detected_at']:%Y-%m-%d %H:%M}",
            row["model"],
            row["field"],
            _per_1m(row["old"]),
            _per_1m(row["new"]),
            row["change"] if row["percent"] is None else f"{Decimal(row['percent']):+}%",
        )
    out.print(table)
    out.print(f"[dim]{len(rows):,} change(s)[/]")
