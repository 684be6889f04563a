"""Command palette (ctrl+p) entries: switch period, filter by a model or feature on screen, clear filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tokenbudget.tui.data import PERIODS

if TYPE_CHECKING:
    from tokenbudget.tui.app import TokenBudgetApp


class DashboardCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], None], str]]:
        app: TokenBudgetApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, Callable[[], None], str]] = [
            (f"Period: {label}", partial(app.action_set_period, label), "Show this period")
            for label in PERIODS
        ]
        out.append(("Clear filters", app.action_clear_filters, "Show every project, feature and model"))
        snapshot = app.snapshot
        if snapshot is not None:
            for dimension, rows in (("model", snapshot.by_model), ("feature", snapshot.by_feature)):
                for row in rows:
                    if not row.key.startswith("("):
                        out.append(
                            (
                                f"Filter {dimension}: {row.key}",
                                partial(app.action_set_filter, dimension, row.key),
                                "",
                            )
                        )
        return out

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
