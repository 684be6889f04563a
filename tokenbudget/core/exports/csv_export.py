"""CSV exports: one row per event (every stored field), or the aggregated breakdown of `tb report`.

Event rows stream from the store (`Store.stream_event_rows`: a server-side cursor on PostgreSQL, keyset pages on
SQLite) through a small text buffer, so memory stays flat whether the period holds a hundred events or ten
million. Costs are exact decimal strings with 9 decimals (from the stored integer nano-USD, no float on the
way); an unpriced call has an empty cost, never 0. Timestamps are ISO 8601 UTC; tags are a JSON object.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from tokenbudget.core.analytics import BREAKDOWN_COLUMNS, breakdown, money, totals

if TYPE_CHECKING:
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.periods import Period
    from tokenbudget.core.store import Store

# The documented header (README "JSON formats", docs/exports.md). Columns are only ever added, at the end.
EVENT_CSV_COLUMNS: tuple[str, ...] = (
    "event_id",
    "occurred_at",
    "project",
    "provider",
    "model",
    "price_key",
    "service_tier",
    "input_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "cache_write_1h_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_usd",
    "cost_status",
    "price_version",
    "status",
    "latency_ms",
    "request_id",
    "feature",
    "user_id",
    "env",
    "tags",
    "ingested_at",
)
# The same header as `tb report --format csv`: the breakdown rows, whose sums are the report's totals.
SUMMARY_CSV_COLUMNS = BREAKDOWN_COLUMNS

# events columns read from the store, in EVENT_CSV_COLUMNS order (cost_usd is stored as cost_nanos).
_STORE_COLUMNS = tuple("cost_nanos" if c == "cost_usd" else c for c in EVENT_CSV_COLUMNS)
_AT = {name: i for i, name in enumerate(EVENT_CSV_COLUMNS)}
_TIMES = (_AT["occurred_at"], _AT["ingested_at"])
_COST, _TAGS = _AT["cost_usd"], _AT["tags"]
_BILLION = 1_000_000_000


@dataclass
class ExportStats:
    """Counted while the rows stream by: what was written."""

    rows: int = 0
    cost_nanos: int = 0
    unpriced: int = 0

    @property
    def cost_usd(self) -> str:
        return _nanos_text(self.cost_nanos)


def _nanos_text(nanos: int) -> str:
    # Integer arithmetic: exactly the digits `analytics.money` prints, without a Decimal per row.
    return f"{nanos // _BILLION}.{nanos % _BILLION:09d}"


def _tags_text(tags: Any) -> str:
    if not tags:  # NULL, JSON null, {}
        return ""
    return json.dumps(tags, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _cells(row: tuple[Any, ...], stats: ExportStats) -> list[Any]:
    cells = list(row)
    for i in _TIMES:
        if cells[i] is not None:
            cells[i] = cells[i].isoformat()
    nanos = cells[_COST]
    if nanos is None:
        cells[_COST] = ""
        stats.unpriced += 1
    else:
        nanos = int(nanos)
        cells[_COST] = _nanos_text(nanos)
        stats.cost_nanos += nanos
    cells[_TAGS] = _tags_text(cells[_TAGS])
    stats.rows += 1
    return cells


def event_csv_chunks(
    store: Store,
    period: Period | None,
    filters: EventFilter | None = None,
    *,
    stats: ExportStats | None = None,
    chunk_rows: int = 2000,
    batch_size: int = 5000,
) -> Iterator[str]:
    """The event CSV as text chunks (header first, then `chunk_rows` rows per chunk), for files and HTTP.

    `stats` (if given) is updated as rows go by. Rows are oldest first; ties in time keep insertion order.
    """
    stats = stats if stats is not None else ExportStats()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EVENT_CSV_COLUMNS)
    pending = 0
    for row in store.stream_event_rows(period, filters, columns=_STORE_COLUMNS, batch_size=batch_size):
        writer.writerow(_cells(row, stats))
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue()


def write_events_csv(
    store: Store,
    period: Period | None,
    filters: EventFilter | None,
    out: TextIO,
    *,
    on_progress: Callable[[ExportStats], None] | None = None,
    chunk_rows: int = 2000,
) -> ExportStats:
    """Write every matching event to `out`; `on_progress` is called after each chunk."""
    stats = ExportStats()
    for chunk in event_csv_chunks(store, period, filters, stats=stats, chunk_rows=chunk_rows):
        out.write(chunk)
        if on_progress is not None:
            on_progress(stats)
    return stats


def count_events(store: Store, period: Period, filters: EventFilter | None = None) -> int:
    """How many events an export of `period` will write (from the aggregates: cheap, for a progress bar)."""
    return totals(store, period, filters).requests


def summary_csv(
    store: Store,
    period: Period,
    filters: EventFilter | None = None,
    *,
    by: str = "model",
    top: int | None = None,
) -> str:
    """The breakdown as CSV, exactly `tb report --by BY --format csv` (money as 9-decimal strings)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_CSV_COLUMNS)
    for row in breakdown(store, period, filters, by=by, top=top):
        writer.writerow(
            [money(row.cost_usd) if c == "cost_usd" else getattr(row, c) for c in SUMMARY_CSV_COLUMNS]
        )
    return buffer.getvalue()
