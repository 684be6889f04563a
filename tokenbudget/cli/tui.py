"""`tb tui`: the live terminal dashboard (Textual, from the `tui` extra, imported only when the command runs)."""

from __future__ import annotations

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer
from tokenbudget.cli.filters import ApiKeyOption, RemoteOption

app = new_typer()

PERIOD_CHOICES = ("today", "7d", "30d", "mtd")


@app.command()
def tui(
    ctx: typer.Context,
    period: str = typer.Option("7d", "--period", "-p", help="Start on this period: today, 7d, 30d or mtd."),
    refresh: float = typer.Option(2.0, "--refresh", min=0.2, max=3600, help="Seconds between refreshes."),
    project: str | None = typer.Option(None, "--project", help="Only this project."),
    feature: str | None = typer.Option(None, "--feature", help="Only this feature tag."),
    model: str | None = typer.Option(None, "--model", help="Only this model (as reported or as priced)."),
    remote: RemoteOption = None,
    api_key: ApiKeyOption = None,
    demo: bool = typer.Option(
        False, "--demo", help="Show a throwaway store of demo calls, with new calls arriving live."
    ),
) -> None:
    """Open a live dashboard: spend, budgets, spend over time, top models and features, newest calls.

    Keys: 1-4 or p period, / filter, c clear filters, s sort, r refresh, t theme, ? help, q quit.
    Refreshes every --refresh seconds in the background; if the database or server goes away, the last numbers
    stay on screen under a notice until it comes back.
    """
    from tokenbudget.core.errors import InvalidPeriodError

    if period not in PERIOD_CHOICES:
        raise InvalidPeriodError(f"--period must be one of {', '.join(PERIOD_CHOICES)}, got {period!r}")
    if remote and demo:
        raise InvalidPeriodError("--demo and --remote cannot be combined")
    try:
        from tokenbudget.tui.app import create_app
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "textual":
            from tokenbudget.core.errors import ConfigError

            raise ConfigError("tb tui needs Textual: pip install 'tokenbudget[tui]'") from None
        raise
    options = {"period": period, "project": project, "feature": feature, "model": model, "refresh_s": refresh}
    if remote:
        from tokenbudget.tui.remote_source import RemoteSource

        create_app(RemoteSource(remote, api_key), **options).run()
        return
    if demo:
        _run_demo(options)
        return
    create_app(context.get(ctx).settings, **options).run()


def _run_demo(options: dict[str, object]) -> None:
    import tempfile
    from datetime import datetime, timezone

    from tokenbudget.core.settings import Settings
    from tokenbudget.core.store import open_store
    from tokenbudget.tui.app import create_app
    from tokenbudget.tui.demo import DemoFeeder, fill_demo_store
    from tokenbudget.tui.local_source import LocalSource

    with tempfile.TemporaryDirectory(prefix="tb-tui-demo-") as home:
        settings = Settings.resolve(environ={"TOKENBUDGET_HOME": home})
        with open_store(settings) as store:
            typer.echo("Filling a demo store (30 days of calls)…", err=True)
            fill_demo_store(store, days=30, now=datetime.now(timezone.utc))
            feeder = DemoFeeder(store).start()
            try:
                create_app(LocalSource(store=store), **options).run()  # type: ignore[arg-type]
            finally:
                feeder.stop()
