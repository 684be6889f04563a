"""POST /v1/traces: OTLP/HTTP trace export (protobuf or JSON) -> costed events (docs/otlp.md).

Body reading (size limits, gzip) lives in server/body.py (shared with /v1/events/batch), decoding in
server/otlp_decode.py, the span -> event rules in core/otel_mapping.py; the events then take the same path as
/v1/events/batch (routers/ingest.py: validate, stamp the key's project, price, ONE insert_events).
GenAI spans without usable usage are counted in `partialSuccess.rejectedSpans` (200: a retry cannot fix them);
other spans are ignored. The event id comes from trace id + span id, so an exporter's retry never counts twice.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from tokenbudget.core.errors import TokenBudgetError
from tokenbudget.core.keys import KeyIdentity
from tokenbudget.core.otel_mapping import OtelSpan, map_span
from tokenbudget.server.body import read_body
from tokenbudget.server.deps import Caller, State
from tokenbudget.server.otlp_decode import (
    JSON,
    PROTOBUF,
    MalformedOtlp,
    decode,
    encode_response,
    encode_status,
    media_type,
)
from tokenbudget.server.routers.ingest import ingest
from tokenbudget.server.state import ServerState

router = APIRouter(tags=["ingest"])

RETRY_AFTER_S = 5  # the store is unreachable or overloaded: the exporter retries this export later
MAX_REASONS = 5  # errorMessage lists this many rejected spans, then a count

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
            JSON: {"schema": {"type": "object", "description": "OTLP/JSON ExportTraceServiceRequest"}},
        },
    },
    "responses": {
        "200": {
            "description": "ExportTraceServiceResponse (empty, or partialSuccess with rejectedSpans)",
            "content": {PROTOBUF: {}, JSON: {}},
        }
    },
}


def export(state: ServerState, identity: KeyIdentity, key: str, spans: list[OtelSpan]) -> tuple[int, str]:
    """Map and store the spans; (rejected span count, human-readable reasons)."""
    events: list[dict[str, Any]] = []
    labels: list[str] = []
    reasons: list[str] = []
    for span in spans:
        try:
            event = map_span(span)
        except TokenBudgetError as exc:
            reasons.append(str(exc))
            continue
        if event is not None:
            events.append(event)
            labels.append(f"span {span.name or '?'!r} ({span.span_id})")
    if events:
        result = ingest(state, identity, key, events)
        reasons += [f"{labels[r['index']]}: {r['error']}" for r in result["rejected"]]
    if not reasons:
        return 0, ""
    shown = "; ".join(reasons[:MAX_REASONS])
    more = f"; and {len(reasons) - MAX_REASONS} more" if len(reasons) > MAX_REASONS else ""
    return len(reasons), f"{len(reasons)} GenAI span(s) rejected: {shown}{more}"


@router.post(
    "/v1/traces",
    summary="OTLP/HTTP trace export: GenAI spans become costed events",
    response_class=Response,
    openapi_extra=_BODY_DOC,
)
async def post_traces(request: Request, state: State, identity: Caller) -> Response:
    media = JSON
    try:
        media = media_type(request)
        body = await read_body(request, state.settings.max_body_bytes)
        spans = await run_in_threadpool(decode, body, media)
        rejected, message = await run_in_threadpool(export, state, identity, request.state.api_key, spans)
    except HTTPException as exc:
        return _error(media, exc.status_code, str(exc.detail), exc.headers)
    except MalformedOtlp as exc:
        return _error(media, 400, str(exc))
    except OperationalError:
        return _error(
            media, 503, "the store is unavailable; retry later", {"Retry-After": str(RETRY_AFTER_S)}
        )
    return Response(encode_response(media, rejected, message), status_code=200, media_type=media)


def _error(media: str, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        encode_status(media, status, message), status_code=status, media_type=media, headers=headers
    )
