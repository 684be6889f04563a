"""OTLP/HTTP trace bodies -> `OtelSpan`s, and the responses back, in protobuf or JSON (the request's encoding).

Protobuf is decoded with `opentelemetry-proto`. JSON follows the OTLP/JSON rules: lowerCamelCase field names (the
proto names are accepted too), trace and span ids as hex strings, 64-bit integers as strings or numbers, enums
as integers, attribute values as `AnyValue` objects (`stringValue`, `intValue`, `doubleValue`, `boolValue`,
`arrayValue`, `kvlistValue`, `bytesValue`). Unknown fields are ignored, as the specification asks.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from typing import Any

from fastapi import HTTPException, Request

from tokenbudget.core.otel_mapping import OtelSpan

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


class MalformedOtlp(ValueError):
    """The body is not an ExportTraceServiceRequest in the declared encoding (-> 400)."""


def media_type(request: Request) -> str:
    """The body's encoding: protobuf (also when no Content-Type is given, OTLP/HTTP's default) or JSON; else 415."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared in ("", PROTOBUF, "application/protobuf"):
        return PROTOBUF
    if declared == JSON:
        return JSON
    raise HTTPException(415, f"unsupported Content-Type {declared!r}: use {PROTOBUF} or {JSON}")


def decode(body: bytes, media: str) -> list[OtelSpan]:
    """Every span of an ExportTraceServiceRequest; raises MalformedOtlp."""
    return list(_protobuf_spans(body) if media == PROTOBUF else _json_spans(body))


def encode_response(media: str, rejected: int = 0, message: str = "") -> bytes:
    """An ExportTraceServiceResponse: empty on full success, else partialSuccess with the rejected count."""
    if media == JSON:
        if not rejected and not message:
            return b"{}"
        partial = {"rejectedSpans": str(rejected), "errorMessage": message}
        return json.dumps({"partialSuccess": partial}).encode()
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

    response = ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    return response.SerializeToString()


def encode_status(media: str, http_status: int, message: str) -> bytes:
    """A google.rpc.Status error body (what OTLP/HTTP clients expect on a 4xx/5xx), in the request's encoding."""
    code = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}.get(http_status, 2)
    if media == JSON:
        return json.dumps({"code": code, "message": message, "detail": message}).encode()
    # Status is two scalar fields (1: int32 code, 2: string message): written by hand, no googleapis dependency.
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


# -- protobuf -------------------------------------------------------------------------------------------------


def _protobuf_spans(body: bytes) -> Iterator[OtelSpan]:
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise MalformedOtlp(
            f"malformed OTLP protobuf: {exc or 'cannot parse ExportTraceServiceRequest'}"
        ) from None
    for resource_spans in request.resource_spans:
        resource = _pb_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield OtelSpan(
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    name=span.name,
                    start_time_unix_nano=span.start_time_unix_nano,
                    end_time_unix_nano=span.end_time_unix_nano,
                    attributes=_pb_attributes(span.attributes),
                    resource_attributes=resource,
                    status_code=span.status.code,
                )


def _pb_attributes(pairs: Any) -> dict[str, Any]:
    return {kv.key: _pb_value(kv.value) for kv in pairs}


def _pb_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_pb_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _pb_attributes(value.kvlist_value.values)
    return getattr(value, kind)


# -- JSON -----------------------------------------------------------------------------------------------------


def _json_spans(body: bytes) -> Iterator[OtelSpan]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedOtlp(f"malformed OTLP JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise MalformedOtlp("malformed OTLP JSON: expected an ExportTraceServiceRequest object")
    spans: list[OtelSpan] = []
    for resource_spans in _list(data, "resourceSpans", "resource_spans"):
        resource = _json_attributes(_field(_obj(resource_spans), "resource") or {})
        for scope_spans in _list(resource_spans, "scopeSpans", "scope_spans"):
            for span in _list(scope_spans, "spans", "spans"):
                span = _obj(span)
                status = _obj(_field(span, "status") or {})
                spans.append(
                    OtelSpan(
                        trace_id=_hex_id(span, "traceId", "trace_id", 16),
                        span_id=_hex_id(span, "spanId", "span_id", 8),
                        name=str(_field(span, "name") or ""),
                        start_time_unix_nano=_int64(
                            _field(span, "startTimeUnixNano", "start_time_unix_nano")
                        ),
                        end_time_unix_nano=_int64(_field(span, "endTimeUnixNano", "end_time_unix_nano")),
                        attributes=_json_attributes(span),
                        resource_attributes=resource,
                        status_code=_status_code(_field(status, "code")),
                    )
                )
    return iter(spans)


def _field(obj: Mapping[str, Any], camel: str, snake: str | None = None) -> Any:
    value = obj.get(camel)
    if value is None and snake is not None:
        value = obj.get(snake)
    return value


def _obj(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedOtlp(f"malformed OTLP JSON: expected an object, got {type(value).__name__}")
    return value


def _list(obj: Any, camel: str, snake: str) -> list[Any]:
    value = _field(_obj(obj), camel, snake)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedOtlp(f"malformed OTLP JSON: {camel} must be an array")
    return value


def _hex_id(span: Mapping[str, Any], camel: str, snake: str, size: int) -> str:
    value = _field(span, camel, snake)
    if not isinstance(value, str):
        raise MalformedOtlp(f"malformed OTLP JSON: span {camel} is missing")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise MalformedOtlp(f"malformed OTLP JSON: {camel} {value!r} is not hex") from None
    if len(raw) != size:
        raise MalformedOtlp(f"malformed OTLP JSON: {camel} {value!r} is not {size} bytes")
    return raw.hex()


def _int64(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        raise MalformedOtlp(f"malformed OTLP JSON: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise MalformedOtlp(f"malformed OTLP JSON: expected an integer, got {value!r}")


def _status_code(value: Any) -> int:
    names = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
    if isinstance(value, str) and value in names:
        return names[value]
    return _int64(value)


def _json_attributes(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in _list(obj, "attributes", "attributes"):
        kv = _obj(kv)
        key = kv.get("key")
        if not isinstance(key, str):
            raise MalformedOtlp("malformed OTLP JSON: an attribute has no key")
        out[key] = _json_value(kv.get("value"))
    return out


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    value = _obj(value)
    if "stringValue" in value or "string_value" in value:
        return str(_field(value, "stringValue", "string_value"))
    if "intValue" in value or "int_value" in value:
        return _int64(_field(value, "intValue", "int_value"))
    if "doubleValue" in value or "double_value" in value:
        number = _field(value, "doubleValue", "double_value")
        try:
            return float(number)
        except (TypeError, ValueError):
            raise MalformedOtlp(f"malformed OTLP JSON: doubleValue {number!r} is not a number") from None
    if "boolValue" in value or "bool_value" in value:
        return _field(value, "boolValue", "bool_value") is True
    if "arrayValue" in value or "array_value" in value:
        array = _obj(_field(value, "arrayValue", "array_value"))
        return [_json_value(v) for v in _list(array, "values", "values")]
    if "kvlistValue" in value or "kvlist_value" in value:
        kvlist = _obj(_field(value, "kvlistValue", "kvlist_value"))
        return {
            str(_obj(kv).get("key")): _json_value(_obj(kv).get("value"))
            for kv in _list(kvlist, "values", "values")
        }
    if "bytesValue" in value or "bytes_value" in value:
        try:
            return base64.b64decode(str(_field(value, "bytesValue", "bytes_value")), validate=True)
        except (binascii.Error, ValueError):
            raise MalformedOtlp("malformed OTLP JSON: bytesValue is not base64") from None
    return None
