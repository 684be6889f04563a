"""`tb db`: the store's schema (Alembic migrations shipped in the package)."""

from __future__ import annotations

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.output import OutputFormat, format_option

app = new_typer(help="The store: where it is and its schema version.")


@app.command("upgrade")
def upgrade(ctx: typer.Context, revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the schema migrations (every command also does this on its own when the schema is behind)."""
    from tokenbudget.core.settings import redact_url
    from tokenbudget.core.store import open_store

    settings = context.get(ctx).settings
    with open_store(settings, migrate=False) as store:
        before = store.current_revision()
        store.upgrade(revision)
        after = store.current_revision()
    where = redact_url(settings.database_url)
    typer.echo(
        f"{where}: already at {after}"
        if before == after
        else f"{where}: upgraded {before or 'empty'} → {after}"
    )


@app.command("current")
def current(ctx: typer.Context, fmt: OutputFormat = format_option()) -> None:
    """Show the store's URL, its schema revision and the newest revision this version of tb knows."""
    from tokenbudget.core.settings import redact_url
    from tokenbudget.core.store import open_store

    settings = context.get(ctx).settings
    with open_store(settings, migrate=False) as store:
        info = {
            "database_url": redact_url(settings.database_url),
            "dialect": store.dialect,
            "current_revision": store.current_revision(),
            "head_revision": store.head_revision(),
        }
        info["up_to_date"] = info["current_revision"] == info["head_revision"]
        info["events"] = store.count_events() if info["up_to_date"] else None
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(info)
        return
    for key, value in info.items():
        typer.echo(f"{key:17} {value}")
