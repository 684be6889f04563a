"""Command groups loaded on first use, so that `tb --help` imports none of them.

Each entry names the module holding a Typer `app` and the one-line help shown in `tb --help` (a test keeps that
line equal to the command's own help). Adding a command group = adding a line here.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

import typer
from typer.core import TyperGroup


class LazyCommand(NamedTuple):
    module: str
    help: str


COMMANDS: dict[str, LazyCommand] = {
    "report": LazyCommand(
        "tokenbudget.cli.report",
        "Show total cost, requests and tokens in a period, the change against the previous period, and a breakdown.",
    ),
    "pricing": LazyCommand(
        "tokenbudget.cli.pricing",
        "Prices: list and inspect the price book, price a call, set custom (negotiated) prices.",
    ),
    "reprice": LazyCommand(
        "tokenbudget.cli.reprice", "Price past calls with the current book (including custom prices)."
    ),
    "import": LazyCommand(
        "tokenbudget.cli.import_events",
        "Import calls recorded elsewhere.",
    ),
    "demo": LazyCommand(
        "tokenbudget.cli.demo",
        "Generate demo calls (OpenAI and Anthropic models, features, users, cache and reasoning usage).",
    ),
    "db": LazyCommand("tokenbudget.cli.db", "The store: where it is and its schema version."),
    "serve": LazyCommand(
        "tokenbudget.cli.serve",
        "Run the HTTP server: ingest (events, OTLP traces), analytics, budgets, alerts, exports (docs at /docs).",
    ),
    "keys": LazyCommand(
        "tokenbudget.cli.keys", "API keys for `tb serve`: create (shown once), list, revoke."
    ),
    "projects": LazyCommand("tokenbudget.cli.projects", "Projects: create, list, rename, delete."),
    "export": LazyCommand(
        "tokenbudget.cli.export", "Export calls as CSV (every field, streamed) or a PDF cost report."
    ),
    "budgets": LazyCommand(
        "tokenbudget.cli.budgets",
        "Budgets per scope and calendar period: set, list, status with forecast, rm, check.",
    ),
    "tui": LazyCommand(
        "tokenbudget.cli.tui",
        "Open a live dashboard: spend, budgets, spend over time, top models and features, newest calls.",
    ),
    "alerts": LazyCommand(
        "tokenbudget.cli.alerts",
        "Budget alerts: Slack and webhook channels, test, history; check and deliver for cron.",
    ),
}


def load_command(name: str) -> typer.core.TyperCommand | TyperGroup:
    entry = COMMANDS[name]
    command = typer.main.get_command(importlib.import_module(entry.module).app)
    command.name = name
    return command  # type: ignore[return-value]


class LazyGroup(TyperGroup):
    """The root group: knows its commands' names and help by heart, imports a command's module only to run it."""

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: typer.Context, cmd_name: str):  # type: ignore[no-untyped-def, override]
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = load_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: typer.Context, formatter) -> None:  # type: ignore[no-untyped-def, override]
        rows = [
            (name, COMMANDS[name].help if name in COMMANDS else self.commands[name].get_short_help_str(120))
            for name in self.list_commands(ctx)
            if name in COMMANDS or not self.commands[name].hidden
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
