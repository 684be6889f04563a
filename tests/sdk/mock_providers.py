"""Realistic OpenAI and Anthropic API payloads served by an httpx2/httpx MockTransport handler (no network).

The handlers behave like the real APIs where it matters to us: chat streams carry a usage chunk only when
`stream_options.include_usage` is set, Anthropic streams report cumulative usage in `message_delta`, and a model
named `fail-<status>` answers with that HTTP error.
"""

from __future__ import annotations

import json
from typing import Any

MODEL_CHAT = "gpt-4o-2024-08-06"
MODEL_REASONING = "o3-mini-2025-01-31"
MODEL_CLAUDE = "claude-sonnet-4-5-20250929"

CHAT_USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 128, "audio_tokens": 0},
}
RESPONSES_USAGE = {
    "input_tokens": 2000,
    "input_tokens_details": {"cached_tokens": 1500},
    "output_tokens": 700,
    "output_tokens_details": {"reasoning_tokens": 500},
    "total_tokens": 2700,
}
CLAUDE_USAGE = {
    "input_tokens": 50,
    "cache_read_input_tokens": 4000,
    "cache_creation_input_tokens": 1000,
    "cache_creation": {"ephemeral_5m_input_tokens": 400, "ephemeral_1h_input_tokens": 600},
    "output_tokens": 1,
    "service_tier": "standard",
}


def sse(events: list[tuple[str | None, dict[str, Any] | str]]) -> bytes:
    out = []
    for event, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {event}\n" if event else "") + f"data: {text}\n\n")
    return "".join(out).encode()


def _error(status: int, kind: str) -> tuple[int, dict[str, str], Any]:
    headers = {"x-request-id": "req_err", "request-id": "req_err"}
    if status == 429:
        headers["retry-after"] = "0"
    return status, headers, {"error": {"message": f"mock {status}", "type": kind}, "type": "error"}


def chat_completion(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1764000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": '{"answer": "42"}', "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": CHAT_USAGE,
        "service_tier": "default",
        "system_fingerprint": "fp_1",
    }


def chat_chunks(model: str, include_usage: bool) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1764000000, "model": model}
    extra = {"usage": None} if include_usage else {}
    chunks = [
        {**base, **extra, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        *(
            {**base, **extra, "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}
            for word in ("The ", "answer ", "is ", "42.")
        ),
        {**base, **extra, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    if include_usage:
        chunks.append({**base, "choices": [], "usage": CHAT_USAGE})
    return chunks


def response_object(model: str, status: str = "completed") -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1764000000,
        "model": model,
        "status": status,
        "output": [
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": '{"answer": "42"}', "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": RESPONSES_USAGE if status == "completed" else None,
        "service_tier": "flex",
    }


def response_events(model: str) -> list[tuple[str | None, dict[str, Any]]]:
    created = {**response_object(model, "in_progress"), "output": []}
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    return [
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": created}),
        (
            "response.output_item.added",
            {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": item},
        ),
        (
            "response.content_part.added",
            {"type": "response.content_part.added", "sequence_number": 1, **where, "part": part},
        ),
        (
            "response.output_text.delta",
            {
                "type": "response.output_text.delta",
                "sequence_number": 1,
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": '{"answer": "42"}',
                "logprobs": [],
            },
        ),
        (
            "response.completed",
            {"type": "response.completed", "sequence_number": 2, "response": response_object(model)},
        ),
    ]


def openai_reply(method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON object or SSE bytes) for one OpenAI request."""
    model = body.get("model", "")
    if model.startswith("fail-"):
        status = int(model.split("-")[1])
        return _error(status, "rate_limit_error" if status == 429 else "server_error")
    headers = {"x-request-id": "req_openai_1"}
    stream_headers = {**headers, "content-type": "text/event-stream"}
    if path.endswith("/chat/completions"):
        reply_model = MODEL_REASONING if model.startswith("o3") else MODEL_CHAT
        if body.get("stream"):
            include = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = chat_chunks(reply_model, include)
            return 200, stream_headers, sse([(None, c) for c in chunks] + [(None, "[DONE]")])
        return 200, headers, chat_completion(reply_model)
    if path.endswith("/responses"):
        reply_model = MODEL_REASONING if model.startswith("o3") else MODEL_CHAT
        if body.get("stream"):
            return 200, stream_headers, sse(response_events(reply_model))
        return 200, headers, response_object(reply_model)
    if path.endswith("/embeddings"):
        return (
            200,
            headers,
            {
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 812, "total_tokens": 812},
            },
        )
    return 404, headers, {"error": {"message": "unknown path", "type": "invalid_request_error"}}


def claude_message(model: str, text: str = '{"answer": "42"}') -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {**CLAUDE_USAGE, "output_tokens": 250, "output_tokens_details": {"thinking_tokens": 90}},
    }


def claude_events(model: str, *, stop: bool = True) -> list[tuple[str | None, dict[str, Any]]]:
    start = {**claude_message(model), "content": [], "stop_reason": None, "usage": dict(CLAUDE_USAGE)}
    events: list[tuple[str | None, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        ("ping", {"type": "ping"}),
    ]
    for word in ("The ", "answer ", "is 42."):
        events.append(
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": word}},
            )
        )
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    # Cumulative: the first delta says 100 output tokens so far, the second the final 250.
    for output in (100, 250):
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {
                        "output_tokens": output,
                        "input_tokens": 50,
                        "cache_read_input_tokens": 4000,
                        "cache_creation_input_tokens": 1000,
                    },
                },
            )
        )
    if stop:
        events.append(("message_stop", {"type": "message_stop"}))
    return events


def anthropic_reply(method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    model = body.get("model", "")
    if model.startswith("fail-"):
        status = int(model.split("-")[1])
        return _error(status, "overloaded_error" if status >= 500 else "rate_limit_error")
    headers = {"request-id": "req_anthropic_1"}
    if path.endswith("/v1/messages"):
        if body.get("stream"):
            return 200, {**headers, "content-type": "text/event-stream"}, sse(claude_events(MODEL_CLAUDE))
        return 200, headers, claude_message(MODEL_CLAUDE)
    return 404, headers, {"type": "error", "error": {"type": "not_found_error", "message": "unknown"}}


def make_transport(httpx_module: Any, reply: Any, seen: list[dict[str, Any]] | None = None) -> Any:
    """A MockTransport of `httpx_module` (httpx2 or httpx) answering with `reply`; request bodies go to `seen`."""

    def handler(request: Any) -> Any:
        body = json.loads(request.content or b"{}")
        if seen is not None:
            seen.append(body)
        status, headers, payload = reply(request.method, request.url.path, body)
        if isinstance(payload, bytes):
            return httpx_module.Response(status, headers=headers, content=payload)
        return httpx_module.Response(status, headers=headers, json=payload)

    return httpx_module.MockTransport(handler)
