"""Charts for the PDF report, drawn with matplotlib's Agg backend (no display, no GUI toolkit) into PNG bytes.

matplotlib is imported inside the functions: it is an optional extra and takes ~0.3 s to import.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
ACCENT = "#2563eb"
ACCENT_LIGHT = "#93c5fd"
DPI = 200


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 8,
            "axes.edgecolor": GRID,
            "axes.labelcolor": MUTED,
            "xtick.color": MUTED,
            "ytick.color": MUTED,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.fonttype": "none",
        }
    )
    return plt


def _png(fig: Any) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return out.getvalue()


def _money_axis(value: float, _pos: int | None = None) -> str:
    if value >= 1000:
        return f"${value / 1000:,.1f}k"
    if value >= 1 or value == 0:
        return f"${value:,.0f}" if value >= 10 or value == 0 else f"${value:,.2f}"
    return f"${value:.3f}"


def daily_spend_png(
    daily: list[tuple[date, Decimal]], *, width_in: float = 7.0, height_in: float = 2.1
) -> bytes:
    """Cost per UTC day as bars, with the period average as a dashed line."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig, ax = plt.subplots(figsize=(width_in, height_in))
    days = [d for d, _ in daily]
    values = [float(v) for _, v in daily]
    if days:
        ax.bar(days, values, width=0.8, color=ACCENT, linewidth=0, zorder=2)
        average = sum(values) / len(values)
        if average > 0:
            ax.axhline(average, color=INK, linestyle=(0, (4, 3)), linewidth=0.7, alpha=0.6, zorder=3)
            peak = max(range(len(values)), key=values.__getitem__)
            ax.set_title(
                f"- - average {_money_axis(average)}/day    peak {_money_axis(values[peak])} on {days[peak]:%b %d}",
                loc="left",
                fontsize=7,
                color=MUTED,
                pad=6,
                parse_math=False,
            )
        import matplotlib.dates as mdates

        ax.set_xlim(mdates.date2num(days[0]) - 0.7, mdates.date2num(days[-1]) + 0.7)
    else:
        ax.text(
            0.5, 0.5, "no calls in this period", ha="center", va="center", color=MUTED, transform=ax.transAxes
        )
        ax.set_xticks([])
    ax.yaxis.set_major_formatter(FuncFormatter(_money_axis))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.grid(axis="y", color=GRID, linewidth=0.6, zorder=0)
    ax.tick_params(length=0)
    ax.set_ylim(bottom=0)
    if days:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    fig.tight_layout(pad=0.2)
    return _png(fig)


def share_bars_png(
    items: list[tuple[str, Decimal]], *, width_in: float = 7.0, bar_in: float = 0.24, max_label: int = 34
) -> bytes:
    """Horizontal bars of cost per key, largest on top, labelled with the amount."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter

    items = items[::-1]  # matplotlib draws the first bar at the bottom
    height = max(1.0, bar_in * len(items) + 0.4)
    fig, ax = plt.subplots(figsize=(width_in, height))
    labels = [k if len(k) <= max_label else k[: max_label - 1] + "…" for k, _ in items]
    values = [float(v) for _, v in items]
    colors = [ACCENT_LIGHT if k == "(other)" else ACCENT for k, _ in items]
    ax.barh(range(len(items)), values, color=colors, height=0.68, linewidth=0, zorder=2)
    ax.set_yticks(range(len(items)), labels=labels, color=INK)
    top = max(values, default=0) or 1
    for y, v in enumerate(values):
        ax.text(
            v + top * 0.01,
            y,
            _money_axis(v),
            va="center",
            ha="left",
            fontsize=7,
            color=MUTED,
            parse_math=False,
        )
    ax.set_xlim(0, top * 1.15)
    ax.xaxis.set_major_formatter(FuncFormatter(_money_axis))
    ax.grid(axis="x", color=GRID, linewidth=0.6, zorder=0)
    ax.tick_params(length=0)
    ax.spines["left"].set_visible(False)
    fig.tight_layout(pad=0.2)
    return _png(fig)
