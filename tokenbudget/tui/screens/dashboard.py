"""The one screen: status line, KPIs, spend chart, budget gauges, top tables and the live tail."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from tokenbudget.tui.data import PERIODS, DashboardQuery, Snapshot
from tokenbudget.tui.format import clock
from tokenbudget.tui.widgets import BudgetGauges, KpiBar, LiveTail, SpendChart, TopTable


def status_line(query: DashboardQuery, snapshot: Snapshot | None, source: str) -> Content:
    parts: list[Content | str | tuple[str, str]] = [("TokenBudget  ", "bold $accent")]
    for label in PERIODS:
        style = "reverse bold $primary" if label == query.period else "$text-muted"
        parts += [
            Content.from_markup(f"[@click=app.set_period('{label}')]{' ' + label + ' '}[/]").stylize(style),
            " ",
        ]
    filters = query.active_filters()
    if filters:
        parts.append((" ".join(f"{k}={v}" for k, v in filters.items()) + " ", "bold $warning"))
    if snapshot is not None:
        p = snapshot.period
        parts.append((f"{clock(snapshot.fetched_at)} ({snapshot.query_ms:.0f} ms) ", "$text-muted"))
        parts.append((f"· {p.start:%m-%d %H:%M}→{p.end:%m-%d %H:%M} UTC · {source}", "$text-muted"))
    else:
        parts.append((f"· {source} · loading…", "$text-muted"))
    return Content.assemble(*parts)


class DashboardScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("", id="notice")
        yield Static("", id="status")
        yield KpiBar(id="kpis")
        with Horizontal(id="middle"):
            yield SpendChart(id="chart")
            yield BudgetGauges(id="budgets")
        with Horizontal(id="tops"):
            yield TopTable("model", id="top-models")
            yield TopTable("feature", id="top-features")
        yield LiveTail(id="tail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#chart").border_title = "Spend"
        self.query_one("#budgets").border_title = "Budgets"
        self.query_one("#top-models").border_title = "Top models"
        self.query_one("#top-features").border_title = "Top features"
        self.query_one("#tail").border_title = "Live tail"

    def show_status(self, query: DashboardQuery, snapshot: Snapshot | None, source: str) -> None:
        self.query_one("#status", Static).update(status_line(query, snapshot, source))

    def show(self, snapshot: Snapshot, source: str) -> None:
        with self.app.batch_update():
            self.show_status(snapshot.query, snapshot, source)
            self.query_one(KpiBar).show(snapshot)
            chart = self.query_one(SpendChart)
            chart.border_title = f"Spend per {snapshot.granularity}"
            chart.show(snapshot.chart)
            self.query_one(BudgetGauges).show(snapshot.budgets)
            models, features = (
                self.query_one("#top-models", TopTable),
                self.query_one("#top-features", TopTable),
            )
            models.show(snapshot.by_model)
            features.show(snapshot.by_feature)
            models.border_subtitle = f"by {models.sort_by}"
            features.border_subtitle = f"by {features.sort_by}"
            self.query_one(LiveTail).show(snapshot.tail)
            unpriced = snapshot.totals.unpriced_requests
            self.query_one("#tail").border_subtitle = (
                f"{unpriced:,} unpriced call(s) not in the totals" if unpriced else ""
            )

    def show_notice(self, text: str | None) -> None:
        notice = self.query_one("#notice", Static)
        notice.set_class(text is not None, "-visible")
        if text is not None:
            notice.update(Content.assemble(("⚠ ", "bold"), text))
