"""The dashboard's widgets: each draws one part of a `Snapshot` and knows nothing of where it came from."""

from tokenbudget.tui.widgets.chart import SpendChart
from tokenbudget.tui.widgets.gauges import BudgetGauges
from tokenbudget.tui.widgets.kpis import KpiBar
from tokenbudget.tui.widgets.tables import LiveTail, TopTable

__all__ = ["BudgetGauges", "KpiBar", "LiveTail", "SpendChart", "TopTable"]
