"""Exports: every event as CSV (streamed, constant memory) and a PDF report for people.

`csv_export` needs nothing beyond the core; `pdf_report` and `charts` need the `export` extra (reportlab,
matplotlib) and import it only when a PDF is built.
"""

from __future__ import annotations

from tokenbudget.core.exports.csv_export import (
    EVENT_CSV_COLUMNS,
    SUMMARY_CSV_COLUMNS,
    ExportStats,
    count_events,
    event_csv_chunks,
    summary_csv,
    write_events_csv,
)
from tokenbudget.core.exports.report_data import ReportData, gather_report_data

__all__ = [
    "EVENT_CSV_COLUMNS",
    "SUMMARY_CSV_COLUMNS",
    "ExportStats",
    "ReportData",
    "build_pdf",
    "count_events",
    "event_csv_chunks",
    "gather_report_data",
    "summary_csv",
    "write_events_csv",
]


def build_pdf(*args: object, **kwargs: object) -> bytes:
    """See `tokenbudget.core.exports.pdf_report.build_pdf` (imported here lazily: reportlab is an extra)."""
    from tokenbudget.core.exports.pdf_report import build_pdf as _build_pdf

    return _build_pdf(*args, **kwargs)  # type: ignore[arg-type]
