"""Events: one LLM call as reported by a source (`EventInput`) and as priced and stored (`Event`).

`parse_event` turns a loose mapping (an import line, a REST payload) into an `EventInput` with one clear error
per problem; `price_event` prices it with a price book. Money is `Decimal`, never float.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from tokenbudget.core.errors import InvalidEventError, InvalidUsageError
from tokenbudget.core.usage import TOKEN_FIELDS, Usage

if TYPE_CHECKING:
    from tokenbudget.core.pricing import PriceBook

CostStatus = Literal["priced", "unpriced", "client_reported"]
COST_STATUSES: tuple[str, ...] = ("priced", "unpriced", "client_reported")
CallStatus = Literal["ok", "error"]

# Fields an import line or API payload may carry (besides the token counts of TOKEN_FIELDS).
EVENT_FIELDS: tuple[str, ...] = (
    "event_id",
    "occurred_at",
    "provider",
    "model",
    "project",
    "feature",
    "user_id",
    "env",
    "tags",
    "latency_ms",
    "status",
    "request_id",
    "service_tier",
    "cost_usd",
    *TOKEN_FIELDS,
)
MAX_TEXT = 200  # longest tag / name we keep; longer values are a client bug, not data
MAX_ID = 64  # event_id and provider are stored in columns this wide (schema.py uses these constants)


# EventInput and Event are built once per ingested call (millions a day), so they are plain slotted dataclasses:
# frozen ones pay an object.__setattr__ call per field, which was a tenth of the server's ingest time.
# Treat them as values all the same: nothing in the code base mutates one after it is built.
@dataclass(slots=True)
class EventInput:
    """A call as a source reported it, validated but not yet priced."""

    model: str
    usage: Usage
    occurred_at: datetime
    event_id: str | None = None
    provider: str | None = None
    project: str | None = None
    feature: str | None = None
    user_id: str | None = None
    env: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    latency_ms: int | None = None
    status: CallStatus = "ok"
    request_id: str | None = None
    # A cost the client computed itself; kept (as client-reported) only when we cannot price the model.
    client_cost_usd: Decimal | None = None


@dataclass(slots=True)
class Event:
    """A priced call, ready for the store. `cost_usd` is None exactly when `cost_status` is 'unpriced'."""

    event_id: str
    occurred_at: datetime
    project: str
    model: str
    usage: Usage
    cost_status: CostStatus
    cost_usd: Decimal | None = None
    price_key: str | None = None
    price_version: str | None = None
    provider: str | None = None
    feature: str | None = None
    user_id: str | None = None
    env: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    latency_ms: int | None = None
    status: CallStatus = "ok"
    request_id: str | None = None


def new_event_id() -> str:
    return uuid.uuid4().hex


def utc(dt: datetime) -> datetime:
    """An aware UTC datetime; naive input is taken as UTC."""
    if dt.tzinfo is timezone.utc:
        return dt
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


_FIELD_SET = frozenset(EVENT_FIELDS)
# Fields stored in columns narrower than MAX_TEXT: refused here, one event at a time, rather than failing the
# database insert of a whole batch. (service_tier is checked against its few values by Usage.)
_TEXT_LIMITS: Mapping[str, int] = {"event_id": MAX_ID, "provider": MAX_ID}


def _missing(value: Any) -> bool:
    return value is None or value == ""


def parse_event(data: Mapping[str, Any], *, now: datetime | None = None) -> EventInput:
    """Validate one loose mapping (JSON object or CSV row) into an `EventInput`.

    Only `model` and the token counts the call has are required. Empty strings count as missing (CSV).
    Without an `event_id`, one is derived from the content so that importing the same line twice stores it once.
    This is the ingest hot path (every REST, import and OTLP event): one pass, no intermediate copies.
    """
    if not isinstance(data, Mapping):
        raise InvalidEventError(f"expected an object, got {type(data).__name__}")
    if not data.keys() <= _FIELD_SET:
        unknown = sorted(k for k, v in data.items() if k not in _FIELD_SET and not _missing(v))
        if unknown:
            raise InvalidEventError(f"unknown field(s): {', '.join(unknown)}")
    get = data.get
    model = _text(get("model"), "model")
    if not model:
        raise InvalidEventError("model is required")
    counts = {}
    for name in TOKEN_FIELDS:
        value = get(name)
        if not _missing(value):
            counts[name] = _count(value, name)
    try:
        usage = Usage(**counts, service_tier=_text(get("service_tier"), "service_tier") or "standard")
    except InvalidUsageError as exc:
        raise InvalidEventError(str(exc)) from exc
    status = _text(get("status"), "status") or "ok"
    if status not in ("ok", "error"):
        raise InvalidEventError(f"status must be 'ok' or 'error', got {status!r}")
    raw_time = get("occurred_at")
    occurred_at = None if _missing(raw_time) else _timestamp(raw_time)
    latency = get("latency_ms")
    cost = get("cost_usd")
    provider = _text(get("provider"), "provider")
    inp = EventInput(
        model=model,
        usage=usage,
        occurred_at=occurred_at or utc(now or datetime.now(timezone.utc)),
        event_id=_text(get("event_id"), "event_id"),
        provider=provider.lower() if provider else None,
        project=_text(get("project"), "project"),
        feature=_text(get("feature"), "feature"),
        user_id=_text(get("user_id"), "user_id"),
        env=_text(get("env"), "env"),
        tags=_tags(get("tags")),
        latency_ms=None if _missing(latency) else _count(latency, "latency_ms"),
        status=status,  # type: ignore[arg-type]
        request_id=_text(get("request_id"), "request_id"),
        client_cost_usd=None if _missing(cost) else _decimal(cost, "cost_usd"),
    )
    if inp.event_id is None:
        if occurred_at is None:
            # No id and no time: the content alone cannot tell two calls apart, so each parse is a new call.
            return _replace_id(inp, new_event_id())
        return _replace_id(inp, content_event_id({k: v for k, v in data.items() if not _missing(v)}))
    return inp


def content_event_id(values: Mapping[str, Any]) -> str:
    """A stable id from an event's content, so a re-import of the same line is recognised as a duplicate."""
    canonical = json.dumps({k: str(v) for k, v in values.items()}, sort_keys=True, separators=(",", ":"))
    return "c_" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def price_event(inp: EventInput, book: PriceBook, *, default_project: str = "default") -> Event:
    """Price an input with `book`. Unknown models are kept as unpriced (or client-reported), never as $0."""
    breakdown = book.try_cost(inp.model, inp.usage, provider=inp.provider)
    if breakdown is not None:
        cost, status, key, version = breakdown.total, "priced", breakdown.model_key, breakdown.price_version
    elif inp.client_cost_usd is not None:
        cost, status, key, version = inp.client_cost_usd, "client_reported", None, None
    else:
        cost, status, key, version = None, "unpriced", None, None
    return Event(
        event_id=inp.event_id or new_event_id(),
        occurred_at=utc(inp.occurred_at),
        project=inp.project or default_project,
        model=inp.model,
        usage=inp.usage,
        cost_status=status,  # type: ignore[arg-type]
        cost_usd=cost,
        price_key=key,
        price_version=version,
        provider=inp.provider or (breakdown.provider if breakdown is not None else None),
        feature=inp.feature,
        user_id=inp.user_id,
        env=inp.env,
        tags=inp.tags if type(inp.tags) is dict else dict(inp.tags),  # parse_event's own dict: no copy
        latency_ms=inp.latency_ms,
        status=inp.status,
        request_id=inp.request_id,
    )


def _replace_id(inp: EventInput, event_id: str) -> EventInput:
    from dataclasses import replace

    return replace(inp, event_id=event_id)


def _text(value: Any, name: str) -> str | None:
    """A stripped text value, or None when missing or blank."""
    if value is None:
        return None
    if type(value) is not str:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise InvalidEventError(f"{name} must be a string, got {type(value).__name__}")
        value = str(value)
    text = value.strip()
    limit = _TEXT_LIMITS.get(name, MAX_TEXT)
    if len(text) > limit:
        raise InvalidEventError(f"{name} is longer than {limit} characters")
    return text or None


def _count(value: Any, name: str) -> int:
    if type(value) is int:  # the common case, in one check (bool is refused below)
        number = value
    elif isinstance(value, bool):
        raise InvalidEventError(f"{name} must be a whole number, got {value!r}")
    elif isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        raise InvalidEventError(f"{name} must be a whole number, got {value!r}")
    if number < 0:
        raise InvalidEventError(f"{name} must not be negative, got {number}")
    return number


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise InvalidEventError(f"{name} must be a number, got {value!r}")
    try:
        # str() first: a JSON float like 0.1 becomes Decimal('0.1'), not its binary approximation.
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidEventError(f"{name} must be a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise InvalidEventError(f"{name} must be a finite, non-negative number, got {value!r}")
    return number


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    if not isinstance(value, str):
        raise InvalidEventError(f"occurred_at must be an ISO 8601 string, got {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        raise InvalidEventError(f"occurred_at is not an ISO 8601 timestamp: {value!r}") from None


def _tags(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise InvalidEventError("tags must be a JSON object of strings") from None
    if not isinstance(value, Mapping):
        raise InvalidEventError("tags must be an object of string values")
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            raise InvalidEventError(f"tag {key!r} must be a string, number or boolean")
        text = str(item)
        if len(str(key)) > MAX_TEXT or len(text) > MAX_TEXT:
            raise InvalidEventError(f"tag {key!r} is longer than {MAX_TEXT} characters")
        out[str(key)] = text
    return out
