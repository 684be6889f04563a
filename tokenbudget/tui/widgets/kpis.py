"""The four headline numbers: spend (with the change against the previous period), requests, tokens, average."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from tokenbudget.tui.data import Snapshot
from tokenbudget.tui.format import change, tokens, usd


class Kpi(Static):
    """A label, a big value and a detail line."""

    def show(self, label: str, value: str, detail: str = "", detail_style: str = "$text-muted") -> None:
        self.update(
            Content.assemble(
                (label, "$text-muted"), "\n", (value, "bold $text"), "\n", (detail, detail_style)
            )
        )


class KpiBar(Horizontal):
    def compose(self) -> ComposeResult:
        for name in ("spend", "requests", "tokens", "avg"):
            yield Kpi(id=f"kpi-{name}", classes="kpi")

    def on_mount(self) -> None:
        for kpi in self.query(Kpi):
            kpi.show(kpi.id.removeprefix("kpi-").capitalize() if kpi.id else "", "…")

    def show(self, snapshot: Snapshot) -> None:
        t, p = snapshot.totals, snapshot.previous_totals
        text, style = change(t.cost_usd, p.cost_usd)
        self.query_one("#kpi-spend", Kpi).show(
            f"Spend · {snapshot.query.period}", usd(t.cost_usd), text, style
        )
        parts = [f"{t.error_requests:,} err"] if t.error_requests else []
        parts += [f"{t.unpriced_requests:,} unpriced"] if t.unpriced_requests else []
        detail, detail_style = " · ".join(parts), "$error"
        if not parts:
            detail, detail_style = f"prev {p.requests:,}", "$text-muted"
        elif len(detail) > self.query_one("#kpi-requests", Kpi).content_size.width > 0:
            detail = parts[-1]  # narrow: unpriced calls (missing from the totals) matter most
        self.query_one("#kpi-requests", Kpi).show("Requests", f"{t.requests:,}", detail, detail_style)
        self.query_one("#kpi-tokens", Kpi).show(
            "Tokens",
            tokens(t.input_tokens + t.output_tokens),
            f"↑{tokens(t.input_tokens)} ↓{tokens(t.output_tokens)}",
        )
        self.query_one("#kpi-avg", Kpi).show(
            "Avg / request",
            usd(t.avg_cost_per_request),
            f"prev {usd(p.cost_usd / p.requests) if p.requests else '-'}",
        )
