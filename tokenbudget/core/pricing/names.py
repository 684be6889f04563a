"""Model-name resolution the way LiteLLM does it, on indexes built once.

Order: the name as given, `provider/name`, the name without a provider prefix; each case-insensitive; then the same
again without a date suffix (`-2024-08-06`, and Anthropic's `-20241022`, which LiteLLM does not strip).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# LiteLLM strips only -YYYY-MM-DD; we also strip -YYYYMMDD so a new Anthropic snapshot prices as its family.
_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|20\d{2}[01]\d[0-3]\d)$")


def strip_date(name: str) -> str | None:
    stripped = _DATE_SUFFIX.sub("", name)
    return stripped if stripped != name else None


class NameIndex:
    """Case-insensitive key lookup, with the provider of each key to prefer provider-matching entries."""

    def __init__(self, keys: Iterable[tuple[str, str | None]]) -> None:
        self._by_lower: dict[str, str] = {}
        self._provider: dict[str, str | None] = {}
        for key, provider in keys:
            # An exact-case key always wins over a case-folded twin (setdefault keeps the first seen).
            self._by_lower.setdefault(key.lower(), key)
            self._provider[key] = provider

    def __len__(self) -> int:
        return len(self._by_lower)

    def keys_lower(self) -> list[str]:
        return list(self._by_lower)

    def canonical(self, lower: str) -> str | None:
        return self._by_lower.get(lower)

    def find(self, model: str, provider: str | None = None) -> str | None:
        name = model.strip()
        prov = provider.strip().lower() if provider else None
        for candidate in (name, strip_date(name)):
            if candidate:
                hit = self._find_one(candidate.lower(), prov)
                if hit is not None:
                    return hit
        return None

    def _find_one(self, name: str, provider: str | None) -> str | None:
        for candidate in self._candidates(name, provider):
            key = self._by_lower.get(candidate)
            if key is not None:
                return key
        return None

    def _candidates(self, name: str, provider: str | None) -> Iterator[str]:
        exact = self._by_lower.get(name)
        # The exact key, unless it belongs to another provider and a provider-specific entry exists
        # (e.g. `gpt-4o` asked for as provider azure should price as `azure/gpt-4o`).
        if exact is not None and (provider is None or self._provider_matches(exact, provider)):
            yield name
        if provider and not name.startswith(provider + "/"):
            yield f"{provider}/{name}"
        if exact is not None:
            yield name
        if "/" in name:
            prefix, rest = name.split("/", 1)
            # `openai/gpt-4o`: the prefix names the provider; try `rest` under it, then plain `rest`.
            yield from self._candidates(rest, provider or prefix)

    def _provider_matches(self, key: str, provider: str) -> bool:
        entry_provider = (self._provider.get(key) or "").lower()
        return (
            entry_provider == provider
            or entry_provider.startswith(provider + "-")
            or key.lower().startswith(provider + "/")
        )
