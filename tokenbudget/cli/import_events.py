"""`tb import`: load canonical events from JSON Lines or CSV; bad lines are reported, good ones kept."""

from __future__ import annotations

from pathlib import Path

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.output import OutputFormat, format_option

app = new_typer()

MAX_PROBLEMS_SHOWN = 20


@app.command("import")
def import_file(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ..., help="File to import (.jsonl/.ndjson/.csv, optionally .gz), or - for stdin."
    ),
    input_format: str | None = typer.Option(
        None, "--input-format", help="jsonl or csv (default: from the file extension)."
    ),
    fmt: OutputFormat = format_option(),
) -> None:
    """Import calls recorded elsewhere. Field names are the canonical ones (see docs/import-format.md).

    Each line is validated on its own: bad lines are listed with their line number and reason, good lines are
    stored. Importing the same file again adds nothing (events are deduplicated on event_id, or on their content
    when they have no id). Exit code 1 when any line was rejected.
    """
    from datetime import datetime, timezone

    from tokenbudget.cli.ingest import ingest
    from tokenbudget.cli.output import console, progress
    from tokenbudget.core.errors import TokenBudgetError
    from tokenbudget.core.importer import ImportProblem, count_lines, detect_format, read_events

    if str(path) != "-" and not path.is_file():
        raise TokenBudgetError(f"no such file: {path}")
    kind = detect_format(path, input_format)
    cli = context.get(ctx)
    store, book = cli.store(), cli.book()
    problems: list[ImportProblem] = []
    now = datetime.now(timezone.utc)

    def good_lines():
        for line, item in read_events(path, kind, now=now):
            bar.update(task, completed=line)  # by line, so blank, bad and header lines count too
            if isinstance(item, ImportProblem):
                problems.append(item)
            else:
                yield item

    total = None if str(path) == "-" else count_lines(path)
    with progress() as bar:
        task = bar.add_task(f"Importing {path.name}", total=total)
        counts = ingest(
            good_lines(),
            store=store,
            book=book,
            default_project=cli.settings.default_project,
        )
    summary = {
        "file": str(path),
        "format": kind,
        "inserted": counts.inserted,
        "duplicates": counts.duplicates,
        "unpriced": counts.unpriced,
        "rejected": [{"line": p.line, "error": p.error} for p in problems],
    }
    if fmt is OutputFormat.json:
        from tokenbudget.cli.output import print_json

        print_json(summary)
    else:
        out = console()
        out.print(
            f"Imported {counts.inserted:,} call(s) from {path}"
            + (f", {counts.duplicates:,} already stored" if counts.duplicates else "")
            + (f", [red]{len(problems):,} rejected[/]" if problems else "")
            + "."
        )
        if counts.unpriced:
            out.print(
                f"[yellow]{counts.unpriced:,} call(s) have no price; see `tb report` and `tb pricing set`.[/]"
            )
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            out.print(f"  line {problem.line}: {problem.error}", style="red", markup=False)
        if len(problems) > MAX_PROBLEMS_SHOWN:
            out.print(f"  … and {len(problems) - MAX_PROBLEMS_SHOWN:,} more (use --format json to see all)")
    if problems:
        raise typer.Exit(1)
