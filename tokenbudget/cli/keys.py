"""`tb keys`: create, list and revoke server API keys (stored as bcrypt hashes; the key is shown once)."""

from __future__ import annotations

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.output import OutputFormat, format_option

app = new_typer(help="API keys for `tb serve`: create (shown once), list, revoke.")

COLUMNS = ("id", "prefix", "name", "user", "team", "project", "created_at", "last_used_at", "revoked_at")


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="What the key is for (e.g. 'checkout-prod')."),
    user: str = typer.Option(..., "--user", help="Owner's email (created when missing)."),
    team: str | None = typer.Option(None, "--team", help="Team (created when missing)."),
    project: str | None = typer.Option(
        None, "--project", help="Scope the key to this project (created when missing, owned by --user)."
    ),
    fmt: OutputFormat = format_option(),
) -> None:
    """Create a key. It is printed ONCE: only its bcrypt hash is stored.

    Without --project the key sees every project its user owns (and its team's, with --team).

      tb keys create --name checkout --user ana@example.com --project checkout
    """
    from tokenbudget.core.keys import create_key

    created = create_key(context.get(ctx).store(), name=name, user_email=user, team=team, project=project)
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(created.as_json())
        return
    scope = f"project {created.info.project}" if created.info.project else "every project of its user"
    typer.echo(created.key)
    typer.echo(
        f"Key {created.info.prefix}… for {created.info.user} ({scope}). Store it now: it cannot be shown again.",
        err=True,
    )


@app.command("list")
def list_keys(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Only this user's keys."),
    all_keys: bool = typer.Option(False, "--all", help="Include revoked keys."),
    fmt: OutputFormat = format_option(),
) -> None:
    """List keys by prefix (the secret part is never stored)."""
    from tokenbudget.core.keys import list_keys as find

    found = [k.as_json() for k in find(context.get(ctx).store(), user_email=user, include_revoked=all_keys)]
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({"keys": found})
    elif fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv

        write_csv(COLUMNS, ([k[c] for c in COLUMNS] for k in found))
    else:
        from rich.table import Table

        from tokenbudget.cli.output import console

        table = Table(header_style="bold")
        for column in ("prefix", "name", "user", "team", "project", "created", "last used", "revoked"):
            table.add_column(column)
        for k in found:
            day = lambda v: (v or "")[:16].replace("T", " ")  # noqa: E731
            table.add_row(
                k["prefix"],
                k["name"] or "",
                k["user"],
                k["team"] or "",
                k["project"] or "",
                day(k["created_at"]),
                day(k["last_used_at"]),
                day(k["revoked_at"]),
            )
        console().print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The key's prefix (tb_ak_xxxxxxxx) or id."),
    fmt: OutputFormat = format_option(),
) -> None:
    """Revoke a key. Running servers stop accepting it within their key cache TTL (default 30 s)."""
    from tokenbudget.core.keys import revoke_key

    info = revoke_key(context.get(ctx).store(), key)
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(info.as_json())
        return
    typer.echo(f"Revoked {info.prefix} ({info.user}).")
