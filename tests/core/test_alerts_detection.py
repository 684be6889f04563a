"""Detection: one alert per (budget, period, threshold), forecast alerts once per period, and idempotency under
concurrent checkers (threads with their own connections, all hitting the INSERT at once) on both engines.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tokenbudget.core.alerts.channels import Channel
from tokenbudget.core.alerts.detection import candidates, detect, record
from tokenbudget.core.budgets import Budget, budget_status
from tokenbudget.core.store import alerts_repo, open_store
from tokenbudget.core.store.schema import alert_deliveries, alerts

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _count(store: Any, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_each_threshold_alerts_once_per_period(store, event_factory) -> None:
    store.insert_events([event_factory(cost=Decimal("55"), occurred_at=datetime(2026, 11, 2, tzinfo=UTC))])
    store.save_budget(Budget("b", "global", None, "monthly", Decimal(100)))
    alerts_repo.add_channel(store.engine, Channel("c", "webhook", "http://127.0.0.1:9/x"), NOW)
    assert [(a.kind, a.threshold_pct) for a in detect(store, now=NOW)] == [("threshold", 50)]
    assert detect(store, now=NOW + timedelta(minutes=5)) == []
    # More spend crosses 80 and 100: only those are new.
    store.insert_events([event_factory(cost=Decimal("50"), occurred_at=NOW)])
    assert [a.threshold_pct for a in detect(store, now=NOW + timedelta(minutes=10))] == [80, 100]
    # A new month starts from zero; spend in it alerts again under the new period key.
    december = datetime(2026, 12, 3, tzinfo=UTC)
    assert detect(store, now=december) == []
    store.insert_events([event_factory(cost=Decimal("51"), occurred_at=december)])
    new = detect(store, now=december + timedelta(hours=1))
    assert [a.threshold_pct for a in new if a.kind == "threshold"] == [50]
    history = alerts_repo.list_alerts(store.engine)
    assert [a["threshold_pct"] for a in history if a["kind"] == "threshold"] == [50, 100, 80, 50]
    assert all(len(a["deliveries"]) == 1 and a["deliveries"][0]["status"] == "pending" for a in history)
    assert history[0]["period_start"] == "2026-12-01T00:00:00+00:00"


def test_changing_the_limit_mid_period_re_arms_the_thresholds(store, event_factory) -> None:
    store.insert_events([event_factory(cost=Decimal("120"), occurred_at=datetime(2026, 11, 2, tzinfo=UTC))])
    store.save_budget(Budget("b", "global", None, "monthly", Decimal(100), thresholds=(50, 80, 100)))
    assert [a.threshold_pct for a in detect(store, now=NOW)] == [50, 80, 100]
    # Raised to $200: $120 is 60% of it, so 50% is crossed under the new limit (said once), 80 and 100 are not yet.
    store.save_budget(Budget("b", "global", None, "monthly", Decimal(200), thresholds=(50, 80, 100)))
    assert [a.threshold_pct for a in detect(store, now=NOW + timedelta(minutes=1))] == [50]
    assert detect(store, now=NOW + timedelta(minutes=2)) == []
    # Before the change, 80 and 100 would never have alerted again this month.
    store.insert_events([event_factory(cost=Decimal("45"), occurred_at=NOW)])
    # (The fast spend of the last days also makes the forecast reach the new limit: one forecast alert.)
    later = detect(store, now=NOW + timedelta(minutes=3))
    assert [(a.kind, a.threshold_pct) for a in later] == [("threshold", 80), ("forecast", 100)]
    history = alerts_repo.list_alerts(store.engine)
    assert sorted((a["kind"], a["threshold_pct"], Decimal(a["limit_usd"])) for a in history) == sorted(
        [("threshold", t, Decimal(100)) for t in (50, 80, 100)]
        + [("threshold", 50, Decimal(200)), ("threshold", 80, Decimal(200)), ("forecast", 100, Decimal(200))]
    )


def test_forecast_alert_fires_once_while_still_under_the_limit(store, event_factory) -> None:
    # 20/day lately, 40 spent, 100 limit: forecast well over 100, spend under every threshold.
    store.insert_events(
        [event_factory(cost=Decimal(20), occurred_at=NOW - timedelta(days=d, hours=1)) for d in range(2)]
    )
    store.save_budget(Budget("f", "global", None, "monthly", Decimal(100), thresholds=(90,)))
    first = detect(store, now=NOW)
    assert [(a.kind, a.threshold_pct) for a in first] == [("forecast", 100)]
    assert "forecast to exceed" in first[0].message
    assert detect(store, now=NOW + timedelta(hours=1)) == []
    # Once over the limit, there is nothing left to forecast.
    store.save_budget(Budget("f", "global", None, "monthly", Decimal(30), thresholds=(90,)))
    status = budget_status(store, store.get_budget("f"), now=NOW)
    assert candidates(status) == [("threshold", 90)]


def test_channels_confined_to_a_project_get_only_its_budgets(store, event_factory) -> None:
    store.insert_events(
        [
            event_factory(cost=Decimal(60), occurred_at=datetime(2026, 11, 2, tzinfo=UTC), project=p)
            for p in ("a", "b")
        ]
    )
    store.save_budget(Budget("a", "project", "a", "monthly", Decimal(100), project="a", thresholds=(50,)))
    store.save_budget(Budget("b", "project", "b", "monthly", Decimal(100), project="b", thresholds=(50,)))
    alerts_repo.add_channel(store.engine, Channel("all", "webhook", "http://127.0.0.1:9/a"), NOW)
    alerts_repo.add_channel(
        store.engine, Channel("only-a", "webhook", "http://127.0.0.1:9/b", project="a"), NOW
    )
    detect(store, now=NOW)
    by_budget = {
        a["budget"]: sorted(d["channel"] for d in a["deliveries"])
        for a in alerts_repo.list_alerts(store.engine)
    }
    assert by_budget == {"a": ["all", "only-a"], "b": ["all"]}


def test_concurrent_checkers_produce_one_alert_and_one_delivery_per_channel(
    store, store_settings, event_factory
) -> None:
    store.insert_events([event_factory(cost=Decimal(60), occurred_at=datetime(2026, 11, 2, tzinfo=UTC))])
    store.save_budget(Budget("race", "global", None, "monthly", Decimal(100), thresholds=(10, 20, 50)))
    for name in ("one", "two", "three"):
        alerts_repo.add_channel(store.engine, Channel(name, "webhook", f"http://127.0.0.1:9/{name}"), NOW)
    status = budget_status(store, store.get_budget("race"), now=NOW)
    workers = 8
    barrier = threading.Barrier(workers)
    won: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def checker() -> None:
        # Each checker is its own "process": its own engine and connections.
        try:
            with open_store(store_settings) as own:
                barrier.wait()
                for threshold in (10, 20, 50):
                    alert_id = record(own, status, "threshold", threshold)
                    if alert_id is not None:
                        with lock:
                            won.append(alert_id)
                # And a full detect pass, racing the others.
                detect(own, now=NOW)
        except BaseException as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=checker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(won) == 3 and len(set(won)) == 3
    assert _count(store, alerts) == 3
    assert _count(store, alert_deliveries) == 9  # 3 alerts x 3 channels


def test_the_unique_key_is_in_the_database(store, event_factory) -> None:
    """Even a writer that bypasses record() cannot store a second alert for the same key."""
    store.insert_events([event_factory(cost=Decimal(60), occurred_at=datetime(2026, 11, 2, tzinfo=UTC))])
    store.save_budget(Budget("u", "global", None, "monthly", Decimal(100), thresholds=(50,)))
    detect(store, now=NOW)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(alerts)).mappings().one()
    duplicate = {k: v for k, v in row.items() if k != "id"}
    try:
        with store.engine.begin() as conn:
            conn.execute(sa.insert(alerts).values(**duplicate))
    except sa.exc.IntegrityError:
        pass
    else:
        raise AssertionError("a duplicate alert was stored")


def test_migration_0006_keeps_existing_alerts_and_re_arms_on_a_new_limit(
    store_settings, event_factory
) -> None:
    with open_store(store_settings, migrate=False) as old:
        old.upgrade("0005_budgets_alerts")
        old.insert_events([event_factory(cost=Decimal(60), occurred_at=datetime(2026, 11, 2, tzinfo=UTC))])
        old.save_budget(Budget("m", "global", None, "monthly", Decimal(100), thresholds=(50,)))
        with old.engine.begin() as conn:  # an alert as release 0005 stored it (same columns and types)
            budget_id = conn.execute(sa.text("SELECT id FROM budgets WHERE name = 'm'")).scalar_one()
            conn.execute(
                sa.insert(alerts).values(
                    budget_id=budget_id,
                    kind="threshold",
                    threshold_pct=50,
                    period_start=datetime(2026, 11, 1, tzinfo=UTC),
                    period_end=datetime(2026, 12, 1, tzinfo=UTC),
                    spent_nanos=60 * 10**9,
                    limit_nanos=100 * 10**9,
                    message="crossed 50%",
                    payload={},
                    triggered_at=NOW,
                )
            )
        old.upgrade()
        assert old.current_revision() == old.head_revision() == "0006_alerts_rearm"
        assert _count(old, alerts) == 1
        assert detect(old, now=NOW) == []  # same period, same limit: already alerted
        old.save_budget(Budget("m", "global", None, "monthly", Decimal(110), thresholds=(50,)))
        assert [a.threshold_pct for a in detect(old, now=NOW)] == [50]
        assert _count(old, alerts) == 2
