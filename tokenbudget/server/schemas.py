"""Request and response models: what /openapi.json documents. Money is a decimal string, as in `tb report`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EventIn(BaseModel):
    """One call in the canonical import shape (docs/import-format.md). Validated by core.events.parse_event."""

    model_config = ConfigDict(extra="forbid")

    model: str
    event_id: str | None = None
    occurred_at: str | None = Field(None, description="ISO 8601; default: when the server received it")
    provider: str | None = None
    project: str | None = Field(None, description="defaults to the key's project; must be one the key sees")
    feature: str | None = None
    user_id: str | None = None
    env: str | None = None
    tags: dict[str, str] | None = None
    latency_ms: int | None = None
    status: str | None = Field(None, description="ok | error")
    request_id: str | None = None
    service_tier: str | None = Field(None, description="standard | batch | flex | priority")
    cost_usd: str | None = Field(
        None, description="kept (as client_reported) only when the server cannot price"
    )
    input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None
    cache_write_1h_input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None


class EventBatchIn(BaseModel):
    events: list[EventIn]


class Rejected(BaseModel):
    index: int
    error: str


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejected]


class PeriodOut(BaseModel):
    label: str
    start: str
    end: str


class TotalsOut(BaseModel):
    cost_usd: str
    requests: int
    input_tokens: int
    cache_read_input_tokens: int
    cache_write_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    avg_cost_per_request: str
    unpriced_requests: int
    error_requests: int
    client_reported_requests: int


class PreviousOut(BaseModel):
    start: str
    end: str
    cost_usd: str
    requests: int


class ChangeOut(BaseModel):
    cost_pct: str | None


class RowOut(BaseModel):
    key: str
    cost_usd: str
    requests: int
    input_tokens: int
    cache_read_input_tokens: int
    cache_write_input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    unpriced_requests: int


class BreakdownOut(BaseModel):
    by: str
    rows: list[RowOut]


class DailyOut(BaseModel):
    date: str
    cost_usd: str


class SummaryOut(BaseModel):
    period: PeriodOut
    filters: dict[str, str]
    totals: TotalsOut
    previous: PreviousOut
    change: ChangeOut


class ReportOut(SummaryOut):
    """Exactly `tb report --format json`."""

    breakdown: BreakdownOut
    daily: list[DailyOut]


class BreakdownResponse(BaseModel):
    period: PeriodOut
    filters: dict[str, str]
    breakdown: BreakdownOut


class TimeseriesOut(BaseModel):
    period: PeriodOut
    filters: dict[str, str]
    granularity: str
    rows: list[RowOut] = Field(description="one row per bucket that has calls, in time order")


class ProjectOut(BaseModel):
    id: int
    name: str
    owner: str | None
    team: str | None
    description: str | None
    created_at: str


class ProjectList(BaseModel):
    projects: list[ProjectOut]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str | None = None


class ProjectPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    description: str | None = None


class Deleted(BaseModel):
    deleted: str
    events_deleted: int


class KeyOut(BaseModel):
    id: int
    prefix: str
    name: str | None
    user: str
    team: str | None
    project: str | None
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class KeyList(BaseModel):
    keys: list[KeyOut]


class WaitlistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str
    source: str | None = None


class WaitlistOut(BaseModel):
    email: str
    already_listed: bool


class WaitlistEntry(BaseModel):
    email: str
    source: str | None
    created_at: str


class WaitlistList(BaseModel):
    entries: list[WaitlistEntry]


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    revision: str | None
    head_revision: str
    # "ok" or "unreachable" (the server keeps serving: per-process rate limits, no analytics cache);
    # null without TOKENBUDGET_REDIS_URL.
    redis: str | None = None
