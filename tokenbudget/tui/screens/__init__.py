"""Screens: the dashboard, the help overlay and the filter prompt."""

from tokenbudget.tui.screens.dashboard import DashboardScreen
from tokenbudget.tui.screens.filter import FilterScreen
from tokenbudget.tui.screens.help import HelpScreen

__all__ = ["DashboardScreen", "FilterScreen", "HelpScreen"]
