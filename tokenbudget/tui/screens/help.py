"""`?`: every key, in one overlay."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
[b]TokenBudget live dashboard[/b]

[b]1 2 3 4[/b]   period: today · 7d · 30d · month to date
[b]p[/b]         next period
[b]/[/b]         filter: [i]project=web feature=search model=gpt-4o[/i]
           (a bare word filters by model; [i]feature=[/i] clears one)
[b]enter[/b]     on a top model / feature row: filter by it
[b]c[/b]         clear every filter
[b]s[/b]         sort the focused table (cost · requests · name);
           a click on a column header sorts by it
[b]tab[/b]       next table
[b]r[/b]         refresh now (recomputes everything)
[b]t[/b]         light / dark theme
[b]ctrl+p[/b]    command palette (periods, filters, themes)
[b]q[/b]         quit

Numbers refresh by themselves. [$error]unpriced[/] calls have no price and are
not in the totals; [$error]✗[/] marks calls that failed."""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(HELP, id="help-text")

    def on_click(self) -> None:
        self.dismiss()
