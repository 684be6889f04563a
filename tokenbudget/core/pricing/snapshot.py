"""The bundled snapshot of LiteLLM's price table: reading it, and writing it without losing a digit.

Numbers are kept as the exact text of the source JSON: the table is parsed with `parse_float=NumberText` (a Decimal
that remembers its spelling) and written back by `dumps`, so `1.25e-06` stays `1.25e-06` and never visits a float.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from tokenbudget.core.errors import PriceDataError
from tokenbudget.core.pricing.book import PriceBook

SNAPSHOT_FILE = "litellm_prices.json"
META_KEY = "__meta__"


class NumberText(Decimal):
    """A Decimal that remembers the exact text it was parsed from."""

    text: str

    def __new__(cls, text: str) -> NumberText:
        number = super().__new__(cls, text)
        number.text = text
        return number


def loads(text: str | bytes) -> Any:
    """Parse JSON with every non-integer number as an exact `NumberText`."""
    return json.loads(text, parse_float=NumberText)


def dumps(value: Any, indent: int = 0) -> str:
    """Deterministic JSON (sorted keys, one entry per line at the top level), numbers written as parsed."""
    pad = "  " * (indent + 1)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(str(k))}: {dumps(value[k], indent + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dumps(item, indent + 1) for item in value) + "]"
    if isinstance(value, NumberText):
        return value.text
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats are not written to price snapshots; parse with parse_float=NumberText")
    return json.dumps(value)


def version_for(content: bytes, source_name: str = "litellm") -> str:
    return f"{source_name}-{hashlib.sha256(content).hexdigest()[:12]}"


def book_from_bytes(content: bytes, *, source: str | None = None) -> PriceBook:
    try:
        data = loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PriceDataError(f"price snapshot is not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise PriceDataError("price snapshot must be a JSON object")
    meta = data.get(META_KEY) if isinstance(data.get(META_KEY), Mapping) else {}
    if source is None:
        upstream = meta.get("upstream_version", "?")
        built = meta.get("upstream_built", "?")
        source = f"bundled LiteLLM {upstream} table ({str(built)[:10]})"
    return PriceBook.from_litellm(data, version=version_for(content), source=source)


@lru_cache(maxsize=1)
def load_bundled_book() -> PriceBook:
    """The price book of the snapshot shipped in the package. Read on first call, then shared (it is immutable)."""
    try:
        content = resources.files("tokenbudget.core.pricing").joinpath("data", SNAPSHOT_FILE).read_bytes()
    except OSError as exc:
        raise PriceDataError(f"bundled price snapshot is missing: {exc}") from None
    return book_from_bytes(content)
