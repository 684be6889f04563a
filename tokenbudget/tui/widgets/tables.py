"""Top models / top features (sortable) and the live tail of the newest calls.

Both redraw in place (same columns, rows replaced in one batch, cursor kept), so a refresh does not flicker.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from textual.content import Content
from textual.widgets import DataTable

from tokenbudget.core.analytics import BreakdownRow
from tokenbudget.tui.data import TailEvent
from tokenbudget.tui.format import ellipsize, tokens, usd

SORTS = ("cost", "requests", "name")


class TopTable(DataTable[Content | str]):
    """Breakdown rows with cost, share and requests; `s` (or a click on a header) changes the order."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("name", "cost", "share", "requests")

    def __init__(self, dimension: str, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.dimension = dimension
        self.sort_by = "cost"
        self.rows_data: list[BreakdownRow] = []
        self._name_width = 0

    def on_mount(self) -> None:
        self._columns_for_width()

    def on_resize(self) -> None:
        if self._columns_for_width():
            self._fill()

    def _columns_for_width(self) -> bool:
        # Numbers keep their width; the name takes the rest (each column pads 1 cell per side, +1 scrollbar).
        width = max(8, (self.content_size.width or 40) - (9 + 5 + 6) - 2 * 4 - 1)
        if width == self._name_width:
            return False
        self._name_width = width
        self.clear(columns=True)
        self.add_column(self.dimension, width=width, key="name")
        self.add_column("cost", width=9, key="cost")
        self.add_column("share", width=5, key="share")
        self.add_column("reqs", width=6, key="requests")
        return True

    def show(self, rows: list[BreakdownRow]) -> None:
        self.rows_data = rows
        self._fill()

    def cycle_sort(self, column: str | None = None) -> str:
        self.sort_by = column if column in SORTS else SORTS[(SORTS.index(self.sort_by) + 1) % len(SORTS)]
        self._fill()
        return self.sort_by

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = str(event.column_key.value)
        self.cycle_sort("name" if key == "name" else "requests" if key == "requests" else "cost")

    def sorted_rows(self) -> list[BreakdownRow]:
        if self.sort_by == "name":
            return sorted(self.rows_data, key=lambda r: r.key)
        if self.sort_by == "requests":
            return sorted(self.rows_data, key=lambda r: (-r.requests, r.key))
        return sorted(self.rows_data, key=lambda r: (-r.cost_usd, -r.requests, r.key))

    def _fill(self) -> None:
        total = sum((r.cost_usd for r in self.rows_data), Decimal(0))
        cursor = self.cursor_row
        with self.app.batch_update():
            self.clear()
            for row in self.sorted_rows():
                name = ellipsize(row.key, self._name_width)
                cost: Content | str = usd(row.cost_usd)
                if row.unpriced_requests:
                    cost = Content.styled(f"{cost}*", "$error")
                share = f"{row.cost_usd / total * 100:.0f}%" if total else "-"
                self.add_row(name, cost, share, f"{row.requests:,}", key=row.key)
            if self.row_count:
                self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)


class LiveTail(DataTable[Content | str]):
    """The newest calls, newest first. Unpriced calls say so in red, failed calls are marked ✗."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self.events: list[TailEvent] = []
        self._widths: tuple[int, int] = (0, 0)

    FIXED: ClassVar[tuple[tuple[str, int], ...]] = (
        ("time", 8),
        ("user", 6),
        ("tokens", 6),
        ("cost", 9),
        ("ms", 6),
    )

    def on_resize(self) -> None:
        spare = max(20, (self.content_size.width or 80) - sum(w for _, w in self.FIXED) - 2 * 7 - 1)
        model = min(28, max(10, spare * 5 // 9))
        widths = (model, max(8, spare - model))
        if widths == self._widths:
            return
        self._widths = widths
        self.clear(columns=True)
        fixed = dict(self.FIXED)
        for name in ("time", "model", "feature", "user", "tokens", "cost", "ms"):
            width = {"model": widths[0], "feature": widths[1]}.get(name, fixed.get(name, 8))
            self.add_column(name, width=width, key=name)
        self.show(self.events)

    def show(self, events: list[TailEvent]) -> None:
        self.events = events
        if not self.columns:
            return  # not laid out yet: on_resize draws them
        with self.app.batch_update():
            self.clear()
            model_w, feature_w = self._widths
            for e in events:
                model = ellipsize(e.model, model_w)
                cost: Content | str = usd(e.cost_usd)
                if e.cost_status == "unpriced":
                    cost = Content.styled("unpriced", "bold $error")
                time_cell: Content | str = e.occurred_at.strftime("%H:%M:%S")
                if e.status == "error":
                    time_cell = Content.styled(f"✗{time_cell}", "$error")
                self.add_row(
                    time_cell,
                    model,
                    ellipsize(e.feature or "-", feature_w),
                    ellipsize(e.user_id or "-", 6),
                    tokens(e.tokens),
                    cost,
                    "-" if e.latency_ms is None else f"{e.latency_ms:,}",
                )
