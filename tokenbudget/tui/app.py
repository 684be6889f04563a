"""The `tb tui` application: one dashboard that refreshes itself from a `DataSource` in a worker thread.

`create_app(settings_or_source, ...)` is what the CLI and the tests use. The UI thread never queries: a tick
starts one worker (never two at once), the worker calls `source.fetch`, and the result is applied on the UI
thread in one batch. A failure keeps the last numbers on screen under a notice and is retried on the next tick.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tokenbudget.tui.commands import DashboardCommands
from tokenbudget.tui.data import PERIODS, DashboardQuery, DataSource, Snapshot, SourceUnavailable
from tokenbudget.tui.format import clock
from tokenbudget.tui.screens import DashboardScreen, FilterScreen, HelpScreen
from tokenbudget.tui.widgets import TopTable

if TYPE_CHECKING:
    from tokenbudget.core.settings import Settings

DEFAULT_REFRESH_S = 2.0
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TokenBudgetApp(App[None]):
    CSS_PATH = "tokenbudget.tcss"
    TITLE = "TokenBudget"
    COMMANDS: ClassVar = App.COMMANDS | {DashboardCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "next_period", "Period"),
        Binding("slash", "filter", "Filter"),
        Binding("c", "clear_filters", "Clear", show=False),
        Binding("s", "sort", "Sort"),
        Binding("r", "refresh", "Refresh"),
        Binding("t", "toggle_theme", "Theme", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        *(
            Binding(str(i + 1), f"set_period('{label}')", label, show=False)
            for i, label in enumerate(PERIODS)
        ),
    ]

    def __init__(
        self,
        source: DataSource,
        *,
        query: DashboardQuery | None = None,
        refresh_s: float = DEFAULT_REFRESH_S,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__()
        self.source = source
        self.query_state = query or DashboardQuery()
        self.refresh_s = refresh_s
        self.clock = clock
        self.snapshot: Snapshot | None = None
        self.error: str | None = None
        self.refresh_count = 0  # completed fetches for the current query (tests wait on it)
        self._inflight = False
        self._pending = False

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[None]:
        return DashboardScreen()

    def on_mount(self) -> None:
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        self.dashboard.show_status(self.query_state, None, self.source.description)
        self.set_interval(self.refresh_s, self.tick)
        self.tick()

    def on_unmount(self) -> None:
        self.source.close()

    @property
    def dashboard(self) -> DashboardScreen:
        screen = self.screen_stack[0] if self.screen_stack else None
        assert isinstance(screen, DashboardScreen)
        return screen

    # -- refreshing ---------------------------------------------------------------------------------------------
    def tick(self) -> None:
        """Start a fetch unless one is running (then fetch again as soon as it ends)."""
        if self._inflight:
            self._pending = True
            return
        self._inflight = True
        self._fetch(self.query_state)

    @work(thread=True, group="refresh", exit_on_error=False)
    def _fetch(self, query: DashboardQuery) -> None:
        try:
            snapshot, error = self.source.fetch(query, self.clock()), None
        except SourceUnavailable as exc:
            snapshot, error = None, str(exc)
        except Exception as exc:  # anything else must not kill a dashboard left open for days
            snapshot, error = None, f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(RuntimeError):  # the app closed while this fetch ran: nobody to show it to
            self.call_from_thread(self._apply, query, snapshot, error)

    def _apply(self, query: DashboardQuery, snapshot: Snapshot | None, error: str | None) -> None:
        self._inflight = False
        if self._pending:
            self._pending = False
            self.tick()
        if query != self.query_state:
            return  # the user switched period or filters meanwhile; the pending fetch is for the new query
        self.refresh_count += 1
        if snapshot is None:
            was_ok = self.error is None
            self.error = error
            since = f" · showing data from {clock(self.snapshot.fetched_at)}" if self.snapshot else ""
            self.dashboard.show_notice(
                f"{self.source.description} unavailable: {error} · retrying every {self.refresh_s:g}s{since}"
            )
            if was_ok:
                self.log.warning("source unavailable", error=error)
            return
        if self.error is not None:
            self.notify("Connection restored.", title="TokenBudget", timeout=4)
        self.error = None
        self.snapshot = snapshot
        self.dashboard.show_notice(None)
        self.dashboard.show(snapshot, self.source.description)

    def _set_query(self, query: DashboardQuery) -> None:
        if query == self.query_state:
            return
        self.query_state = query
        self.refresh_count = 0
        self.dashboard.show_status(query, self.snapshot, self.source.description)
        self.tick()

    # -- actions ------------------------------------------------------------------------------------------------
    def action_set_period(self, period: str) -> None:
        if period in PERIODS:
            self._set_query(self.query_state.with_period(period))

    def action_next_period(self) -> None:
        current = self.query_state.period
        following = PERIODS[(PERIODS.index(current) + 1) % len(PERIODS)] if current in PERIODS else PERIODS[0]
        self.action_set_period(following)

    def action_set_filter(self, name: str, value: str) -> None:
        self._set_query(self.query_state.with_filters(**{name: value}))

    def action_clear_filters(self) -> None:
        self._set_query(self.query_state.with_filters(project=None, feature=None, model=None))

    def action_filter(self) -> None:
        current = " ".join(f"{k}={v}" for k, v in self.query_state.active_filters().items())

        def done(values: dict[str, str | None] | None) -> None:
            if values is not None:
                self._set_query(self.query_state.with_filters(**values))

        self.push_screen(FilterScreen(current), done)

    def action_sort(self) -> None:
        focused = (
            self.focused if isinstance(self.focused, TopTable) else self.query_one("#top-models", TopTable)
        )
        order = focused.cycle_sort()
        focused.border_subtitle = f"by {order}"

    def action_refresh(self) -> None:
        self.source.invalidate()
        self.tick()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def on_data_table_row_selected(self, event: TopTable.RowSelected) -> None:
        """Enter (or a click on the highlighted row) in a top table filters by that row."""
        table = event.data_table
        if isinstance(table, TopTable) and event.row_key.value and not event.row_key.value.startswith("("):
            name = "model" if table.dimension == "model" else "feature"
            self.action_set_filter(name, event.row_key.value)

    def get_system_commands(self, screen: Screen[None]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Refresh now", "Recompute every number", self.action_refresh)


def create_app(
    source: Settings | DataSource,
    *,
    period: str = "7d",
    project: str | None = None,
    feature: str | None = None,
    model: str | None = None,
    refresh_s: float = DEFAULT_REFRESH_S,
    clock: Clock = utc_now,
) -> TokenBudgetApp:
    """The dashboard over a data source, or over the local store of `settings`."""
    from tokenbudget.core.settings import Settings

    if isinstance(source, Settings):
        from tokenbudget.tui.local_source import LocalSource

        source = LocalSource(source)
    query = DashboardQuery(period=period, project=project, feature=feature, model=model)
    return TokenBudgetApp(source, query=query, refresh_s=refresh_s, clock=clock)
