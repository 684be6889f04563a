"""`wrap(client)`: record every call of an OpenAI / AsyncOpenAI / Anthropic / AsyncAnthropic instance."""

from __future__ import annotations

from typing import Any, TypeVar

from tokenbudget.sdk.log import warn_once

C = TypeVar("C")


def _provider_of(client: Any) -> str | None:
    for cls in type(client).__mro__:
        root = (cls.__module__ or "").split(".", 1)[0]
        if root == "openai" and cls.__name__ in {"OpenAI", "AsyncOpenAI"}:
            return "azure" if "Azure" in type(client).__name__ else "openai"
        if root == "anthropic" and cls.__name__ in {"Anthropic", "AsyncAnthropic"}:
            return "anthropic"
    return None


def wrap(client: C) -> C:
    """Instrument `client` in place and return it (same object, same type). Idempotent; never raises."""
    try:
        provider = _provider_of(client)
        if provider is None:
            warn_once(
                f"unsupported-{type(client).__name__}",
                "tokenbudget.wrap(): %s is not an OpenAI or Anthropic client; returned unchanged "
                "(use tokenbudget.record() for other providers)",
                type(client).__name__,
            )
            return client
        from tokenbudget.sdk.capture import instrument

        if provider == "anthropic":
            from tokenbudget.sdk.adapters.anthropic import AnthropicAdapter

            return instrument(client, AnthropicAdapter())
        from tokenbudget.sdk.adapters.openai import OpenAIAdapter

        return instrument(client, OpenAIAdapter(provider))
    except Exception:
        warn_once("wrap", "tokenbudget.wrap() failed; the client works as before, unrecorded", exc_info=True)
        return client
