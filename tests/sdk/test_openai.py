"""The real `openai` SDK over a mock transport: what wrapped clients record, and that callers see no difference."""

from __future__ import annotations

import asyncio
import gc
import json
from decimal import Decimal

import openai
import pydantic
import pytest

import tokenbudget
from tests.sdk import mock_providers as mp
from tokenbudget.core.pricing import load_bundled_book
from tokenbudget.core.usage import Usage

MESSAGES = [{"role": "user", "content": "What is the answer?"}]
CHAT_CANONICAL = Usage(
    input_tokens=1200, cache_read_input_tokens=1024, output_tokens=300, reasoning_tokens=128
)


def expected_cost(model: str, usage: Usage, provider: str = "openai") -> Decimal:
    return load_bundled_book().cost(model, usage, provider=provider).total


def dumps(items):
    return [item.model_dump() for item in items]


def test_chat_create_records_exact_usage_and_cost(recorded, make_openai):
    plain, wrapped = make_openai(), tokenbudget.wrap(make_openai())
    with tokenbudget.tags(feature="search", user_id="u_42", env="prod", team="core"):
        result = wrapped.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert result == plain.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert type(result) is openai.types.chat.ChatCompletion
    [event] = recorded()
    assert event.model == mp.MODEL_CHAT  # the response's model, not the request's alias
    assert event.provider == "openai"
    assert event.usage == CHAT_CANONICAL
    assert event.cost_status == "priced"
    assert event.cost_usd == expected_cost(mp.MODEL_CHAT, CHAT_CANONICAL)
    assert (event.feature, event.user_id, event.env, dict(event.tags)) == (
        "search",
        "u_42",
        "prod",
        {"team": "core"},
    )
    assert event.status == "ok"
    assert event.request_id == "req_openai_1"
    assert event.latency_ms is not None and event.latency_ms >= 0


def test_wrap_returns_the_same_object_is_idempotent_and_touches_only_that_instance(recorded, make_openai):
    client = make_openai()
    client.chat.completions  # a resource built before wrap() must be rebound too  # noqa: B018
    assert tokenbudget.wrap(client) is client
    assert tokenbudget.wrap(client) is client
    other = make_openai()
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    other.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    client.with_options(timeout=5).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert len(recorded()) == 2  # once per wrapped call, never for the unwrapped instance


def test_chat_stream_requests_usage_and_hides_the_extra_chunk(recorded, make_openai):
    seen = []
    plain, wrapped = make_openai(), tokenbudget.wrap(make_openai(seen=seen))
    chunks = list(wrapped.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    expected = list(plain.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))
    assert dumps(chunks) == dumps(expected)
    assert all(chunk.choices for chunk in chunks)  # no usage-only chunk leaked to the caller
    assert seen[0]["stream_options"] == {"include_usage": True}
    [event] = recorded()
    assert event.usage == CHAT_CANONICAL
    assert event.request_id == "req_openai_1"
    assert "stream" not in event.tags


def test_chat_stream_with_usage_asked_by_the_caller_keeps_the_usage_chunk(recorded, make_openai):
    options = {"include_usage": True}
    plain, wrapped = make_openai(), tokenbudget.wrap(make_openai())
    chunks = list(
        wrapped.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options=options
        )
    )
    expected = list(
        plain.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True, stream_options=options)
    )
    assert dumps(chunks) == dumps(expected)
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    assert options == {"include_usage": True}
    [event] = recorded()
    assert event.usage == CHAT_CANONICAL


def test_chat_stream_manual_next_and_context_manager(recorded, make_openai):
    client = tokenbudget.wrap(make_openai())
    with client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True) as stream:
        assert isinstance(stream, openai.Stream)
        first = next(stream)
        rest = list(stream)
    assert first.choices[0].delta.role == "assistant" and len(rest) == 5
    assert recorded()[0].usage == CHAT_CANONICAL


def test_chat_stream_helper_and_final_completion(recorded, make_openai):
    plain, wrapped = make_openai(), tokenbudget.wrap(make_openai())
    with wrapped.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_completion()
    with plain.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
        assert events == [event.type for event in stream]
        assert final == stream.get_final_completion()
    [event] = recorded()
    assert event.usage == CHAT_CANONICAL


def test_abandoned_stream_is_recorded_as_incomplete(recorded, make_openai):
    client = tokenbudget.wrap(make_openai())
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    next(stream)
    stream.close()
    del stream
    gc.collect()
    [event] = recorded()
    assert event.tags["stream"] == "incomplete"
    assert event.model == mp.MODEL_CHAT


def test_chat_parse_with_a_pydantic_format(recorded, make_openai):
    class Answer(pydantic.BaseModel):
        answer: str

    client = tokenbudget.wrap(make_openai())
    parsed = client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Answer)
    assert parsed.choices[0].message.parsed == Answer(answer="42")
    assert recorded()[0].usage == CHAT_CANONICAL


def test_responses_create_parse_and_stream(recorded, make_openai):
    class Answer(pydantic.BaseModel):
        answer: str

    plain, client = make_openai(), tokenbudget.wrap(make_openai())
    response = client.responses.create(model="o3-mini", input="What is the answer?")
    assert response == plain.responses.create(model="o3-mini", input="What is the answer?")
    assert client.responses.parse(model="o3-mini", input="?", text_format=Answer).output_parsed == Answer(
        answer="42"
    )
    with client.responses.stream(model="o3-mini", input="?") as stream:
        types = [event.type for event in stream]
        assert stream.get_final_response().usage.output_tokens == 700
    assert types[-1] == "response.completed"
    events = recorded()
    usage = Usage(
        input_tokens=2000,
        cache_read_input_tokens=1500,
        output_tokens=700,
        reasoning_tokens=500,
        service_tier="flex",
    )
    assert [e.usage for e in events] == [usage] * 3
    assert {e.model for e in events} == {mp.MODEL_REASONING}
    assert events[0].cost_usd == expected_cost(mp.MODEL_REASONING, usage)


def test_embeddings(recorded, make_openai):
    client = tokenbudget.wrap(make_openai())
    client.embeddings.create(model="text-embedding-3-small", input="hello")
    [event] = recorded()
    assert event.usage == Usage(input_tokens=812)
    assert event.cost_usd == expected_cost("text-embedding-3-small", Usage(input_tokens=812))


def test_with_raw_response_still_works_and_is_recorded(recorded, make_openai):
    client = tokenbudget.wrap(make_openai())
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    assert raw.headers["x-request-id"] == "req_openai_1"
    assert raw.parse().usage.prompt_tokens == 1200
    raw_stream = client.with_raw_response.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True
    )
    assert len(list(raw_stream.parse())) == 6
    events = recorded()
    assert [e.usage for e in events] == [CHAT_CANONICAL, CHAT_CANONICAL]


def test_with_streaming_response_read_as_json_or_bytes_is_recorded(recorded, make_openai):
    client = tokenbudget.wrap(make_openai())
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=MESSAGES
    ) as response:
        body = response.json()
    assert body["usage"]["prompt_tokens"] == 1200
    with client.embeddings.with_streaming_response.create(
        model="text-embedding-3-small", input="hi"
    ) as response:
        assert json.loads(response.read())["usage"]["prompt_tokens"] == 812
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=MESSAGES
    ) as response:
        parsed = response.parse()  # still recorded once, through parse()
        response.json()
    assert parsed.usage.prompt_tokens == 1200
    events = recorded()
    assert [e.usage for e in events] == [CHAT_CANONICAL, Usage(input_tokens=812), CHAT_CANONICAL]

    async def main():
        async_client = tokenbudget.wrap(make_openai(asynchronous=True))
        async with async_client.chat.completions.with_streaming_response.create(
            model="gpt-4o", messages=MESSAGES
        ) as response:
            return await response.text()

    assert json.loads(asyncio.run(main()))["id"] == "chatcmpl-1"
    assert [e.usage for e in recorded()][-1:] == [CHAT_CANONICAL]


def test_api_error_is_recorded_and_reraised_unchanged(recorded, make_openai):
    client = tokenbudget.wrap(make_openai())
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="fail-429", messages=MESSAGES)
    assert info.value.status_code == 429
    [event] = recorded()
    assert event.status == "error"
    assert event.usage == Usage()
    assert event.model == "fail-429"
    assert event.tags["http_status"] == "429" and event.tags["error"] == "RateLimitError"
    assert event.request_id == "req_err"


def test_async_client_create_stream_and_error(recorded, make_openai):
    plain, client = make_openai(asynchronous=True), tokenbudget.wrap(make_openai(asynchronous=True))

    async def main():
        with tokenbudget.tags(feature="async"):
            result = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            assert result == await plain.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
            assert isinstance(stream, openai.AsyncStream)
            chunks = [chunk async for chunk in stream]
            expected = [
                c
                async for c in await plain.chat.completions.create(
                    model="gpt-4o", messages=MESSAGES, stream=True
                )
            ]
            assert dumps(chunks) == dumps(expected)
            async with client.responses.stream(model="o3-mini", input="?") as rstream:
                async for _ in rstream:
                    pass
            with pytest.raises(openai.InternalServerError):
                await client.chat.completions.create(model="fail-500", messages=MESSAGES)
            raw = await client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
            assert raw.parse().id == "chatcmpl-1"

    asyncio.run(main())
    events = recorded()
    assert [e.status for e in events] == ["ok", "ok", "ok", "error", "ok"]
    assert events[0].usage == events[1].usage == events[4].usage == CHAT_CANONICAL
    assert events[2].usage.reasoning_tokens == 500
    assert {e.feature for e in events} == {"async"}


def test_unpriced_model_is_kept_unpriced_not_zero(recorded, make_openai):
    tokenbudget.record(provider="openai", model="my-private-model-x", input_tokens=10, output_tokens=5)
    [event] = recorded()
    assert event.cost_status == "unpriced" and event.cost_usd is None
