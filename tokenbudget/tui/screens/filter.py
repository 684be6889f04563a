"""`/`: a one-line prompt for project/feature/model filters."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tokenbudget.tui.data import parse_filter_text


class FilterScreen(ModalScreen[dict[str, str | None] | None]):
    """Returns the parsed filters (a dict; missing names unchanged, None clears) or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-box"):
            yield Label("Filter (project=… feature=… model=…; empty clears all)")
            yield Input(value=self.current, placeholder="project=web model=gpt-4o", id="filter-input")
            yield Label("", id="filter-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.dismiss({"project": None, "feature": None, "model": None})
            return
        try:
            values = parse_filter_text(text)
        except ValueError as exc:
            self.query_one("#filter-error", Label).update(str(exc))
            return
        # Names not typed are cleared too: the prompt shows the whole filter, so what is left is what applies.
        self.dismiss({"project": None, "feature": None, "model": None, **values})

    def action_cancel(self) -> None:
        self.dismiss(None)
