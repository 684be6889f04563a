"""How the dashboard writes money, tokens, changes and times (the same money format as `tb report`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tokenbudget.core.humanize import tokens, usd

__all__ = ["tokens", "usd"]  # re-exported: the dashboard's widgets import them from here


def change(current: Decimal, previous: Decimal) -> tuple[str, str]:
    """(text, style) of the change against the previous period; more spend is $error, less is $success."""
    if previous == 0:
        return ("no previous data", "$text-muted") if current == 0 else ("new spend", "$warning")
    pct = (current - previous) * 100 / previous
    arrow = "▲" if pct > 0 else "▼" if pct < 0 else "="
    return f"{arrow} {abs(pct):.1f}% vs prev", "$error" if pct > 0 else "$success"


def clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S")


def ellipsize(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"
