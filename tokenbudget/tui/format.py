"""How the dashboard writes money, tokens, changes and times (the same money format as `tb report`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal


def usd(amount: Decimal | None) -> str:
    """Cents when it is dollars, more digits for fractions of a cent; None is 'unpriced', never $0."""
    if amount is None:
        return "unpriced"
    magnitude = abs(amount)
    if magnitude >= 1 or magnitude == 0:
        return f"${amount:,.2f}"
    if magnitude >= Decimal("0.01"):
        return f"${amount:,.4f}"
    return f"${amount:,.6f}"


def tokens(count: int) -> str:
    if count >= 1_000_000_000:
        return f"{count / 1e9:.2f}B"
    if count >= 1_000_000:
        return f"{count / 1e6:.2f}M"
    if count >= 10_000:
        return f"{count / 1e3:.1f}k"
    return f"{count:,}"


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
