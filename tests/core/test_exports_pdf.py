"""PDF report: its data equals the report's aggregates, its text carries the totals, and it renders. Both engines."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tokenbudget.core.analytics import EventFilter, breakdown, build_report, money
from tokenbudget.core.exports import build_pdf, gather_report_data
from tokenbudget.core.exports.pdf_report import usd
from tokenbudget.core.periods import parse_period
from tokenbudget.core.store.price_history_repo import PriceChangeRecord

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def render_page(pdf: bytes, index: int = 0, scale: float = 1.0) -> Any:
    """Page `index` as a PIL image (pdfium): proves the document is valid, not just well-formed bytes."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[index].render(scale=scale).to_pil().convert("L")
    finally:
        doc.close()


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _fill(store: Any, make: Any) -> None:
    events = []
    for day in range(40):  # 30 days in the period, 10 in the previous one
        for i in range(6):
            events.append(
                make(
                    occurred_at=NOW - timedelta(days=day, hours=i + 1),
                    project="checkout" if i % 2 else "search",
                    feature=["answer", "triage", "embed"][i % 3],
                    user_id=f"user_{i}" if i < 5 else None,
                    model="claude-sonnet-4-5" if i % 3 == 0 else "gpt-4o",
                    cost=Decimal("0.012345678") * (i + 1) + Decimal(day) / 100,
                    reasoning_tokens=5,
                )
            )
    events.append(make(occurred_at=NOW - timedelta(days=2), model="acme-llm-2", cost=None, project="search"))
    store.insert_events(events)


def test_report_data_is_the_reports_aggregates(store: Any, event_factory: Any) -> None:
    _fill(store, event_factory)
    period = parse_period("30d", now=NOW)
    data = gather_report_data(store, period, now=NOW)
    report = build_report(store, period)
    assert data.totals == report.totals
    assert data.previous_totals == report.previous_totals and data.previous_totals.requests > 0
    assert data.change_pct is not None and data.change_pct > 0
    assert data.daily == report.daily and len(data.daily) == 31
    assert [r.key for r in data.by_model] == [r.key for r in report.rows]
    assert data.by_feature == breakdown(store, period, by="feature", top=10)
    assert sum(r.requests for r in data.top_users) == report.totals.requests
    assert data.unpriced_models == [("acme-llm-2", 1)]
    assert data.scope == "all projects"
    assert data.budgets == [] and data.budgets_note
    assert data.price_changes == [] and "No price changes" in (data.price_changes_note or "")


def test_pdf_carries_the_totals_and_renders(store: Any, event_factory: Any) -> None:
    _fill(store, event_factory)
    period = parse_period("30d", now=NOW)
    filters = EventFilter(project="checkout")
    data = gather_report_data(store, period, filters, now=NOW)
    pdf = build_pdf(data)
    assert pdf.startswith(b"%PDF-") and 1 <= page_count(pdf) <= 4
    text = pdf_text(pdf)
    pages = page_count(pdf)
    assert all(f"page {n} of {pages}" in text for n in range(1, pages + 1))
    t = build_report(store, period, filters).totals
    assert f"exact ${money(t.cost_usd)}" in text
    assert usd(t.cost_usd) in text
    assert f"{t.requests:,}" in text
    assert f"exact ${money(t.avg_cost_per_request)}" in text
    assert "project checkout" in text
    assert "Daily spend" in text and "Cost by model" in text and "Cost by feature" in text
    assert "Top users" in text and "user_1" in text
    assert "Budgets" in text and "Price changes in the period" in text
    image = render_page(pdf)
    assert image.size[0] > 500 and image.size[1] > 700  # A4 at 72 dpi: 595 x 842
    assert image.getextrema()[0] < 60  # real ink on the page, not a blank render
    for index in range(1, page_count(pdf)):
        render_page(pdf, index)


def test_unpriced_calls_are_called_out(store: Any, event_factory: Any) -> None:
    _fill(store, event_factory)
    pdf = build_pdf(gather_report_data(store, parse_period("30d", now=NOW), now=NOW))
    text = " ".join(pdf_text(pdf).split())
    assert "1 call(s) have no price and are NOT in the total" in text
    assert "acme-llm-2" in text


def test_empty_period_still_makes_a_valid_report(store: Any) -> None:
    pdf = build_pdf(gather_report_data(store, parse_period("7d", now=NOW), now=NOW))
    text = pdf_text(pdf)
    assert "exact $0.000000000" in text and "Every call in this period is priced." in text
    render_page(pdf)


def test_price_changes_of_the_period_are_listed(store: Any, event_factory: Any) -> None:
    _fill(store, event_factory)
    changes = [
        PriceChangeRecord("gpt-4o", "input_cost_per_token", "0.0000025", "0.000002"),
        PriceChangeRecord("some-model-nobody-uses", "output_cost_per_token", None, "0.00001"),
    ]
    store.save_price_table(
        version="litellm-test1",
        source="test",
        content_hash="abc",
        model_count=2,
        content=b"{}",
        fetched_at=NOW - timedelta(days=3),
        changes=changes,
    )
    store.save_price_table(  # before the period: not listed
        version="litellm-test0",
        source="test",
        content_hash="abd",
        model_count=2,
        content=b"{}",
        fetched_at=NOW - timedelta(days=90),
        changes=[PriceChangeRecord("gpt-4o", "output_cost_per_token", "0.00001", "0.000012")],
    )
    data = gather_report_data(store, parse_period("30d", now=NOW), now=NOW)
    assert data.price_changes_total == 2
    assert [(c.model, c.used) for c in data.price_changes] == [
        ("gpt-4o", True),
        ("some-model-nobody-uses", False),
    ]
    text = " ".join(pdf_text(build_pdf(data)).split())
    assert "2 rate change(s) detected in the period" in text
    assert "input_cost_per_token" in text and "$2.5/M" in text and "$2/M" in text


class _FakeForecast:
    projected_usd = Decimal("130")


def test_budgets_show_status_and_forecast(store: Any, event_factory: Any) -> None:
    from tokenbudget.core.budgets import Budget, all_statuses

    _fill(store, event_factory)
    store.save_budget(
        Budget(
            name="monthly-cap",
            scope="project",
            scope_value="checkout",
            period="monthly",
            limit_usd=Decimal(1),
            project="checkout",
        )
    )
    store.save_budget(
        Budget(
            name="search-cap",
            scope="project",
            scope_value="search",
            period="monthly",
            limit_usd=Decimal(1),
            project="search",
        )
    )
    data = gather_report_data(store, parse_period("30d", now=NOW), EventFilter(project="checkout"), now=NOW)
    [expected] = all_statuses(store, now=NOW, names=["monthly-cap"])
    assert [(b.name, b.state, b.forecast_usd) for b in data.budgets] == [
        ("monthly-cap", expected.state, expected.forecast.projected_usd)
    ]
    assert expected.spent_usd > expected.limit_usd  # the fill overspends: the report must say so
    text = " ".join(pdf_text(build_pdf(data)).split())
    assert "monthly-cap" in text and "project:checkout" in text and "search-cap" not in text


def test_a_failing_budget_read_does_not_sink_the_report(
    store: Any, event_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tokenbudget.core.budgets as budgets

    _fill(store, event_factory)
    period = parse_period("30d", now=NOW)

    def broken(*_a: Any, **_k: Any) -> list[Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(budgets, "all_statuses", broken)
    data = gather_report_data(store, period, now=NOW)
    assert data.budgets == [] and "could not be read" in (data.budgets_note or "")
    build_pdf(data)  # the report is still made
