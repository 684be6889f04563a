"""Budget gauges: one bar per budget, coloured by state, with the end-of-period forecast marked on it."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tokenbudget.tui.data import BudgetGauge
from tokenbudget.tui.format import ellipsize, usd

STATE_STYLE = {"ok": "$success", "warning": "$warning", "at_risk": "$warning", "over": "$error"}
STATE_TEXT = {"ok": "ok", "warning": "warning", "at_risk": "at risk", "over": "OVER"}


def gauge_line(gauge: BudgetGauge, width: int) -> Content:
    """'name  ██████▌───│──  72% → 104%' fitted to `width` cells."""
    style = STATE_STYLE.get(gauge.state, "$text")
    name = ellipsize(gauge.name, max(6, min(16, width // 4)))
    tail = f" {gauge.percent:.0f}% → {gauge.forecast_percent:.0f}%"
    bar_width = max(4, width - len(name) - len(tail) - 2)
    filled = min(bar_width, round(float(gauge.percent) / 100 * bar_width))
    marker = min(bar_width - 1, round(float(gauge.forecast_percent) / 100 * bar_width))
    cells = ["█"] * filled + ["─"] * (bar_width - filled)
    if marker >= filled:
        cells[marker] = "│"
    return Content.assemble(
        (f"{name:<{len(name)}} ", "bold"),
        ("".join(cells[:filled]), style),
        ("".join(cells[filled:]), "$text-muted"),
        (tail, style),
    )


class BudgetGauges(Static):
    """Budgets in force for the current scope (local store or `tb serve`)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("…", **kwargs)  # type: ignore[arg-type]
        self._gauges: list[BudgetGauge] = []

    def show(self, gauges: list[BudgetGauge]) -> None:
        self._gauges = gauges
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self._gauges:
            self.update(
                Content.from_markup(
                    "[$text-muted]No budgets.\nSet one: [b]tb budgets set NAME --period monthly --limit 500[/b][/]"
                )
            )
            return
        width = max(20, self.content_size.width or 40)
        lines = []
        for gauge in self._gauges:
            lines.append(gauge_line(gauge, width))
            amounts = f"  {usd(gauge.spent_usd)} of {usd(gauge.limit_usd)}"
            state = STATE_TEXT.get(gauge.state, gauge.state)
            fits = len(amounts) + len(state) + 3 <= width
            lines.append(
                Content.assemble(
                    (amounts, "$text-muted"),
                    (f" · {state}" if fits else "", STATE_STYLE.get(gauge.state, "")),
                )
            )
        self.update(Content("\n").join(lines))
