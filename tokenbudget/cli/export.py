"""`tb export csv|pdf`: every call as CSV (streamed, constant memory) or a PDF report for people."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from collections.abc import Iterator


app = new_typer(
    help="Export calls as CSV (every field, streamed) or a PDF cost report.", no_args_is_help=True
)

EXTRA_HINT = "the PDF report needs the export extra: pip install 'tokenbudget[export]'"


@contextmanager
def _destination(output: str | None, *, binary: bool) -> Iterator[IO[Any]]:
    """stdout for None or '-'; else a '.part' file next to FILE, renamed onto it only when the export finished."""
    if output in (None, "-"):
        yield sys.stdout.buffer if binary else sys.stdout
        return
    from tokenbudget.core.errors import TokenBudgetError

    target = Path(output)
    part = target.with_name(target.name + ".part")
    try:
        handle = open(part, "wb") if binary else open(part, "w", newline="", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise TokenBudgetError(f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        with handle:
            yield handle
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


@app.command("csv")
def export_csv(
    ctx: typer.Context,
    period: PeriodOption = "30d",
    project: ProjectOption = None,
    feature: FeatureOption = None,
    model: ModelOption = None,
    provider: ProviderOption = None,
    user: UserOption = None,
    env: EnvOption = None,
    summary: bool = typer.Option(
        False, "--summary", help="Export the breakdown (as `tb report --format csv`) instead of every call."
    ),
    by: str = typer.Option("model", "--by", "-b", help="With --summary: the breakdown dimension."),
    output: str | None = typer.Option(None, "--output", "-o", help="Write to FILE (default: stdout)."),
    remote: RemoteOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Every call in the period as one CSV row (all fields, exact costs), or the breakdown with --summary.

    Rows stream from the database, so millions of calls export in constant memory. On a terminal a progress
    bar shows on stderr. The header is documented in docs/exports.md.

    Examples:

      tb export csv --period mtd -o november.csv

      tb export csv --period 7d --project checkout --summary --by feature

      tb export csv --period mtd --remote https://tb.internal -o november.csv   # the API key's projects
    """
    from tokenbudget.core.analytics import BREAKDOWN_DIMENSIONS
    from tokenbudget.core.errors import InvalidPeriodError
    from tokenbudget.core.exports import count_events, summary_csv, write_events_csv
    from tokenbudget.core.periods import parse_period

    if by not in BREAKDOWN_DIMENSIONS:
        raise InvalidPeriodError(f"--by must be one of {', '.join(BREAKDOWN_DIMENSIONS)}, got {by!r}")
    the_period = parse_period(period)
    filters = event_filter(
        project=project, feature=feature, model=model, provider=provider, user=user, env=env
    )
    if remote:
        from tokenbudget.cli.remote import filter_params

        params = {"period": period, **filter_params(filters), "summary": "true" if summary else None}
        params["by"] = by if summary else None
        _download(remote, api_key, "/api/exports/csv", params, output)
        return
    store = context.get(ctx).store()
    if summary:
        text = summary_csv(store, the_period, filters, by=by)
        with _destination(output, binary=False) as out:
            out.write(text)
        return
    from tokenbudget.cli.output import console, progress

    bar = progress()
    with bar, _destination(output, binary=False) as out:
        # The total comes from the aggregates (a rollup read), and only when someone can see the bar.
        total = count_events(store, the_period, filters) if not bar.disable else None
        task = bar.add_task("Exporting calls", total=total)
        stats = write_events_csv(
            store, the_period, filters, out, on_progress=lambda s: bar.update(task, completed=s.rows)
        )
    if output not in (None, "-"):
        unpriced = f", {stats.unpriced:,} unpriced" if stats.unpriced else ""
        console(stderr=True).print(
            f"Wrote {stats.rows:,} calls (${stats.cost_usd}{unpriced}) to {output}", markup=False
        )


@app.command("pdf")
def export_pdf(
    ctx: typer.Context,
    period: PeriodOption = "30d",
    project: ProjectOption = None,
    feature: FeatureOption = None,
    model: ModelOption = None,
    provider: ProviderOption = None,
    user: UserOption = None,
    env: EnvOption = None,
    output: str | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write to FILE; '-' for stdout (default: tokenbudget-report-<period>-<date>.pdf).",
    ),
    remote: RemoteOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """A PDF cost report: KPIs and change vs the previous period, daily spend, cost by model and feature, top users,
    budgets, price changes and unpriced calls.

    Examples:

      tb export pdf --period mtd --project checkout -o checkout-november.pdf

      tb export pdf --period mtd --remote https://tb.internal --api-key tb_ak_...
    """
    from tokenbudget.core.errors import TokenBudgetError
    from tokenbudget.core.exports import gather_report_data
    from tokenbudget.core.periods import parse_period

    the_period = parse_period(period)
    filters = event_filter(
        project=project, feature=feature, model=model, provider=provider, user=user, env=env
    )
    if output is None:
        label = "".join(c if c.isalnum() or c in "-." else "-" for c in the_period.label)
        output = f"tokenbudget-report-{label}-{datetime.now(timezone.utc):%Y-%m-%d}.pdf"
    if remote:  # the server builds it (it needs the export extra, this machine does not)
        from tokenbudget.cli.remote import filter_params

        _download(remote, api_key, "/api/exports/pdf", {"period": period, **filter_params(filters)}, output)
        return
    try:
        from tokenbudget.core.exports.pdf_report import build_pdf
    except ImportError:
        raise TokenBudgetError(EXTRA_HINT) from None
    cli = context.get(ctx)
    data = gather_report_data(cli.store(), the_period, filters, default_timezone=cli.settings.timezone)
    pdf = build_pdf(data)
    with _destination(output, binary=True) as out:
        out.write(pdf)
    if output != "-":
        from tokenbudget.cli.output import console

        console(stderr=True).print(
            f"Wrote {output} ({len(pdf) / 1024:,.0f} KiB, {data.totals.requests:,} calls)", markup=False
        )


def _download(
    remote: str, api_key: str | None, path: str, params: dict[str, Any], output: str | None
) -> None:
    """Stream the server's export into `output` (stdout or an atomic file), with a byte count on a terminal."""
    from tokenbudget.cli.output import console, progress
    from tokenbudget.cli.remote import download

    bar = progress()
    with bar, _destination(output, binary=True) as out:
        task = bar.add_task("Downloading", total=None)
        size = download(remote, api_key, path, params, out, lambda n: bar.update(task, completed=n))
    if output not in (None, "-"):
        console(stderr=True).print(f"Wrote {output} ({size / 1024:,.0f} KiB) from {remote}", markup=False)
