"""`tb demo`: fill the current store with realistic synthetic usage, so a newcomer sees the tool work."""

from __future__ import annotations

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer

app = new_typer()


@app.command()
def demo(
    ctx: typer.Context,
    # 60 by default: `tb report --period 30d` then has a full previous period to compare with.
    days: int = typer.Option(
        60, "--days", "-d", min=1, max=3650, help="How many days of history to generate."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same data."),
    reset: bool = typer.Option(False, "--reset", help="Delete earlier demo calls first."),
    scale: float = typer.Option(1.0, "--scale", min=0.01, max=1000.0, help="Multiply the call volume."),
) -> None:
    """Generate demo calls (OpenAI and Anthropic models, features, users, cache and reasoning usage).

    Demo calls have ids starting with demo_, so running it twice with the same seed adds nothing and --reset
    removes only them.
    """
    from datetime import datetime, timezone

    from tokenbudget.cli.ingest import ingest
    from tokenbudget.cli.output import console, progress
    from tokenbudget.core.demo import DEMO_EVENT_PREFIX, estimate_demo_count, generate_demo_events

    cli = context.get(ctx)
    store, book = cli.store(), cli.book()
    out = console()
    if reset:
        removed = store.delete_events(event_id_prefix=DEMO_EVENT_PREFIX)
        out.print(f"Removed {removed:,} earlier demo call(s).")
    now = datetime.now(timezone.utc)
    with progress() as bar:
        task = bar.add_task(
            "Generating demo calls", total=estimate_demo_count(days, scale, seed=seed, now=now)
        )
        counts = ingest(
            generate_demo_events(days=days, seed=seed, now=now, scale=scale),
            store=store,
            book=book,
            default_project=cli.settings.default_project,
            on_batch=lambda n: bar.advance(task, n),
        )
    out.print(
        f"Stored {counts.inserted:,} demo call(s) over {days} day(s)"
        + (f" ({counts.duplicates:,} were already there)" if counts.duplicates else "")
        + ". Now try: [bold]tb report --period 30d[/]"
    )
