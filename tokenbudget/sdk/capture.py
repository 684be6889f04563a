"""Instrument one provider client instance by wrapping its `post` method, the single door every API call of the
OpenAI and Anthropic SDKs (both Stainless-generated) goes through.

Only the instance is touched: `client.post` and the `_post` its already-built resources hold. Results are handed
back unchanged: responses as they are, raw responses with their `parse`, streams with their own class and
interface (only the stream's private iterator is replaced by one that watches the items go by).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from tokenbudget.sdk.log import warn_once
from tokenbudget.sdk.recorder import build_item, emit

MARK = "_tokenbudget_wrapped"
RAW_HEADER = "X-Stainless-Raw-Response"


@dataclass
class CallInfo:
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    request_id: str | None = None
    service_tier: str | None = None


class StreamObserver(Protocol):
    complete: bool

    def observe(self, item: Any) -> bool:
        """Look at one stream item; False hides it from the caller (an item only the SDK asked for)."""

    def info(self) -> CallInfo: ...


class Adapter(Protocol):
    provider: str

    def wants(self, path: str) -> bool: ...

    def prepare(self, path: str, body: Any) -> tuple[Any, bool]:
        """(body to send, whether the stream's extra usage item must be hidden)."""

    def from_response(self, response: Any) -> CallInfo: ...

    def observer(self, path: str, hide_usage: bool) -> StreamObserver: ...


def request_id_from(headers: Any) -> str | None:
    try:
        return headers.get("x-request-id") or headers.get("request-id")
    except Exception:
        return None


class Call:
    """One intercepted API call: what was asked, when, under which tags."""

    __slots__ = ("adapter", "body_model", "done", "hide_usage", "path", "started", "tags_item")

    def __init__(self, adapter: Adapter, path: str, kwargs: dict[str, Any]) -> None:
        self.adapter = adapter
        self.path = path
        self.started = time.perf_counter()
        self.done = False
        body = kwargs.get("body")
        self.body_model = body.get("model") if isinstance(body, dict) else None
        new_body, self.hide_usage = adapter.prepare(path, body)
        if new_body is not body:
            kwargs["body"] = new_body
        # Tags are read now: a stream may be consumed later, outside the caller's `tags()` scope.
        self.tags_item = build_item("", None, None)

    def _emit(self, info: CallInfo, *, status: str = "ok", extra_tags: dict[str, str] | None = None) -> None:
        if self.done:
            return
        self.done = True
        item = self.tags_item
        item["model"] = info.model or self.body_model or "unknown"
        item["provider"] = self.adapter.provider
        item["latency_ms"] = int((time.perf_counter() - self.started) * 1000)
        for key, value in info.usage.items():
            if value:
                item[key] = value
        if status != "ok":
            item["status"] = status
        if info.request_id:
            item["request_id"] = info.request_id
        if info.service_tier:
            item["service_tier"] = info.service_tier
        if extra_tags:
            item["tags"] = {**item.get("tags", {}), **extra_tags}
        emit(item)

    def failed(self, exc: BaseException) -> None:
        try:
            extra = {"error": type(exc).__name__}
            status_code = getattr(exc, "status_code", None)
            if status_code is not None:
                extra["http_status"] = str(status_code)
            response = getattr(exc, "response", None)
            request_id = getattr(exc, "request_id", None) or (
                request_id_from(response.headers) if response is not None else None
            )
            self._emit(CallInfo(request_id=request_id), status="error", extra_tags=extra)
        except Exception:
            warn_once("capture-error", "tokenbudget: recording a failed call failed", exc_info=True)

    def response(self, result: Any) -> None:
        try:
            self._emit(self.adapter.from_response(result))
        except Exception:
            warn_once("capture-response", "tokenbudget: reading usage from a response failed", exc_info=True)

    def stream_ended(self, observer: StreamObserver, headers: Any, error: BaseException | None) -> None:
        try:
            info = observer.info()
            info.request_id = info.request_id or request_id_from(headers)
            extra: dict[str, str] | None = None
            status = "ok"
            if error is not None:
                status = "error"
                extra = {"error": type(error).__name__, "stream": "incomplete"}
            elif not observer.complete:
                extra = {"stream": "incomplete"}
            self._emit(info, status=status, extra_tags=extra)
        except Exception:
            warn_once("capture-stream", "tokenbudget: recording a stream failed", exc_info=True)


# -- streams ---------------------------------------------------------------------------------------------------
def _is_stream(obj: Any) -> bool:
    return hasattr(type(obj), "__stream__") and hasattr(obj, "response")


def _shown(observer: StreamObserver, item: Any) -> bool:
    """Feed one item to the observer; whether the caller sees it (an observer failure never hides an item)."""
    try:
        return observer.observe(item)
    except Exception:
        warn_once("observe", "tokenbudget: reading a stream item failed", exc_info=True)
        return True


def _watch_sync(source: Iterator[Any], observer: StreamObserver, call: Call, headers: Any) -> Iterator[Any]:
    try:
        for item in source:
            if _shown(observer, item):
                yield item
    except GeneratorExit:
        call.stream_ended(observer, headers, None)
        raise
    except BaseException as exc:
        call.stream_ended(observer, headers, exc)
        raise
    call.stream_ended(observer, headers, None)


async def _watch_async(
    source: AsyncIterator[Any], observer: StreamObserver, call: Call, headers: Any
) -> AsyncIterator[Any]:
    try:
        async for item in source:
            if _shown(observer, item):
                yield item
    except GeneratorExit:
        call.stream_ended(observer, headers, None)
        raise
    except BaseException as exc:
        call.stream_ended(observer, headers, exc)
        raise
    call.stream_ended(observer, headers, None)


def hook_stream(stream: Any, call: Call) -> Any:
    if stream.__dict__.get(MARK):
        return stream
    observer = call.adapter.observer(call.path, call.hide_usage)
    headers = getattr(stream.response, "headers", None)
    source = stream._iterator  # Anthropic builds it lazily (cached_property): this creates it
    if hasattr(source, "__anext__"):
        stream.__dict__["_iterator"] = _watch_async(source, observer, call, headers)
        original_aclose = stream.close

        async def aclose() -> None:
            try:
                await original_aclose()
            finally:
                call.stream_ended(observer, headers, None)

        stream.__dict__["close"] = aclose
    else:
        stream.__dict__["_iterator"] = _watch_sync(source, observer, call, headers)
        original_close = stream.close

        def close() -> None:
            try:
                original_close()
            finally:
                call.stream_ended(observer, headers, None)

        stream.__dict__["close"] = close
    stream.__dict__[MARK] = True
    return stream


# -- results ---------------------------------------------------------------------------------------------------
def _raw_mode(kwargs: dict[str, Any]) -> str | None:
    options = kwargs.get("options") or {}
    headers = options.get("headers") if isinstance(options, dict) else None
    if not headers:
        return None
    value = headers.get(RAW_HEADER)
    return value if isinstance(value, str) else None


def _is_raw_response(obj: Any) -> bool:
    return callable(getattr(obj, "parse", None)) and hasattr(obj, "http_response")


def _handle_parsed(parsed: Any, call: Call) -> Any:
    if _is_stream(parsed):
        return hook_stream(parsed, call)
    call.response(parsed)
    return parsed


def _patch_parse(raw: Any, call: Call, *, streamed: bool) -> None:
    """Record when the caller gets the body: through parse(), or, for a response that is one JSON document
    (not an SSE stream), through read()/json()/text() as `with_streaming_response` users often do."""
    original = raw.parse
    readers = {} if streamed else {name: getattr(raw, name, None) for name in _BODY_READERS}
    # parse() itself calls read(): while it runs, the readers must not record (nor parse again).
    parsing = [False]
    if inspect.iscoroutinefunction(original):

        async def parse_async(*args: Any, **kwargs: Any) -> Any:
            parsing[0] = True
            try:
                parsed = await original(*args, **kwargs)
            finally:
                parsing[0] = False
            return _handle_parsed(parsed, call) if not kwargs.get("to") else parsed

        raw.__dict__["parse"] = parse_async
        for name, reader in readers.items():
            if inspect.iscoroutinefunction(reader):
                raw.__dict__[name] = _async_reader(reader, parse_async, call, parsing)
    else:

        def parse(*args: Any, **kwargs: Any) -> Any:
            parsing[0] = True
            try:
                parsed = original(*args, **kwargs)
            finally:
                parsing[0] = False
            return _handle_parsed(parsed, call) if not kwargs.get("to") else parsed

        raw.__dict__["parse"] = parse
        for name, reader in readers.items():
            if callable(reader) and not inspect.iscoroutinefunction(reader):
                raw.__dict__[name] = _sync_reader(reader, parse, call, parsing)


# The ways an APIResponse hands out a whole body besides parse() (openai and anthropic alike).
_BODY_READERS = ("read", "json", "text")


def _sync_reader(
    reader: Callable[..., Any], parse: Callable[..., Any], call: Call, parsing: list[bool]
) -> Callable[..., Any]:
    def read_and_record(*args: Any, **kwargs: Any) -> Any:
        body = reader(*args, **kwargs)
        if not call.done and not parsing[0]:
            try:
                parse()  # records (the body is read now; parse() reuses it and caches what it returns)
            except Exception:
                warn_once(
                    "capture-body", "tokenbudget: reading usage from a response body failed", exc_info=True
                )
        return body

    return read_and_record


def _async_reader(
    reader: Callable[..., Any], parse: Callable[..., Any], call: Call, parsing: list[bool]
) -> Callable[..., Any]:
    async def read_and_record(*args: Any, **kwargs: Any) -> Any:
        body = await reader(*args, **kwargs)
        if not call.done and not parsing[0]:
            try:
                await parse()
            except Exception:
                warn_once(
                    "capture-body", "tokenbudget: reading usage from a response body failed", exc_info=True
                )
        return body

    return read_and_record


def finish_sync(result: Any, call: Call, kwargs: dict[str, Any]) -> Any:
    try:
        if _is_stream(result):
            return hook_stream(result, call)
        if _is_raw_response(result):
            mode = _raw_mode(kwargs)
            if (
                mode in ("true", "raw")
                and not kwargs.get("stream")
                and not inspect.iscoroutinefunction(result.parse)
            ):
                call.response(result.parse())  # the body is already read; parse() caches what it returns
            else:
                _patch_parse(result, call, streamed=bool(kwargs.get("stream")))
            return result
        call.response(result)
    except Exception:
        warn_once("capture-result", "tokenbudget: recording a call failed", exc_info=True)
    return result


async def finish_async(result: Any, call: Call, kwargs: dict[str, Any]) -> Any:
    try:
        if _is_raw_response(result) and inspect.iscoroutinefunction(result.parse):
            if _raw_mode(kwargs) == "raw" and not kwargs.get("stream"):
                call.response(await result.parse())
            else:
                _patch_parse(result, call, streamed=bool(kwargs.get("stream")))
            return result
    except Exception:
        warn_once("capture-result", "tokenbudget: recording a call failed", exc_info=True)
        return result
    return finish_sync(result, call, kwargs)


# -- instrumenting a client -------------------------------------------------------------------------------------
def _start(adapter: Adapter, path: Any, kwargs: dict[str, Any]) -> Call | None:
    if not isinstance(path, str) or not adapter.wants(path):
        return None
    try:
        return Call(adapter, path, kwargs)
    except Exception:
        warn_once("capture-start", "tokenbudget: preparing to record a call failed", exc_info=True)
        return None


def instrument(client: Any, adapter: Adapter) -> Any:
    if client.__dict__.get(MARK):
        return client
    original = client.post

    if inspect.iscoroutinefunction(original):

        async def post(path: Any, *args: Any, **kwargs: Any) -> Any:
            call = _start(adapter, path, kwargs)
            if call is None:
                return await original(path, *args, **kwargs)
            try:
                result = await original(path, *args, **kwargs)
            except Exception as exc:
                call.failed(exc)
                raise
            return await finish_async(result, call, kwargs)

    else:

        def post(path: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            call = _start(adapter, path, kwargs)
            if call is None:
                return original(path, *args, **kwargs)
            try:
                result = original(path, *args, **kwargs)
            except Exception as exc:
                call.failed(exc)
                raise
            return finish_sync(result, call, kwargs)

    client.__dict__["post"] = post
    _rebind_resources(client, original, post, set())
    _wrap_copies(client, adapter)
    client.__dict__[MARK] = True
    return client


def _rebind_resources(obj: Any, original: Any, post: Callable[..., Any], seen: set[int]) -> None:
    """Resources built before wrap() hold the unwrapped bound `post` as `_post`."""
    for value in list(vars(obj).values()):
        if id(value) in seen or not hasattr(value, "__dict__") or isinstance(value, type):
            continue
        seen.add(id(value))
        module = type(value).__module__ or ""
        if not module.startswith(("openai", "anthropic")):
            continue
        if value.__dict__.get("_post") == original:
            value.__dict__["_post"] = post
        _rebind_resources(value, original, post, seen)


def _wrap_copies(client: Any, adapter: Adapter) -> None:
    """`client.with_options(...)` / `client.copy(...)` return a new client: wrap it too."""
    for name in ("copy", "with_options"):
        original = getattr(client, name, None)
        if original is None or not callable(original):
            continue

        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            def copy(*args: Any, **kwargs: Any) -> Any:
                new = original(*args, **kwargs)
                try:
                    instrument(new, adapter)
                except Exception:
                    warn_once("wrap-copy", "tokenbudget: wrapping a client copy failed", exc_info=True)
                return new

            return copy

        client.__dict__[name] = make(original)
