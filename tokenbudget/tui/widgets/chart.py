"""Spend over time as vertical bars drawn with block characters (no plotting dependency, crisp at any size).

More points than columns are summed into buckets; fewer are widened. The top-left shows the tallest bar's value,
the bottom row the first and last time labels.
"""

from __future__ import annotations

from decimal import Decimal

from textual.content import Content
from textual.widget import Widget

from tokenbudget.tui.data import ChartPoint
from tokenbudget.tui.format import usd

BLOCKS = " ▁▂▃▄▅▆▇█"


def bucket(points: list[ChartPoint], columns: int) -> list[tuple[str, str, Decimal]]:
    """[(first key, last key, summed cost)] with at most `columns` entries, in time order."""
    if not points or columns <= 0:
        return []
    size = -(-len(points) // columns)  # ceil
    out = []
    for i in range(0, len(points), size):
        chunk = points[i : i + size]
        out.append((chunk[0].key, chunk[-1].key, sum((p.cost_usd for p in chunk), Decimal(0))))
    return out


def _label(key: str) -> str:
    # '2026-11-20T13' -> '11-20 13h', '2026-11-20' -> '11-20'
    return f"{key[5:10]} {key[11:13]}h" if "T" in key else key[5:10]


def render_bars(points: list[ChartPoint], width: int, height: int) -> Content:
    if width < 8 or height < 2:
        return Content("")
    if not points or all(p.cost_usd == 0 for p in points):
        return Content.from_markup("[$text-muted]no spend in this period[/]")
    rows = height - 1  # the last row is the time axis
    buckets = bucket(points, width)
    top = max(cost for _, _, cost in buckets)
    bar_w = max(1, min(4, width // len(buckets)))
    gap = 1 if bar_w >= 2 else 0
    steps = [int(cost / top * rows * 8 + Decimal("0.5")) if top > 0 else 0 for _, _, cost in buckets]
    lines: list[Content] = []
    for row in range(rows, 0, -1):
        cells = []
        for level in steps:
            part = max(0, min(8, level - (row - 1) * 8))
            cells.append(BLOCKS[part] * (bar_w - gap) + " " * gap)
        lines.append(Content.styled("".join(cells), "$accent"))
    peak = f"max {usd(top)}"
    lines[0] = Content.assemble((peak, "$text-muted"), lines[0][len(peak) :]) if rows > 1 else lines[0]
    first, last = _label(buckets[0][0]), _label(buckets[-1][1])
    used = len(buckets) * bar_w
    axis = (
        first + " " * max(1, used - len(first) - len(last)) + last if used > len(first) + len(last) else first
    )
    lines.append(Content.styled(axis, "$text-muted"))
    return Content("\n").join(lines)


class SpendChart(Widget):
    DEFAULT_CSS = "SpendChart { height: 1fr; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.points: list[ChartPoint] = []

    def show(self, points: list[ChartPoint]) -> None:
        self.points = points
        self.refresh()

    def render(self) -> Content:
        size = self.content_size
        return render_bars(self.points, size.width, size.height)
