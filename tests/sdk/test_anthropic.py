"""The real `anthropic` SDK over a mock transport: messages create / stream / parse, sync and async."""

from __future__ import annotations

import asyncio
import gc

import anthropic
import pytest

import tokenbudget
from tests.sdk import mock_providers as mp
from tokenbudget.core.pricing import load_bundled_book
from tokenbudget.core.usage import Usage

pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")

MESSAGES = [{"role": "user", "content": "What is the answer?"}]
# input 50 + cache reads 4000 + cache writes 1000 (600 of them 1-hour); 250 output of which 90 thinking.
CREATE_USAGE = Usage(
    input_tokens=5050,
    cache_read_input_tokens=4000,
    cache_write_input_tokens=1000,
    cache_write_1h_input_tokens=600,
    output_tokens=250,
    reasoning_tokens=90,
)
STREAM_USAGE = Usage(
    input_tokens=5050,
    cache_read_input_tokens=4000,
    cache_write_input_tokens=1000,
    cache_write_1h_input_tokens=600,
    output_tokens=250,  # cumulative message_delta: the last value (250), not 1 + 100 + 250
)


def test_messages_create_maps_cache_reads_writes_and_prices_exactly(recorded, make_anthropic):
    plain, client = make_anthropic(), tokenbudget.wrap(make_anthropic())
    with tokenbudget.tags(feature="chat", project="support"):
        message = client.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES)
    assert message == plain.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES)
    [event] = recorded()
    assert event.provider == "anthropic"
    assert event.model == mp.MODEL_CLAUDE
    assert event.usage == CREATE_USAGE
    assert (
        event.cost_usd == load_bundled_book().cost(mp.MODEL_CLAUDE, CREATE_USAGE, provider="anthropic").total
    )
    assert event.cost_status == "priced"
    assert (event.project, event.feature) == ("support", "chat")
    assert event.request_id == "req_anthropic_1"


def test_messages_stream_helper_keeps_its_interface(recorded, make_anthropic):
    plain, client = make_anthropic(), tokenbudget.wrap(make_anthropic())
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    with plain.messages.stream(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES) as stream:
        assert text == "".join(stream.text_stream) == "The answer is 42."
        assert final == stream.get_final_message()
    [event] = recorded()
    assert event.usage == STREAM_USAGE
    assert event.request_id == "req_anthropic_1"
    assert "stream" not in event.tags


def test_create_stream_true_yields_identical_events(recorded, make_anthropic):
    plain, client = make_anthropic(), tokenbudget.wrap(make_anthropic())
    events = list(
        client.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES, stream=True)
    )
    expected = list(
        plain.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES, stream=True)
    )
    assert [e.model_dump() for e in events] == [e.model_dump() for e in expected]
    assert recorded()[0].usage == STREAM_USAGE


def test_abandoned_stream_keeps_what_is_known(recorded, make_anthropic):
    client = tokenbudget.wrap(make_anthropic())
    stream = client.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES, stream=True)
    assert next(stream).type == "message_start"
    stream.close()
    del stream
    gc.collect()
    [event] = recorded()
    assert event.tags["stream"] == "incomplete"
    assert event.usage.input_tokens == 5050  # known from message_start: never a silent $0
    assert event.cost_usd > 0


def test_with_raw_response_and_error(recorded, make_anthropic):
    client = tokenbudget.wrap(make_anthropic())
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES
    )
    assert raw.headers["request-id"] == "req_anthropic_1"
    assert raw.parse().usage.output_tokens == 250
    with pytest.raises(anthropic.InternalServerError) as info:
        client.messages.create(model="fail-500", max_tokens=100, messages=MESSAGES)
    assert info.value.status_code == 500
    ok, error = recorded()
    assert ok.usage == CREATE_USAGE
    assert (error.status, error.usage, error.tags["http_status"]) == ("error", Usage(), "500")


def test_with_streaming_response_read_as_json_is_recorded(recorded, make_anthropic):
    client = tokenbudget.wrap(make_anthropic())
    with client.messages.with_streaming_response.create(
        model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES
    ) as response:
        assert response.json()["usage"]["output_tokens"] == 250
    [event] = recorded()
    assert event.usage == CREATE_USAGE


def test_async_create_and_stream(recorded, make_anthropic):
    plain, client = make_anthropic(asynchronous=True), tokenbudget.wrap(make_anthropic(asynchronous=True))

    async def main():
        async def one(feature):
            with tokenbudget.tags(feature=feature):
                return await client.messages.create(
                    model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES
                )

        results = await asyncio.gather(one("a"), one("b"))
        assert results[0] == await plain.messages.create(
            model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES
        )
        async with client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=100, messages=MESSAGES
        ) as stream:
            text = "".join([t async for t in stream.text_stream])
            await stream.get_final_message()
        assert text == "The answer is 42."

    asyncio.run(main())
    events = recorded()
    assert sorted(e.feature or "" for e in events) == ["", "a", "b"]
    assert [e.usage for e in events if e.feature] == [CREATE_USAGE, CREATE_USAGE]
    assert [e.usage for e in events if not e.feature] == [STREAM_USAGE]
