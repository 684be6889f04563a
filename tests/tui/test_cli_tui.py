"""`tb tui` through the real entry point (argument errors), and the --demo store helpers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.cli.runner import run_tb
from tests.tui.conftest import NOW


def test_bad_period_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_tb(["tui", "--period", "90d"], {"TOKENBUDGET_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: --period must be one of today, 7d, 30d, mtd, got '90d'"


def test_demo_and_remote_exclude_each_other(tmp_path: Path) -> None:
    result = run_tb(["tui", "--demo", "--remote", "http://x"], {"TOKENBUDGET_HOME": str(tmp_path)})
    assert result.returncode == 2 and "cannot be combined" in result.stderr


def test_demo_store_and_live_feeder(store: Any) -> None:
    from tokenbudget.tui.demo import DemoFeeder, fill_demo_store

    stored = fill_demo_store(store, days=2, seed=3, now=NOW)
    assert stored == store.count_events() > 0
    assert {b.name for b in store.list_budgets()} == {"monthly-total", "support-daily", "checkout-weekly"}
    feeder = DemoFeeder(store, seed=3)
    feeder.add_calls(3)
    newest = store.latest_events(3)
    assert len(newest) == 3 and all(e.event_id.startswith("demo_live_") for e in newest)
    assert all(datetime.now(timezone.utc) - e.occurred_at < timedelta(minutes=1) for e in newest)
