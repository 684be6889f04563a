"""Price sync: fetch LiteLLM's price table, validate it, compare it with the active one, and store it as a new version.

The active table is the latest synced one (or the bundled snapshot when nothing was ever synced); custom prices
sit on top of it and always win. Nothing is written unless the download completed, the table validated and it
prices something differently: a failed sync leaves the old book in force.

`sync_prices(store, source, dry_run=..., timeout=...)` is the one entry point (the CLI and the server's admin
endpoint both call it); its `SyncResult.to_json()` is the documented summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenbudget.core.errors import PriceDataError, TokenBudgetError
from tokenbudget.core.pricing.active import active_table_book
from tokenbudget.core.pricing.book import NON_MODEL_KEYS, PriceBook
from tokenbudget.core.pricing.diff import PriceDiff, diff_books, percent_change, rate_text
from tokenbudget.core.pricing.model_price import ModelPrice, is_rate_key
from tokenbudget.core.pricing.snapshot import NumberText, dumps, loads, version_for

if TYPE_CHECKING:
    from tokenbudget.core.store import Store
    from tokenbudget.core.store.price_history_repo import PriceChangeRecord

DEFAULT_SOURCE = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3  # attempts after the first one
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubles each time
# LiteLLM's table has thousands of entries: far fewer means a truncated or wrong file, not a smaller world.
DEFAULT_MIN_MODELS = 500
# What pricing reads from an entry (plus its rate keys); the rest (docs links, feature flags) is left out.
KEEP_FIELDS = ("litellm_provider", "mode", "alias_of", "max_input_tokens", "max_output_tokens")

ProgressCallback = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)


class PriceSyncError(TokenBudgetError):
    """The price table could not be fetched (network, HTTP status, timeout, incomplete download)."""

    http_status = 502


# -- fetching ---------------------------------------------------------------------------------------------------


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch_table(
    source: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    progress: ProgressCallback | None = None,
) -> bytes:
    """The raw bytes of a table at a URL (with retries) or a local path. Raises PriceSyncError."""
    if not is_url(source):
        path = Path(source).expanduser()
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise PriceSyncError(f"cannot read price table {source}: {exc.strerror or exc}") from None
        if progress is not None:
            progress(len(content), len(content))
        return content
    attempt = 0
    while True:
        try:
            return _download(source, timeout=timeout, progress=progress)
        except _Retryable as exc:
            if attempt >= retries:
                tries = f" after {attempt + 1} attempts" if attempt else ""
                raise PriceSyncError(f"cannot download {source}{tries}: {exc}") from None
            time.sleep(backoff * (2**attempt))
            attempt += 1


class _Retryable(Exception):
    """A failure worth another attempt: network trouble, a timeout, a truncated body, 429 or a 5xx."""


def _download(url: str, *, timeout: float, progress: ProgressCallback | None) -> bytes:
    import httpx

    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code == 429 or response.status_code >= 500:
                raise _Retryable(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise PriceSyncError(f"cannot download {url}: HTTP {response.status_code}")
            expected = _content_length(response)
            chunks: list[bytes] = []
            received = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(received, expected)
            # httpx already fails on a body shorter than Content-Length; this also covers a decoded body.
            raw_received = response.num_bytes_downloaded
            if expected is not None and raw_received < expected:
                raise _Retryable(f"incomplete download ({raw_received:,} of {expected:,} bytes)")
            return b"".join(chunks)
    except httpx.TimeoutException:
        raise _Retryable(f"timed out after {timeout:g} s") from None
    except httpx.RemoteProtocolError as exc:
        raise _Retryable(f"incomplete download ({_first_line(exc) or 'connection closed early'})") from None
    except httpx.TransportError as exc:
        raise _Retryable(_first_line(exc) or type(exc).__name__) from None
    except httpx.InvalidURL as exc:
        raise PriceSyncError(f"invalid URL {url}: {exc}") from None


def _content_length(response: Any) -> int | None:
    if response.headers.get("Content-Encoding", "identity") not in ("", "identity"):
        return None  # the length is of the compressed body; httpx checks it against what it read
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


# -- validation -------------------------------------------------------------------------------------------------


def slim_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The pricing-relevant part of an entry (also what scripts/build_price_snapshot.py keeps in the bundled snapshot)."""
    out = {key: entry[key] for key in KEEP_FIELDS if key in entry}
    rates = {key: value for key, value in entry.items() if is_rate_key(key) and _is_number(value)}
    out.update(rates)
    tiers = [tier for tier in entry.get("tiered_pricing") or [] if isinstance(tier, Mapping)]
    token_tiers = [
        {k: v for k, v in tier.items() if k == "range" or (is_rate_key(k) and _is_number(v))}
        for tier in tiers
        if "range" in tier and "input_cost_per_token" in tier
    ]
    if token_tiers:
        out["tiered_pricing"] = token_tiers
    token_priced = (
        "input_cost_per_token" in rates or bool(rates.get("output_cost_per_token")) or bool(token_tiers)
    )
    if not token_priced:
        # Enough to say how it is priced instead (per image, per query, ...).
        out.update({k: v for k, v in entry.items() if "cost" in k})
        if tiers:
            out["tiered_pricing"] = [{k: v for k, v in t.items() if "cost" in k} for t in tiers]
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, NumberText)) and not isinstance(value, bool)


def parse_table(content: bytes, *, min_models: int = DEFAULT_MIN_MODELS) -> dict[str, Any]:
    """Validate a downloaded LiteLLM table and return its pricing-relevant content. Raises PriceDataError.

    Refused: anything but a JSON object of objects, a rate that is not a number >= 0, fewer than `min_models`
    entries (a truncated or wrong file).
    """
    try:
        data = loads(content)
    except UnicodeDecodeError:
        raise PriceDataError("the price table is not UTF-8 text") from None
    except ValueError as exc:  # json.JSONDecodeError
        raise PriceDataError(f"the price table is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PriceDataError(f"the price table must be a JSON object, got {type(data).__name__}")
    table: dict[str, Any] = {}
    for key, entry in data.items():
        if key in NON_MODEL_KEYS:
            continue
        if not isinstance(entry, dict):
            raise PriceDataError(f"price table entry {key!r} must be an object, got {type(entry).__name__}")
        for name, value in entry.items():
            if is_rate_key(name) and value is not None:
                _check_rate(key, name, value)
        table[key] = slim_entry(entry)
    if len(table) < min_models:
        raise PriceDataError(
            f"the price table has {len(table):,} models, fewer than the {min_models:,} expected "
            "(truncated or not LiteLLM's table?); nothing was changed"
        )
    return table


def _check_rate(key: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise PriceDataError(f"{key}.{name}: a rate must be a number, got {value!r}")
    if not Decimal(value).is_finite() or value < 0:
        raise PriceDataError(f"{key}.{name}: a rate must be >= 0, got {value}")


def table_content(table: Mapping[str, Any]) -> bytes:
    """Canonical JSON of a table's pricing content: what is stored, and what its version is derived from."""
    return (dumps(table) + "\n").encode()


# -- sync -------------------------------------------------------------------------------------------------------


@dataclass
class NowPriceable:
    """Calls stored as unpriced whose model the synced book can price."""

    model: str
    provider: str | None
    calls: int
    price_key: str


@dataclass
class SyncResult:
    source: str
    fetched_at: datetime
    dry_run: bool
    old_version: str
    new_version: str
    content_hash: str
    model_count: int
    diff: PriceDiff
    changed: bool  # the new table prices something differently from the old one
    written: int = 0  # change records written (0 on a dry run or when nothing changed)
    stored: bool = False  # a new price version is in force
    custom_models: frozenset[str] = field(default_factory=frozenset)
    now_priceable: list[NowPriceable] = field(default_factory=list)

    def overridden(self, model: str) -> bool:
        return model.lower() in self.custom_models

    def to_json(self) -> dict[str, Any]:
        def model_json(price: ModelPrice) -> dict[str, Any]:
            return {
                "model": price.key,
                "provider": price.provider,
                "mode": price.mode,
                "custom_override": self.overridden(price.key),
            }

        return {
            "source": self.source,
            "fetched_at": self.fetched_at.isoformat(),
            "dry_run": self.dry_run,
            "changed": self.changed,
            "stored": self.stored,
            "written": self.written,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "content_hash": self.content_hash,
            "model_count": self.model_count,
            "added": [model_json(p) for p in self.diff.added],
            "removed": [model_json(p) for p in self.diff.removed],
            "rate_changes": [
                {
                    "model": c.model,
                    "field": c.field,
                    "change": c.change,
                    "old": rate_text(c.old),
                    "new": rate_text(c.new),
                    "percent": None if c.percent is None else str(c.percent),
                    "custom_override": self.overridden(c.model),
                }
                for c in self.diff.changed
            ],
            "now_priceable": [
                {"model": n.model, "provider": n.provider, "calls": n.calls, "price_key": n.price_key}
                for n in self.now_priceable
            ],
        }


def sync_prices(
    store: Store,
    source: str = DEFAULT_SOURCE,
    *,
    dry_run: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    min_models: int = DEFAULT_MIN_MODELS,
    progress: ProgressCallback | None = None,
) -> SyncResult:
    """Fetch, validate, compare and (unless `dry_run`) store a price table. Raises PriceSyncError/PriceDataError.

    A table that prices everything exactly like the active one writes nothing.
    """
    old_table = active_table_book(store)
    content = fetch_table(source, timeout=timeout, retries=retries, backoff=backoff, progress=progress)
    fetched_at = datetime.now(timezone.utc)
    table = parse_table(content, min_models=min_models)
    canonical = table_content(table)
    version = version_for(canonical)
    new_table = PriceBook.from_litellm(table, version=version, source=f"LiteLLM table from {source}")
    changed = new_table.content_hash() != old_table.content_hash()
    diff = diff_books(old_table, new_table) if changed else PriceDiff()
    custom = store.list_custom_prices()
    result = SyncResult(
        source=source,
        fetched_at=fetched_at,
        dry_run=dry_run,
        old_version=old_table.version,
        new_version=version if changed else old_table.version,
        content_hash=new_table.content_hash(),
        model_count=len(new_table),
        diff=diff,
        changed=changed,
        custom_models=frozenset(p.model.lower() for p in custom),
    )
    new_book = (new_table if changed else old_table).with_custom_prices(custom)
    result.now_priceable = _now_priceable(store, new_book)
    if changed and not dry_run:
        result.written = store.save_price_table(
            version=version,
            source=source,
            content_hash=new_table.content_hash(),
            model_count=len(new_table),
            content=canonical,
            fetched_at=fetched_at,
            changes=[
                _record(change.model, change.field, change.old, change.new) for change in diff.records()
            ],
        )
        result.stored = True
    return result


def _record(model: str, name: str, old: Decimal | None, new: Decimal | None) -> Any:
    from tokenbudget.core.store.price_history_repo import PriceChangeRecord

    return PriceChangeRecord(model=model, field=name, old=rate_text(old), new=rate_text(new))


def _now_priceable(store: Store, book: PriceBook) -> list[NowPriceable]:
    out = []
    for model, provider, calls in store.count_unpriced_by_model():
        price = book.resolve(model, provider)
        if price is not None and price.token_priced:
            out.append(NowPriceable(model, provider, calls, price.key))
    return out


def change_percent(old: str | None, new: str | None) -> Decimal | None:
    """Percent change between two stored decimal texts (for listing recorded changes)."""
    return percent_change(None if old is None else Decimal(old), None if new is None else Decimal(new))


def price_change_rows(records: Iterable[PriceChangeRecord]) -> list[dict[str, Any]]:
    """Recorded changes as the JSON rows of `tb pricing changes --format json` and `GET /api/price-changes`."""
    return [
        {
            "detected_at": r.detected_at,
            "model": r.model,
            "field": r.field,
            "change": r.change,
            "old": r.old,
            "new": r.new,
            "percent": None if (p := change_percent(r.old, r.new)) is None else str(p),
            "price_version": r.price_version,
        }
        for r in records
    ]
