"""`sync_prices` against a real local HTTP server serving LiteLLM's table and broken versions of it.

Every test runs on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EventFactory
from tests.core import test_pricing_sync_helpers as helpers
from tests.core.test_pricing_sync_helpers import (
    ADDED_MODEL,
    RAISED_MODEL,
    REMOVED_MODEL,
    TABLE,
    TableServer,
    add_model,
    modified,
    raise_price,
)
from tokenbudget.core.errors import PriceDataError
from tokenbudget.core.pricing import CustomPrice, load_bundled_book
from tokenbudget.core.pricing.active import active_book, active_table_book
from tokenbudget.core.pricing.sync import PriceSyncError, SyncResult, sync_prices

FAST = {"timeout": 5.0, "retries": 2, "backoff": 0.01}


@pytest.fixture(scope="module")
def table_server() -> Iterator[TableServer]:
    with helpers.table_server() as server:
        yield server


def sync(store: Any, source: str, **kwargs: Any) -> SyncResult:
    return sync_prices(store, source, **{**FAST, **kwargs})


def stored_nothing(store: Any) -> bool:
    return (
        store.latest_price_table_version() is None
        and store.list_price_changes() == []
        and active_table_book(store) is load_bundled_book()
    )


def test_the_table_the_snapshot_came_from_changes_nothing(store: Any, table_server: TableServer) -> None:
    result = sync(store, table_server.url("/same.json"))
    assert not result.changed and not result.stored and result.written == 0
    assert result.diff.is_empty
    assert result.new_version == result.old_version == load_bundled_book().version
    assert stored_nothing(store)
    assert result.to_json()["changed"] is False


def test_a_raised_price_is_a_new_version_with_its_change(store: Any, table_server: TableServer) -> None:
    old = active_book(store).resolve(RAISED_MODEL)
    assert old is not None and old.input == Decimal("0.0000025")

    result = sync(store, table_server.url("/raised.json"))

    assert result.changed and result.stored
    assert result.diff.added == [] and result.diff.removed == []
    [change] = result.diff.changed
    assert (change.model, change.field, change.old, change.new) == (
        RAISED_MODEL,
        "input_cost_per_token",
        Decimal("0.0000025"),
        Decimal("0.000003"),
    )
    assert change.percent == Decimal("20.0")
    assert result.written == 1
    # The new table is in force, under the version the sync reported, and the change is recorded.
    book = active_book(store)
    assert book.version == result.new_version != result.old_version
    assert book.resolve(RAISED_MODEL).input == Decimal("0.000003")  # type: ignore[union-attr]
    [record] = store.list_price_changes()
    assert (record.model, record.field, record.old, record.new, record.change) == (
        RAISED_MODEL,
        "input_cost_per_token",
        "0.0000025",
        "0.000003",
        "changed",
    )
    assert record.price_version == result.new_version
    versions = [v["version"] for v in store.list_price_versions()]
    assert result.new_version in versions
    payload = result.to_json()
    assert payload["rate_changes"] == [
        {
            "model": RAISED_MODEL,
            "field": "input_cost_per_token",
            "change": "changed",
            "old": "0.0000025",
            "new": "0.000003",
            "percent": "20.0",
            "custom_override": False,
        }
    ]
    json.dumps(payload)  # plain JSON types only

    # Syncing the same table again finds nothing new and writes nothing.
    again = sync(store, table_server.url("/raised.json"))
    assert not again.changed and again.written == 0 and again.old_version == result.new_version
    assert len(store.list_price_changes()) == 1


def test_a_new_model_is_priced_and_unpriced_calls_are_reported(
    store: Any, table_server: TableServer, event_factory: EventFactory
) -> None:
    store.insert_events(
        [event_factory(model=ADDED_MODEL, provider="openai", cost=None) for _ in range(3)]
        + [event_factory(model="still-unknown-model", cost=None)]
        + [event_factory(model="gpt-4o")]
    )
    result = sync(store, table_server.url("/added.json"))

    assert [p.key for p in result.diff.added] == [ADDED_MODEL]
    assert result.diff.changed == [] and result.diff.removed == []
    assert [(n.model, n.calls, n.price_key) for n in result.now_priceable] == [(ADDED_MODEL, 3, ADDED_MODEL)]
    records = {(r.field, r.old, r.new, r.change) for r in store.list_price_changes(model=ADDED_MODEL.upper())}
    assert records == {
        ("input_cost_per_token", None, "0.000001", "added"),
        ("output_cost_per_token", None, "0.000004", "added"),
    }
    assert active_book(store).resolve(ADDED_MODEL) is not None


def test_a_removed_model_is_recorded(store: Any, table_server: TableServer) -> None:
    result = sync(store, table_server.url("/removed.json"))
    assert [p.key for p in result.diff.removed] == [REMOVED_MODEL]
    records = store.list_price_changes(model=REMOVED_MODEL)
    assert records and all(r.new is None and r.change == "removed" for r in records)
    assert REMOVED_MODEL not in {p.key for p in active_table_book(store).models()}


def test_dry_run_shows_the_diff_and_stores_nothing(store: Any, table_server: TableServer) -> None:
    result = sync(store, table_server.url("/raised.json"), dry_run=True)
    assert result.changed and not result.stored and result.written == 0
    assert len(result.diff.changed) == 1
    assert stored_nothing(store)
    assert result.to_json()["dry_run"] is True


def test_custom_prices_win_and_survive_a_sync(store: Any, table_server: TableServer) -> None:
    store.set_custom_price(
        CustomPrice(RAISED_MODEL, input_per_token=Decimal("0.000001"), output_per_token=Decimal("0.000002"))
    )
    result = sync(store, table_server.url("/raised.json"))
    assert result.overridden(RAISED_MODEL)
    assert result.to_json()["rate_changes"][0]["custom_override"] is True
    price = active_book(store).resolve(RAISED_MODEL)
    assert price is not None and price.source == "custom" and price.input == Decimal("0.000001")
    assert [p.model for p in store.list_custom_prices()] == [RAISED_MODEL]
    # The table underneath did change.
    assert active_table_book(store).resolve(RAISED_MODEL).input == Decimal("0.000003")  # type: ignore[union-attr]


def test_a_local_file_source(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_bytes(modified(add_model))
    seen: list[tuple[int, int | None]] = []
    result = sync_prices(store, str(path), progress=lambda done, total: seen.append((done, total)))
    assert [p.key for p in result.diff.added] == [ADDED_MODEL] and result.stored
    assert seen == [(path.stat().st_size, path.stat().st_size)]
    with pytest.raises(PriceSyncError, match="cannot read price table"):
        sync_prices(store, str(tmp_path / "missing.json"))


def test_going_back_to_an_earlier_table_reactivates_it(store: Any, table_server: TableServer) -> None:
    first = sync(store, table_server.url("/raised.json"))
    second = sync(store, table_server.url("/added.json"))  # not raised, plus a new model
    assert active_table_book(store).version == second.new_version
    back = sync(store, table_server.url("/raised.json"))
    assert back.changed and back.new_version == first.new_version
    assert active_table_book(store).version == first.new_version
    assert store.latest_price_table_version() == first.new_version


# -- failures: nothing is written and the old book stays in force --------------------------------------------------


@pytest.fixture
def synced(store: Any, table_server: TableServer) -> str:
    """A store whose active table is the raised one (so 'old book in force' is not just the bundled default)."""
    return sync(store, table_server.url("/raised.json")).new_version


def assert_unchanged(store: Any, version: str) -> None:
    assert active_table_book(store).version == version
    assert len(store.list_price_changes()) == 1


def test_malformed_json_is_refused(store: Any, table_server: TableServer, synced: str) -> None:
    before = table_server.hits["/malformed.json"]
    with pytest.raises(PriceDataError, match="not valid JSON"):
        sync(store, table_server.url("/malformed.json"))
    assert table_server.hits["/malformed.json"] - before == 1  # a bad table is not retried
    assert_unchanged(store, synced)


def test_truncated_download_is_retried_then_refused(
    store: Any, table_server: TableServer, synced: str
) -> None:
    before = table_server.hits["/truncated.json"]
    with pytest.raises(PriceSyncError, match="incomplete download") as info:
        sync(store, table_server.url("/truncated.json"), retries=1)
    assert "after 2 attempts" in str(info.value)
    assert table_server.hits["/truncated.json"] - before == 2
    assert_unchanged(store, synced)


def test_slow_server_times_out_with_a_clear_error(store: Any, table_server: TableServer, synced: str) -> None:
    started = time.monotonic()
    with pytest.raises(PriceSyncError, match=r"timed out after 0\.3 s"):
        sync(store, table_server.url("/slow.json"), timeout=0.3, retries=0)
    assert time.monotonic() - started < 2.5
    assert_unchanged(store, synced)


def test_http_errors(store: Any, table_server: TableServer) -> None:
    before = table_server.hits["/gone.json"]
    with pytest.raises(PriceSyncError, match="HTTP 404"):
        sync(store, table_server.url("/gone.json"))
    assert table_server.hits["/gone.json"] - before == 1  # a 404 is not retried
    flaky = table_server.serve(f"/flaky-{store.dialect}.json", modified(raise_price), fail_first=2)
    result = sync(store, flaky, retries=2)  # two 503s, then the table
    assert result.stored and table_server.hits[f"/flaky-{store.dialect}.json"] == 3
    with pytest.raises(PriceSyncError, match="cannot download"):
        sync(store, "http://127.0.0.1:9/none.json", retries=0)  # nothing listens on the discard port


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.__setitem__("gpt-4o", "cheap"), "must be an object"),
        (lambda d: d["gpt-4o"].__setitem__("input_cost_per_token", -1e-06), "must be >= 0"),
        (lambda d: d["gpt-4o"].__setitem__("output_cost_per_token", "0.00001"), "must be a number"),
        (lambda d: d["gpt-4o"].__setitem__("input_cost_per_token", True), "must be a number"),
    ],
)
def test_invalid_entries_are_refused(store: Any, tmp_path: Path, change: Any, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(modified(change))
    with pytest.raises(PriceDataError, match=message):
        sync_prices(store, str(path))
    assert stored_nothing(store)


def test_a_table_with_too_few_models_or_not_an_object_is_refused(store: Any, tmp_path: Path) -> None:
    small = tmp_path / "small.json"
    data = json.loads(TABLE)
    small.write_text(json.dumps({k: data[k] for k in list(data)[:50]}))
    with pytest.raises(PriceDataError, match="fewer than the 500 expected"):
        sync_prices(store, str(small))
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    with pytest.raises(PriceDataError, match="must be a JSON object"):
        sync_prices(store, str(listing))
    assert stored_nothing(store)
    # A deliberately small table is accepted when the caller lowers the bar.
    assert sync_prices(store, str(small), min_models=10).stored


def test_download_progress_reaches_the_announced_size(store: Any, table_server: TableServer) -> None:
    seen: list[tuple[int, int | None]] = []
    sync(store, table_server.url("/same.json"), progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (len(TABLE), len(TABLE))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
