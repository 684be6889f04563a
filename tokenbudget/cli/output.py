"""Rendering helpers shared by the commands: output formats, money, JSON/CSV writers, progress bars, errors.

Rich is imported lazily so that `tb --help` does not pay for it twice.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION_HELP = "Output: table (for people), json (stable, for scripts) or csv."


def format_option(default: OutputFormat = OutputFormat.table) -> Any:
    return typer.Option(default, "--format", "-f", help=FORMAT_OPTION_HELP, case_sensitive=False)


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def error_line(message: str) -> None:
    """One red line on stderr: how every expected failure is reported."""
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    if sys.stderr.isatty():
        typer.secho(f"Error: {first}", fg=typer.colors.RED, err=True)
    else:
        typer.echo(f"Error: {first}", err=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([format(v, "f") if isinstance(v, Decimal) else ("" if v is None else v) for v in row])


def usd(amount: Decimal | None, *, exact: bool = False) -> str:
    """Money for people (tokenbudget.core.humanize), or every digit with `exact`."""
    from tokenbudget.core.humanize import usd as human_usd

    if exact and amount is not None:
        return f"${format(amount, 'f')}"
    return human_usd(amount)


def per_million(rate: Decimal | None) -> str:
    if rate is None:
        return "-"
    value = (rate * 1_000_000).normalize()
    return f"${format(value, 'f')}"


def tokens(count: int) -> str:
    from tokenbudget.core.humanize import tokens as human_tokens

    return human_tokens(count)


def progress(*, transient: bool = True) -> Progress:
    """A progress bar on stderr that stays silent when stderr is not a terminal (cron, pipes)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=transient,
        disable=not sys.stderr.isatty(),
    )
