"""SDK fixtures: a local-mode pipeline on the test store (SQLite and PostgreSQL), real provider clients over a
mock transport of whichever HTTP library the installed SDK uses (httpx2 for openai>=3 / anthropic>=2, else httpx).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import tokenbudget
from tests.sdk import mock_providers as mp
from tokenbudget.core.events import Event
from tokenbudget.core.settings import Settings
from tokenbudget.sdk import recorder
from tokenbudget.sdk.log import reset_warnings


def http_library_of(package: str) -> Any:
    base = importlib.import_module(f"{package}._base_client")
    return importlib.import_module("httpx2" if "httpx2" in vars(base) else "httpx")


@pytest.fixture(autouse=True)
def _fresh_sdk() -> Iterator[None]:
    reset_warnings()
    yield
    recorder.reset_configuration()
    reset_warnings()


@pytest.fixture
def recorded(store_settings: Settings) -> Callable[[], list[Event]]:
    """Local mode into the test store; calling the fixture flushes and returns the stored events, oldest first."""
    tokenbudget.configure(
        home=str(store_settings.home), database_url=store_settings.database_url, flush_interval=0.05
    )

    def events() -> list[Event]:
        assert tokenbudget.flush(timeout=30)
        from tokenbudget.core.store import open_store

        with open_store(store_settings) as store:
            return sorted(store.iter_events(), key=lambda e: (e.occurred_at, e.event_id))

    return events


@pytest.fixture
def openai_seen() -> list[dict[str, Any]]:
    return []


def _openai_client(cls_name: str, seen: list[dict[str, Any]]) -> Any:
    import openai

    httpx_module = http_library_of("openai")
    transport = mp.make_transport(httpx_module, mp.openai_reply, seen)
    is_async = cls_name.startswith("Async")
    http_client = (httpx_module.AsyncClient if is_async else httpx_module.Client)(transport=transport)
    return getattr(openai, cls_name)(api_key="sk-test", http_client=http_client, max_retries=0)


def _anthropic_client(cls_name: str, seen: list[dict[str, Any]]) -> Any:
    import anthropic

    httpx_module = http_library_of("anthropic")
    transport = mp.make_transport(httpx_module, mp.anthropic_reply, seen)
    is_async = cls_name.startswith("Async")
    http_client = (httpx_module.AsyncClient if is_async else httpx_module.Client)(transport=transport)
    return getattr(anthropic, cls_name)(api_key="sk-ant-test", http_client=http_client, max_retries=0)


@pytest.fixture
def make_openai() -> Callable[..., Any]:
    def make(asynchronous: bool = False, seen: list[dict[str, Any]] | None = None) -> Any:
        return _openai_client("AsyncOpenAI" if asynchronous else "OpenAI", seen if seen is not None else [])

    return make


@pytest.fixture
def make_anthropic() -> Callable[..., Any]:
    def make(asynchronous: bool = False, seen: list[dict[str, Any]] | None = None) -> Any:
        return _anthropic_client(
            "AsyncAnthropic" if asynchronous else "Anthropic", seen if seen is not None else []
        )

    return make


@pytest.fixture
def sdk_warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="tokenbudget")
    return caplog
