"""The PDF report (reportlab platypus): KPIs, daily spend, cost by model and feature, top users, budgets, price
changes and unpriced calls, on a few A4 pages that read well on paper.

Text uses DejaVu Sans (shipped with matplotlib, which the same extra installs) so that any model, feature or user
name prints, not only Latin-1. All numbers come from `ReportData` (SQL aggregates); this module only lays out.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from tokenbudget.core.analytics import money
from tokenbudget.core.exports import charts
from tokenbudget.core.humanize import tokens, usd

if TYPE_CHECKING:
    from tokenbudget.core.exports.report_data import ReportData

INK, MUTED, RULE, SOFT = "#111827", "#6b7280", "#d1d5db", "#f3f4f6"
RED, AMBER, GREEN, ACCENT = "#b91c1c", "#b45309", "#047857", "#2563eb"
STATE_COLOURS = {"over": RED, "at_risk": AMBER, "warning": AMBER, "ok": GREEN}
FONT, BOLD = "TBSans", "TBSans-Bold"
DASH = "\u2013"  # en dash


def _register_fonts() -> None:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    import matplotlib

    folder = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf")
    pdfmetrics.registerFont(TTFont(FONT, os.path.join(folder, "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, os.path.join(folder, "DejaVuSans-Bold.ttf")))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, BOLD)


def _styles() -> dict[str, Any]:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11.5, textColor=HexColor(INK))
    return {
        "body": base,
        "muted": ParagraphStyle("muted", parent=base, textColor=HexColor(MUTED), fontSize=7.5, leading=10),
        "kicker": ParagraphStyle(
            "kicker", parent=base, textColor=HexColor(ACCENT), fontName=BOLD, fontSize=8
        ),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=19, leading=23, spaceAfter=2),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=11.5, leading=14, spaceBefore=12, spaceAfter=5
        ),
        "kpi_label": ParagraphStyle("kl", parent=base, textColor=HexColor(MUTED), fontSize=7.5, leading=9),
        "kpi": ParagraphStyle("kpi", parent=base, fontName=BOLD, fontSize=15, leading=19),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "note": ParagraphStyle("note", parent=base, textColor=HexColor(RED), fontSize=8.5, leading=11.5),
    }


def _period_text(data: ReportData) -> str:
    p = data.period
    last = p.end - timedelta(microseconds=1)
    if p.start.date() == last.date():
        span = f"{p.start:%b %d, %Y}"
    elif p.start.year == last.year:
        span = f"{p.start:%b %d} {DASH} {last:%b %d, %Y}"
    else:
        span = f"{p.start:%b %d, %Y} {DASH} {last:%b %d, %Y}"
    return f"{span} (UTC, {p.label})"


def _change_text(data: ReportData) -> tuple[str, str]:
    prev = usd(data.previous_totals.cost_usd)
    if data.change_pct is None:
        return ("new" if data.totals.cost_usd else DASH), f"previous period {prev}"
    colour = RED if data.change_pct > 0 else GREEN
    return f'<font color="{colour}">{data.change_pct:+}%</font>', f"vs {prev} the period before"


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], *, numeric_from: int = 1) -> Any:
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table, TableStyle

    table = Table(list(rows), colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("FONT", (0, 0), (-1, 0), BOLD, 7.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), HexColor(MUTED)),
        ("TEXTCOLOR", (0, 1), (-1, -1), HexColor(INK)),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, HexColor(INK)),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, HexColor(RULE)),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for i in range(2, len(rows), 2):
        style.append(("BACKGROUND", (0, i), (-1, i), HexColor("#fafafa")))
    table.setStyle(TableStyle(style))
    return table


def _key(text: str, styles: dict[str, Any], limit: int = 60) -> Any:
    from reportlab.platypus import Paragraph

    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return Paragraph(escape(text), styles["cell"])


def _breakdown(rows: list[Any], total: Decimal, label: str, styles: dict[str, Any], width: float) -> Any:
    head = [label, "cost", "share", "requests", "input", "output", "unpriced"]
    body = [
        [
            _key(r.key, styles),
            usd(r.cost_usd),
            f"{r.cost_usd / total * 100:.1f}%" if total else DASH,
            f"{r.requests:,}",
            tokens(r.input_tokens),
            tokens(r.output_tokens),
            f"{r.unpriced_requests:,}" if r.unpriced_requests else "",
        ]
        for r in rows
    ]
    numbers = [0.13, 0.09, 0.11, 0.09, 0.09, 0.09]
    return _table([head, *body], [width * (1 - sum(numbers)), *(width * n for n in numbers)])


def _image(png: bytes, width: float) -> Any:
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    w, h = ImageReader(io.BytesIO(png)).getSize()
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def _kpis(data: ReportData, styles: dict[str, Any], width: float) -> Any:
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Paragraph, Table, TableStyle

    t = data.totals
    change, change_note = _change_text(data)
    errors = f"{t.error_requests:,} errors" if t.error_requests else "no errors"

    def cell(label: str, value: str, note: str) -> list[Any]:
        return [
            Paragraph(label.upper(), styles["kpi_label"]),
            Paragraph(value, styles["kpi"]),
            Paragraph(note, styles["muted"]),
        ]

    cells = [
        cell("Total cost", usd(t.cost_usd), f"exact ${money(t.cost_usd)}"),
        cell("Requests", f"{t.requests:,}", errors),
        cell("Avg per request", usd(t.avg_cost_per_request), f"exact ${money(t.avg_cost_per_request)}"),
        cell("Change", change, change_note),
    ]
    table = Table([cells], colWidths=[width / 4] * 4, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), HexColor(SOFT)),
                ("LINEBEFORE", (1, 0), (-1, -1), 0.6, HexColor("#ffffff")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def _unpriced(data: ReportData, styles: dict[str, Any]) -> Any:
    from reportlab.platypus import Paragraph

    n = data.totals.unpriced_requests
    if not n:
        return Paragraph("Every call in this period is priced.", styles["muted"])
    models = ", ".join(f"{escape(m)} ({c:,})" for m, c in data.unpriced_models[:8])
    more = f" and {len(data.unpriced_models) - 8} more" if len(data.unpriced_models) > 8 else ""
    return Paragraph(
        f"<b>{n:,} call(s) have no price and are NOT in the total</b>: {models}{more}. "
        "Add a price with <b>tb pricing set MODEL</b>, then run <b>tb reprice</b>.",
        styles["note"],
    )


def _budgets(data: ReportData, styles: dict[str, Any], width: float) -> list[Any]:
    from reportlab.platypus import Paragraph

    if not data.budgets:
        return [Paragraph(escape(data.budgets_note or "No budgets."), styles["muted"])]
    head = ["budget", "scope", "period", "limit", "spent", "used", "forecast", "status"]
    rows = [
        [
            _key(b.name, styles, 30),
            _key(b.scope, styles, 30),
            b.period,
            usd(b.limit_usd),
            usd(b.spent_usd),
            f"{b.percent:.0f}%",
            DASH if b.forecast_usd is None else usd(b.forecast_usd),
            Paragraph(
                f'<font color="{STATE_COLOURS.get(b.state, INK)}"><b>{escape(b.state.replace("_", " "))}</b></font>',
                styles["cell"],
            ),
        ]
        for b in data.budgets
    ]
    numbers = [0.08, 0.11, 0.11, 0.07, 0.11, 0.1]
    first = (1 - sum(numbers)) / 2
    return [
        _table([head, *rows], [width * first, width * first, *(width * n for n in numbers)], numeric_from=3)
    ]


def _price_changes(data: ReportData, styles: dict[str, Any], width: float) -> list[Any]:
    from reportlab.platypus import Paragraph, Spacer

    if not data.price_changes:
        return [Paragraph(escape(data.price_changes_note or "No price changes."), styles["muted"])]

    def rate(value: str | None) -> str:
        if value is None:
            return DASH
        try:
            return f"${Decimal(value) * 1_000_000:f}".rstrip("0").rstrip(".") + "/M"
        except ArithmeticError:
            return value

    used = sum(1 for c in data.price_changes if c.used)
    head = ["date", "model", "rate", "old", "new", "used"]
    rows = [
        [
            "" if c.detected_at is None else f"{c.detected_at:%b %d}",
            _key(c.model, styles, 40),
            _key(c.field, styles, 36),
            rate(c.old),
            rate(c.new),
            "yes" if c.used else "",
        ]
        for c in data.price_changes
    ]
    widths = [0.09, 0.32, 0.3, 0.11, 0.11, 0.07]
    shown = len(data.price_changes)
    intro = f"{data.price_changes_total:,} rate change(s) detected in the period"
    intro += f"; {used} shown affect models called in it" if used else ""
    intro += f" (first {shown} shown)." if shown < data.price_changes_total else "."
    return [
        Paragraph(intro, styles["muted"]),
        Spacer(1, 3),
        _table([head, *rows], [width * w for w in widths], numeric_from=3),
    ]


def build_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    _register_fonts()
    styles = _styles()
    margin = 16 * mm
    out = io.BytesIO()
    title = f"LLM spend report · {data.period.label} · {data.scope}"
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=18 * mm,
        title=title,
        author="TokenBudget",
        subject="LLM cost report",
        creator="TokenBudget",
    )
    width = A4[0] - 2 * margin
    t = data.totals
    story: list[Any] = [
        Paragraph("TOKENBUDGET · LLM COST REPORT", styles["kicker"]),
        Spacer(1, 3),
        Paragraph(escape(_period_text(data)), styles["title"]),
        Paragraph(
            f"Scope: <b>{escape(data.scope)}</b> · generated {data.generated_at:%Y-%m-%d %H:%M} UTC",
            styles["muted"],
        ),
        Spacer(1, 10),
        _kpis(data, styles, width),
        Spacer(1, 6),
        Paragraph(
            f"Tokens: input {tokens(t.input_tokens)} (cache read {tokens(t.cache_read_input_tokens)}, "
            f"cache write {tokens(t.cache_write_input_tokens)}) · output {tokens(t.output_tokens)} "
            f"(reasoning {tokens(t.reasoning_tokens)})"
            + (
                f" · {t.client_reported_requests:,} call(s) priced by their client"
                if t.client_reported_requests
                else ""
            ),
            styles["muted"],
        ),
        Spacer(1, 4),
        _unpriced(data, styles),
        Paragraph("Daily spend", styles["h2"]),
        _image(charts.daily_spend_png(data.daily), width),
    ]
    if data.by_model:
        story += [
            CondPageBreak(60 * mm),
            Paragraph("Cost by model", styles["h2"]),
            _image(charts.share_bars_png([(r.key, r.cost_usd) for r in data.by_model]), width * 0.92),
            Spacer(1, 6),
            KeepTogether(_breakdown(data.by_model, t.cost_usd, "model", styles, width)),
        ]
    sections = [
        (
            "Cost by feature",
            [_breakdown(data.by_feature, t.cost_usd, "feature", styles, width)] if data.by_feature else [],
        ),
        (
            "Top users",
            [_breakdown(data.top_users, t.cost_usd, "user", styles, width)] if data.top_users else [],
        ),
        ("Budgets", _budgets(data, styles, width)),
        ("Price changes in the period", _price_changes(data, styles, width)),
    ]
    for heading, body in sections:
        if body:
            # Kept together when it fits on a page; a longer section still splits (KeepTogether allows it).
            story.append(KeepTogether([Paragraph(heading, styles["h2"]), *body]))
    footer = f"TokenBudget · {data.scope} · {data.period.label}"
    doc.build(
        story, onFirstPage=_footer(footer), onLaterPages=_footer(footer), canvasmaker=_numbered_canvas()
    )
    return out.getvalue()


def _footer(text: str) -> Any:
    def draw(canvas: Any, doc: Any) -> None:
        from reportlab.lib.colors import HexColor
        from reportlab.lib.units import mm

        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(HexColor(MUTED))
        canvas.setStrokeColor(HexColor(RULE))
        canvas.setLineWidth(0.4)
        y = 11 * mm
        canvas.line(doc.leftMargin, y + 3.5 * mm, doc.pagesize[0] - doc.rightMargin, y + 3.5 * mm)
        canvas.drawString(doc.leftMargin, y, text[:120])
        canvas.page_label_at = (doc.pagesize[0] - doc.rightMargin, y)  # "page N of M", once M is known
        canvas.restoreState()

    return draw


def _numbered_canvas() -> type:
    """A canvas that holds its pages back until the document ends, then writes "page N of M" on each."""
    from reportlab.lib.colors import HexColor
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.page_label_at: tuple[float, float] | None = None
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's method name
            self._pages.append(dict(self.__dict__))
            self._startPage()
            self.page_label_at = None

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                at = self.page_label_at
                if at is not None:
                    self.saveState()
                    self.setFont(FONT, 7)
                    self.setFillColor(HexColor(MUTED))
                    self.drawRightString(at[0], at[1], f"page {self._pageNumber} of {total}")
                    self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas
