"""Money and token counts for people: one format for `tb report`, the dashboard and the PDF report.

Machine outputs (JSON, CSV) never use these: they carry exact decimal strings and whole numbers.
"""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def usd(amount: Decimal | None) -> str:
    """Cents when it is dollars, more digits for fractions of a cent; None is 'unpriced', never $0."""
    if amount is None:
        return "unpriced"
    magnitude = abs(amount)
    if magnitude >= 1 or magnitude == 0:
        return f"${amount:,.2f}"
    if magnitude >= CENT:
        return f"${amount:,.4f}"
    return f"${amount:,.6f}"


def tokens(count: int) -> str:
    """12,345 -> '12.3k'; 4,200,000 -> '4.20M'."""
    if count >= 1_000_000_000:
        return f"{count / 1e9:.2f}B"
    if count >= 1_000_000:
        return f"{count / 1e6:.2f}M"
    if count >= 10_000:
        return f"{count / 1e3:.1f}k"
    return f"{count:,}"
