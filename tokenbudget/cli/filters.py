"""The options every read command shares (`--period` and the call filters), defined once.

Used as `project: ProjectOption = None` in a command's signature; `event_filter(...)` turns them into the core's
EventFilter. Only Typer is imported here: command modules stay light to load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter

PERIOD_HELP = "today, yesterday, 7d, 30d, 90d (any Nd), mtd, ytd, all, or YYYY-MM-DD..YYYY-MM-DD."

PeriodOption = Annotated[str, typer.Option("--period", "-p", help=PERIOD_HELP)]
ProjectOption = Annotated[str | None, typer.Option("--project", help="Only this project.")]
FeatureOption = Annotated[str | None, typer.Option("--feature", help="Only this feature tag.")]
ModelOption = Annotated[
    str | None, typer.Option("--model", help="Only this model (as reported or as priced).")
]
ProviderOption = Annotated[str | None, typer.Option("--provider", help="Only this provider.")]
UserOption = Annotated[str | None, typer.Option("--user", help="Only this user_id.")]
EnvOption = Annotated[str | None, typer.Option("--env", help="Only this environment tag.")]
# Reading from a `tb serve` instead of the database (report, export, tui; see cli/remote.py).
RemoteOption = Annotated[
    str | None, typer.Option("--remote", help="Read from a `tb serve` at this URL instead of the database.")
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="TOKENBUDGET_API_KEY", help="API key for --remote.", show_envvar=True),
]


def event_filter(
    *,
    project: str | None = None,
    feature: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    user: str | None = None,
    env: str | None = None,
) -> EventFilter:
    from tokenbudget.core.analytics import EventFilter

    return EventFilter(
        project=project, feature=feature, model=model, provider=provider, user_id=user, env=env
    )
