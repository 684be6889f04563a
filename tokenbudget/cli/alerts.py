"""`tb alerts`: channels (Slack, webhook), test sends, history, and the cron entry points `check` and `deliver`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.output import OutputFormat, format_option

if TYPE_CHECKING:
    from tokenbudget.core.alerts.outbox import DispatchResult
    from tokenbudget.core.store import Store

app = new_typer(help="Budget alerts: Slack and webhook channels, test, history; check and deliver for cron.")

CHANNEL_COLUMNS = ("id", "name", "kind", "url", "signed", "project", "created_at")
HISTORY_COLUMNS = (
    "id",
    "triggered_at",
    "budget",
    "kind",
    "threshold_pct",
    "spent_usd",
    "limit_usd",
    "delivery",
)


@app.command("add")
def add(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="slack (incoming webhook) or webhook (generic JSON POST)."),
    url: str = typer.Argument(..., help="http:// or https:// URL to POST alerts to."),
    name: str | None = typer.Option(None, "--name", help="Channel name (default: KIND-<hash of URL>)."),
    secret: str | None = typer.Option(
        None, "--secret", help="Webhook only: sign each request with HMAC-SHA256 (see README)."
    ),
    project: str | None = typer.Option(
        None, "--project", help="Only this project's budgets alert here (default: every budget)."
    ),
    fmt: OutputFormat = format_option(),
) -> None:
    """Add a channel; every new alert is delivered to every channel.

    tb alerts add slack https://hooks.slack.com/services/T000/B000/XXXX

    tb alerts add webhook https://ops.example.com/tokenbudget --secret "$SECRET"
    """
    from datetime import datetime, timezone

    from tokenbudget.core.alerts.channels import Channel, ChannelError, check_kind, check_url, default_name
    from tokenbudget.core.store import alerts_repo

    kind = check_kind(kind)
    url = check_url(url)
    if secret is not None and kind != "webhook":
        raise ChannelError("--secret applies to webhook channels (Slack URLs are their own secret)")
    if secret is not None and not secret.strip():
        raise ChannelError("--secret must not be empty")
    channel = Channel(
        name=(name or default_name(kind, url)).strip(), kind=kind, url=url, secret=secret, project=project
    )
    saved = alerts_repo.add_channel(context.get(ctx).store().engine, channel, datetime.now(timezone.utc))
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(saved.as_json())
        return
    typer.echo(f"Added {saved.kind} channel {saved.name}{' (signed)' if saved.secret else ''}.")


@app.command("list")
def list_channels(ctx: typer.Context, fmt: OutputFormat = format_option()) -> None:
    """List alert channels (Slack URLs shortened: they are credentials)."""
    from tokenbudget.core.store import alerts_repo

    found = [c.as_json() for c in alerts_repo.list_channels(context.get(ctx).store().engine)]
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({"channels": found})
        return
    rows = [[c[k] for k in CHANNEL_COLUMNS] for c in found]
    if fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv

        write_csv(CHANNEL_COLUMNS, rows)
        return
    _table(CHANNEL_COLUMNS, rows, "no channels: tb alerts add slack URL")


@app.command("rm")
def remove(ctx: typer.Context, channel: str = typer.Argument(..., help="Channel name or id.")) -> None:
    """Remove a channel (its pending deliveries are dropped)."""
    from tokenbudget.core.store import alerts_repo

    gone = alerts_repo.delete_channel(context.get(ctx).store().engine, _ref(channel))
    typer.echo(f"Removed channel {gone.name}.")


@app.command("test")
def test(
    ctx: typer.Context,
    channel: str = typer.Argument(..., help="Channel name or id."),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds to wait for the receiver."),
) -> None:
    """Send a test alert to a channel now (not through the outbox); exit 1 if it fails."""
    from datetime import datetime, timezone

    from tokenbudget.core.alerts.channels import DeliveryError, send, test_payload
    from tokenbudget.core.errors import TokenBudgetError
    from tokenbudget.core.store import alerts_repo

    found = alerts_repo.get_channel(context.get(ctx).store().engine, _ref(channel))
    try:
        status = send(found, test_payload(datetime.now(timezone.utc)), timeout_s=timeout)
    except DeliveryError as exc:
        raise TokenBudgetError(f"test alert to {found.name} failed: {exc}") from None
    typer.echo(f"Test alert delivered to {found.name} (HTTP {status}).")


@app.command("history")
def history(
    ctx: typer.Context,
    budget: str | None = typer.Option(None, "--budget", help="Only this budget's alerts."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Most recent N alerts."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Alerts raised, newest first, with each channel's delivery status, attempts and last error."""
    from tokenbudget.core.store import alerts_repo

    found = alerts_repo.list_alerts(context.get(ctx).store().engine, limit=limit, budget=budget)
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({"alerts": found})
        return
    rows = [
        [
            *(a[k] for k in HISTORY_COLUMNS[:-1]),
            "; ".join(f"{d['channel']} {d['status']} x{d['attempts']}" for d in a["deliveries"])
            or "no channels",
        ]
        for a in found
    ]
    if fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv

        write_csv(HISTORY_COLUMNS, rows)
        return
    _table(HISTORY_COLUMNS, rows, "no alerts yet")


@app.command("check")
def check(
    ctx: typer.Context,
    deliver_too: bool = typer.Option(
        True, "--deliver/--no-deliver", help="Also send pending deliveries (the outbox) after detecting."
    ),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds to wait for each receiver."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Detect budget alerts now and deliver them: run it from cron (e.g. every 5 minutes).

    Each (budget, period, threshold) alerts once, however many checks run at once.
    """
    from tokenbudget.core.alerts.detection import detect

    cli = context.get(ctx)
    created = detect(cli.store(), default_timezone=cli.settings.timezone)
    result = _dispatch(cli.store(), timeout) if deliver_too else None
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(
            {
                "new_alerts": [
                    {"id": a.id, "budget": a.budget, "kind": a.kind, "threshold_pct": a.threshold_pct}
                    for a in created
                ],
                "delivery": None if result is None else result.as_json(),
            }
        )
        return
    for alert in created:
        typer.echo(f"Alert: {alert.message}")
    if not created:
        typer.echo("No new alerts.")
    if result is not None:
        _echo_result(result)


@app.command("deliver")
def deliver(
    ctx: typer.Context,
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds to wait for each receiver."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Run the outbox once: send due deliveries; failures are retried by later runs with backoff."""
    result = _dispatch(context.get(ctx).store(), timeout)
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(result.as_json())
        return
    _echo_result(result)


def _dispatch(store: Store, timeout: float) -> DispatchResult:
    from tokenbudget.core.alerts.outbox import Dispatcher

    return Dispatcher(store, timeout_s=timeout).run_once()


def _echo_result(result: DispatchResult) -> None:
    typer.echo(f"Deliveries: {result.sent} sent, {result.retrying} to retry, {result.failed} failed.")
    for error in result.errors:
        typer.echo(f"  {error}", err=True)


def _ref(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _table(columns: tuple[str, ...], rows: list[list[object]], empty: str) -> None:
    from rich.table import Table

    from tokenbudget.cli.output import console

    table = Table(header_style="bold")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    if not rows:
        table.add_row(f"[dim]{empty}[/]", *[""] * (len(columns) - 1))
    console().print(table)
