"""`tb projects`: the projects API keys are scoped to (events carry the project's name)."""

from __future__ import annotations

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.output import OutputFormat, format_option

app = new_typer(help="Projects: create, list, rename, delete.")

COLUMNS = ("id", "name", "owner", "team", "description", "created_at")


def _print(project: dict[str, object], fmt: OutputFormat) -> None:
    if fmt is not OutputFormat.table:
        from tokenbudget.cli.output import print_json

        print_json(project)
    else:
        typer.echo(f"{project['name']} (owner {project['owner'] or '-'}, team {project['team'] or '-'})")


@app.command("list")
def list_projects(ctx: typer.Context, fmt: OutputFormat = format_option()) -> None:
    """List every project."""
    from tokenbudget.core.tenants import list_projects as find

    found = [p.as_json() for p in find(context.get(ctx).store())]
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json({"projects": found})
    elif fmt is OutputFormat.csv:
        from tokenbudget.cli.output import write_csv

        write_csv(COLUMNS, ([p[c] for c in COLUMNS] for p in found))
    else:
        from rich.table import Table

        from tokenbudget.cli.output import console

        table = Table(header_style="bold")
        for column in ("name", "owner", "team", "description", "created"):
            table.add_column(column)
        for p in found:
            table.add_row(
                str(p["name"]),
                str(p["owner"] or ""),
                str(p["team"] or ""),
                str(p["description"] or ""),
                str(p["created_at"])[:10],
            )
        console().print(table)


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Project name (what events carry in `project`)."),
    owner: str | None = typer.Option(None, "--owner", help="Owner's email (created when missing)."),
    team: str | None = typer.Option(None, "--team", help="Team (created when missing)."),
    description: str | None = typer.Option(None, "--description"),
    fmt: OutputFormat = format_option(),
) -> None:
    """Create a project."""
    from tokenbudget.core.tenants import create_project

    project = create_project(
        context.get(ctx).store(), name, owner_email=owner, team=team, description=description
    )
    _print(project.as_json(), fmt)


@app.command("rename")
def rename(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    new_name: str = typer.Argument(...),
    fmt: OutputFormat = format_option(),
) -> None:
    """Rename a project; its stored events move with it."""
    from tokenbudget.core.tenants import update_project

    _print(update_project(context.get(ctx).store(), name, new_name=new_name).as_json(), fmt)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """Delete a project, ITS EVENTS, and revoke the keys scoped to it."""
    from tokenbudget.core.tenants import delete_project

    if not yes and not typer.confirm(f"Delete project {name!r} and all its events?"):
        raise typer.Exit(1)
    deleted = delete_project(context.get(ctx).store(), name)
    typer.echo(f"Deleted project {name} and {deleted:,} event(s).")
