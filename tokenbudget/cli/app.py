"""The `tb` command: the root Typer app, global options and the error edge.

Only Typer is imported at start-up; each command module imports the core (SQLAlchemy, the price book, Rich)
inside its functions, so `tb --help` and `tb --version` stay instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from tokenbudget import __version__
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.lazy import LazyGroup

app = new_typer(
    name="tb",
    cls=LazyGroup,
    add_completion=True,
    help="TokenBudget: what your LLM calls cost. Exact per-call costs, reports and pricing, on SQLite or PostgreSQL.",
    no_args_is_help=True,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tb (tokenbudget) {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="TOKENBUDGET_DATABASE_URL",
        help="Store to use: sqlite:///path.db or postgresql+psycopg://user@host/db. "
        "Default: a SQLite file in the data directory.",
        show_envvar=True,
    ),
    home: Path | None = typer.Option(
        None,
        "--home",
        envvar="TOKENBUDGET_HOME",
        help="Directory for every file tb writes (config and the embedded store).",
        show_envvar=True,
    ),
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Resolve settings once and hand them to the command through the context."""
    from tokenbudget.cli.context import CliContext

    obj = CliContext.create(database_url=database_url, home=home)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


def main() -> None:
    """Console-script entry point: turns our errors into one red line and an exit code."""
    from tokenbudget.core.errors import TokenBudgetError

    try:
        app()
    except TokenBudgetError as exc:
        from tokenbudget.cli.output import error_line

        error_line(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
