"""GET /api/exports/csv and /api/exports/pdf: `tb export csv|pdf` over HTTP, for the caller's projects only.

The event CSV is streamed (StreamingResponse over core.exports' text chunks: a server-side cursor on PostgreSQL,
keyset pages on SQLite), so an export of millions of calls holds a few thousand rows in memory at a time. The
filters are the analytics endpoints' (`period`, `project`, `feature`, `model`, `provider`, `user`, `env`), with
the key's project scope always added.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from tokenbudget.core.analytics import BREAKDOWN_DIMENSIONS, EventFilter
from tokenbudget.core.exports import event_csv_chunks, gather_report_data, summary_csv
from tokenbudget.core.periods import parse_period
from tokenbudget.server.deps import Caller, State
from tokenbudget.server.routers.analytics import By, Filters
from tokenbudget.server.state import ServerState

router = APIRouter(prefix="/api/exports", tags=["exports"])

CSV_TYPE = "text/csv; charset=utf-8"
PDF_HINT = "PDF exports need the export extra on the server: pip install 'tokenbudget[export]'"


def _filename(kind: str, period: str, extension: str) -> dict[str, str]:
    label = "".join(c if c.isalnum() or c in "-." else "-" for c in period)[:40]
    return {"Content-Disposition": f'attachment; filename="tokenbudget-{kind}-{label}.{extension}"'}


@router.get(
    "/csv",
    summary="Every call as CSV (streamed), or the breakdown with summary=true",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_csv(
    state: State,
    identity: Caller,
    f: Annotated[Filters, Depends()],
    summary: Annotated[bool, Query(description="the breakdown rows (as `tb report --format csv`)")] = False,
    by: By = "model",
) -> Response:
    period = parse_period(f.period)
    filters = f.event_filter(identity)
    if summary:
        if by not in BREAKDOWN_DIMENSIONS:
            raise HTTPException(422, f"by must be one of {', '.join(BREAKDOWN_DIMENSIONS)}, got {by!r}")
        text = await run_in_threadpool(summary_csv, state.store, period, filters, by=by)
        return Response(text, media_type=CSV_TYPE, headers=_filename(f"summary-{by}", f.period, "csv"))
    # A sync generator: Starlette pulls each chunk in its thread pool, so the event loop never blocks on the DB.
    return StreamingResponse(
        event_csv_chunks(state.store, period, filters),
        media_type=CSV_TYPE,
        headers=_filename("events", f.period, "csv"),
    )


def _pdf(state: ServerState, period_text: str, filters: EventFilter) -> bytes:
    try:
        from tokenbudget.core.exports.pdf_report import build_pdf
    except ImportError:
        raise HTTPException(501, PDF_HINT) from None
    period = parse_period(period_text)
    data = gather_report_data(state.store, period, filters, default_timezone=state.settings.timezone)
    return build_pdf(data)


@router.get(
    "/pdf",
    summary="The PDF cost report (as `tb export pdf`)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def export_pdf(state: State, identity: Caller, f: Annotated[Filters, Depends()]) -> Response:
    parse_period(f.period)  # a bad period is a 400 before any work
    pdf = await run_in_threadpool(_pdf, state, f.period, f.event_filter(identity))
    return Response(pdf, media_type="application/pdf", headers=_filename("report", f.period, "pdf"))
