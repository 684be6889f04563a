"""Store tests: every test runs on SQLite and PostgreSQL (the `store` fixture is parametrized)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tokenbudget.core.errors import StoreError
from tokenbudget.core.events import Event
from tokenbudget.core.pricing import CustomPrice
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import CostUpdate, InsertResult, open_store
from tokenbudget.core.store.migrate import script_head_revision

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def test_head_constant_matches_the_migration_scripts() -> None:
    from tokenbudget.core.store.migrate import HEAD_REVISION

    assert script_head_revision() == HEAD_REVISION


def test_migrates_from_empty_to_head_and_reopen_is_a_noop(store, store_settings: Settings) -> None:
    assert store.current_revision() == store.head_revision()
    tables = set(sa.inspect(store.engine).get_table_names())
    expected = {
        "events",
        "price_versions",
        "price_overrides",
        "users",
        "teams",
        "projects",
        "api_keys",
        "budgets",
    }
    assert expected | {"alert_channels", "alerts", "alert_deliveries", "price_changes", "waitlist"} <= tables
    started = time.perf_counter()
    with open_store(store_settings) as again:
        assert again.current_revision() == again.head_revision()
    assert time.perf_counter() - started < 0.5  # the fast path: no Alembic environment loaded


def test_open_without_migrate_leaves_an_empty_database_alone(store_settings: Settings) -> None:
    with open_store(store_settings, migrate=False) as store:
        assert store.current_revision() is None
        store.upgrade()
        assert store.current_revision() == store.head_revision()


def test_sqlite_store_creates_its_directory_and_uses_wal(settings: Settings) -> None:
    with open_store(settings) as store:
        assert store.dialect == "sqlite"
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (settings.data_dir / "tokenbudget.db").is_file()


def test_unreachable_postgres_is_one_clear_line(tmp_path) -> None:
    settings = Settings.resolve(
        environ={
            "TOKENBUDGET_HOME": str(tmp_path),
            "TOKENBUDGET_DATABASE_URL": "postgresql://bob:hunter2@127.0.0.1:1/nope",
        }
    )
    with pytest.raises(StoreError) as info:
        open_store(settings)
    message = str(info.value)
    assert message.startswith("cannot connect to postgresql://bob:***@127.0.0.1:1/nope: ")
    assert "hunter2" not in message and "\n" not in message


def test_insert_is_idempotent_on_event_id(store, event_factory) -> None:
    first = event_factory(event_id="same")
    assert store.insert_events([first]) == InsertResult(inserted=1, duplicates=0)
    assert store.insert_events([event_factory(event_id="same")]) == InsertResult(inserted=0, duplicates=1)
    # Inside one batch, and across batch boundaries of one call.
    batch = [event_factory(event_id=f"e{i % 3}") for i in range(7)]
    assert store.insert_events(batch, batch_size=2) == InsertResult(inserted=3, duplicates=4)
    assert store.count_events() == 4
    stored = {e.event_id: e for e in store.iter_events(None, None)}
    assert stored["same"].cost_usd == first.cost_usd


def test_events_round_trip_every_field(store, event_factory) -> None:
    from tokenbudget.core.usage import Usage

    usage = Usage(
        input_tokens=1000,
        output_tokens=300,
        cache_read_input_tokens=200,
        cache_write_input_tokens=100,
        cache_write_1h_input_tokens=40,
        reasoning_tokens=120,
        service_tier="batch",
    )
    event = event_factory(
        usage=usage,
        occurred_at=datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
        cost=Decimal("0.123456789"),
        feature="chat",
        user_id="u1",
        env="prod",
        tags={"team": "search"},
        latency_ms=812,
        status="error",
        request_id="req_1",
    )
    store.insert_events([event])
    (back,) = store.iter_events(None, None)
    assert back.occurred_at == event.occurred_at and back.occurred_at.tzinfo == timezone.utc
    assert back == Event(
        **{**{f: getattr(event, f) for f in Event.__dataclass_fields__}, "occurred_at": back.occurred_at}
    )


def test_money_is_exact_and_rounded_half_even(store, event_factory) -> None:
    from tokenbudget.core.analytics import totals
    from tokenbudget.core.periods import parse_period

    nano = Decimal("0.000000001")
    store.insert_events(event_factory(cost=nano) for _ in range(1234))
    period = parse_period("2026-11-01..2026-11-30")
    assert totals(store, period, None).cost_usd == nano * 1234
    # Beyond 9 decimals: half-even at the 10th digit.
    store.insert_events(
        [
            event_factory(event_id="r1", cost=Decimal("0.0000000025")),  # -> 0.000000002
            event_factory(event_id="r2", cost=Decimal("0.0000000035")),  # -> 0.000000004
            event_factory(event_id="r3", cost=Decimal("0.00000000251")),  # -> 0.000000003
        ]
    )
    costs = {e.event_id: e.cost_usd for e in store.iter_events(None, None) if e.event_id.startswith("r")}
    assert costs == {"r1": Decimal("0.000000002"), "r2": Decimal("0.000000004"), "r3": Decimal("0.000000003")}
    big = Decimal("12345.678901234")
    store.insert_events([event_factory(event_id="big", cost=big)])
    assert totals(store, period, None).cost_usd == nano * 1234 + Decimal("0.000000009") + big


def test_unpriced_events_store_null_cost(store, event_factory) -> None:
    store.insert_events([event_factory(event_id="u", cost=None, model="mystery-model")])
    (event,) = store.iter_events(None, None)
    assert event.cost_usd is None and event.cost_status == "unpriced"
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT cost_nanos FROM events")).scalar() is None


def test_iter_events_filters_and_pages(store, event_factory) -> None:
    from tokenbudget.core.analytics import EventFilter
    from tokenbudget.core.periods import Period

    events = [
        event_factory(
            occurred_at=T0 + timedelta(hours=i),
            project="a" if i % 2 else "b",
            cost=None if i % 5 == 0 else Decimal(1),
        )
        for i in range(25)
    ]
    store.insert_events(events)
    assert [e.event_id for e in store.iter_events(None, None, batch_size=4)] == [e.event_id for e in events]
    period = Period(T0 + timedelta(hours=3), T0 + timedelta(hours=10), "x")
    got = [e.event_id for e in store.iter_events(period, EventFilter(project="a"), batch_size=2)]
    assert got == [e.event_id for e in events if period.contains(e.occurred_at) and e.project == "a"]
    unpriced = [e.event_id for e in store.iter_events(None, None, only_unpriced=True)]
    assert unpriced == [e.event_id for e in events if e.cost_usd is None]


def test_update_costs_reprices_in_bulk(store, event_factory) -> None:
    store.insert_events([event_factory(event_id=f"x{i}", cost=None, model="new-model") for i in range(3)])
    updates = [
        CostUpdate(
            f"x{i}", price_key="new-model", cost_usd=Decimal("0.5"), cost_status="priced", price_version="v2"
        )
        for i in range(2)
    ]
    updates.append(
        CostUpdate("missing", price_key=None, cost_usd=None, cost_status="unpriced", price_version=None)
    )
    assert store.update_costs(updates) == 2
    by_id = {e.event_id: e for e in store.iter_events(None, None)}
    assert by_id["x0"].cost_usd == Decimal("0.5") and by_id["x0"].price_version == "v2"
    assert by_id["x0"].cost_status == "priced" and by_id["x0"].price_key == "new-model"
    assert by_id["x2"].cost_usd is None
    assert [e.event_id for e in store.iter_events(None, None, only_unpriced=True)] == ["x2"]


def test_delete_events_by_prefix_treats_underscore_literally(store, event_factory) -> None:
    store.insert_events([event_factory(event_id=i) for i in ("demo_1", "demo_2", "demoX1", "real_1")])
    assert store.delete_events(event_id_prefix="demo_") == 2
    assert sorted(e.event_id for e in store.iter_events(None, None)) == ["demoX1", "real_1"]
    with pytest.raises(ValueError):
        store.delete_events(event_id_prefix="")


def test_custom_prices_round_trip_exactly(store) -> None:
    price = CustomPrice(
        model="Acme-Large",
        input_per_token=Decimal("0.0000012345678901234567"),
        output_per_token=Decimal("1E-7"),
        cache_read_per_token=Decimal("0.00000000"),
        cache_write_per_token=None,
        provider="acme",
    )
    saved = store.set_custom_price(price)
    assert saved.model == "acme-large" and saved.updated_at is not None
    assert saved.updated_at.tzinfo is not None
    (back,) = store.list_custom_prices()
    assert back.input_per_token == price.input_per_token
    assert str(back.input_per_token) == "0.0000012345678901234567"
    assert str(back.cache_read_per_token) == "0E-8"
    assert back.cache_write_per_token is None and back.provider == "acme"
    # Setting again replaces, never duplicates.
    store.set_custom_price(
        CustomPrice(model="ACME-LARGE", input_per_token=Decimal(1), output_per_token=Decimal(2))
    )
    (replaced,) = store.list_custom_prices()
    assert replaced.input_per_token == Decimal(1) and replaced.provider is None
    assert store.delete_custom_price("acme-LARGE") is True
    assert store.delete_custom_price("acme-large") is False
    assert store.list_custom_prices() == []


def test_price_versions_register_idempotently(store) -> None:
    store.register_price_version("litellm-2026-11-01", source="bundled", content_hash="abc", model_count=10)
    store.register_price_version("litellm-2026-11-01", source="bundled", content_hash="abc", model_count=10)
    store.register_price_version("litellm-2026-11-20", source="sync", content_hash="def", model_count=12)
    versions = store.list_price_versions()
    assert [v["version"] for v in versions] == ["litellm-2026-11-01", "litellm-2026-11-20"]
    assert versions[1]["model_count"] == 12 and versions[1]["created_at"].tzinfo is not None


def test_concurrent_first_opens_of_a_new_store_all_succeed(store_settings: Settings) -> None:
    # Threads (the SDK's shipper and the app) and processes (the SDK and `tb`) may open a new store at once.
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    def open_and_count(_: int) -> int:
        with open_store(store_settings) as opened:
            return opened.count_events()

    code = (
        "import sys; from tokenbudget.core.settings import Settings; from tokenbudget.core.store import open_store;"
        "s = Settings.resolve(environ={'TOKENBUDGET_HOME': sys.argv[1], 'TOKENBUDGET_DATABASE_URL': sys.argv[2]});"
        "print(open_store(s).count_events())"
    )
    url = store_settings.database_url
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(store_settings.home), url], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(open_and_count, range(3))) == [0, 0, 0]
    assert [p.communicate(timeout=60)[0].strip() for p in procs] == ["0", "0", "0"]
    assert all(p.returncode == 0 for p in procs)


def test_empty_strings_are_stored_as_none(store, event_factory) -> None:
    store.insert_events([event_factory(feature="", env="", user_id="", provider="")])
    (back,) = store.iter_events(None, None)
    assert (back.feature, back.env, back.user_id, back.provider) == (None, None, None, None)
    store.rebuild_rollups()  # the repair path runs on both engines
    assert store.count_events() == 1


def test_a_batch_the_database_refuses_leaves_nothing_and_the_next_one_lands(store, event_factory) -> None:
    # The first batch of a fresh store also creates the PostgreSQL path's staging table; its rollback takes the
    # table with it, and the next batch must still land.
    refused = [event_factory(), event_factory(project=None)]  # NOT NULL: the whole batch is refused
    with pytest.raises(sa.exc.IntegrityError):
        store.insert_events(refused)
    assert store.count_events() == 0
    assert store.insert_events([event_factory(), event_factory()]) == InsertResult(inserted=2, duplicates=0)
    assert store.count_events() == 2
