"""`tb budgets` through the real entry point, on both engines: set/update, list, status, check exit codes, rm."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from decimal import Decimal

from tests.cli.runner import run_tb
from tokenbudget.core.store import open_store


def _spend(store_settings, event_factory, **projects: str) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    with open_store(store_settings) as store:
        store.insert_events(
            [event_factory(cost=Decimal(cost), occurred_at=now, project=p) for p, cost in projects.items()]
        )


def test_set_list_update_and_rm(tb_env) -> None:
    created = run_tb(
        [
            "budgets",
            "set",
            "checkout",
            "--scope",
            "project:checkout",
            "--period",
            "monthly",
            "--limit",
            "500",
            "--format",
            "json",
        ],
        tb_env,
    )
    assert created.returncode == 0, created.stderr
    budget = created.json()["budget"]
    assert created.json()["created"] is True
    assert (budget["scope"], budget["project"], budget["limit_usd"], budget["thresholds"]) == (
        "project:checkout",
        "checkout",
        "500.000000000",
        [50, 80, 100],
    )
    updated = run_tb(["budgets", "set", "checkout", "--limit", "750.5", "--thresholds", "80,100"], tb_env)
    assert updated.returncode == 0 and "Updated budget checkout" in updated.stdout
    listed = run_tb(["budgets", "list", "--format", "json"], tb_env).json()["budgets"]
    assert [(b["name"], b["scope"], b["period"], b["limit_usd"], b["thresholds"]) for b in listed] == [
        ("checkout", "project:checkout", "monthly", "750.500000000", [80, 100])
    ]
    rows = list(csv.DictReader(io.StringIO(run_tb(["budgets", "list", "--format", "csv"], tb_env).stdout)))
    assert rows[0]["limit_usd"] == "750.500000000" and rows[0]["thresholds"] == "80,100"
    table = run_tb(["budgets", "list"], tb_env)
    assert "checkout" in table.stdout and "$750.50" in table.stdout
    assert run_tb(["budgets", "rm", "checkout"], tb_env).returncode == 0
    assert run_tb(["budgets", "list", "--format", "json"], tb_env).json() == {"budgets": []}
    missing = run_tb(["budgets", "rm", "checkout"], tb_env)
    assert missing.returncode == 1 and "no budget named 'checkout'" in missing.stderr


def test_bad_input_is_one_line_and_exit_2(tb_env) -> None:
    for args, message in (
        (["budgets", "set", "x"], "--limit is required"),
        (["budgets", "set", "x", "--limit", "-5"], "limit must be more than 0"),
        (["budgets", "set", "x", "--limit", "5", "--scope", "team:a"], "unknown scope"),
        (["budgets", "set", "x", "--limit", "5", "--period", "yearly"], "unknown period"),
        (["budgets", "set", "x", "--limit", "5", "--thresholds", "abc"], "thresholds"),
        (["budgets", "set", "x", "--limit", "5", "--timezone", "Mars/Olympus"], "unknown time zone"),
    ):
        result = run_tb(args, tb_env)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_status_json_csv_and_table(tb_env, store_settings, event_factory) -> None:
    _spend(store_settings, event_factory, checkout="30", search="5")
    run_tb(["budgets", "set", "co", "--scope", "project:checkout", "--limit", "40"], tb_env)
    run_tb(
        ["budgets", "set", "all", "--limit", "20", "--period", "daily", "--timezone", "Europe/Paris"], tb_env
    )
    data = run_tb(["budgets", "status", "--format", "json"], tb_env).json()["budgets"]
    by_name = {b["name"]: b for b in data}
    assert (by_name["co"]["spent_usd"], by_name["co"]["percent"], by_name["co"]["crossed"]) == (
        "30.000000000",
        "75.0",
        [50],
    )
    assert by_name["all"]["spent_usd"] == "35.000000000" and by_name["all"]["state"] == "over"
    assert by_name["all"]["timezone"] == "Europe/Paris"
    assert {"forecast_usd", "forecast_percent", "run_out_at", "burn_rate_usd_per_day", "period_start"} <= set(
        by_name["co"]
    )
    one = run_tb(["budgets", "status", "co", "--format", "csv"], tb_env).stdout
    rows = list(csv.DictReader(io.StringIO(one)))
    assert [(r["name"], r["spent_usd"], r["percent"]) for r in rows] == [("co", "30.000000000", "75.0")]
    table = run_tb(["budgets", "status"], tb_env)
    assert table.returncode == 0
    assert "$30.00" in table.stdout and "75.0%" in table.stdout and "over" in table.stdout
    unknown = run_tb(["budgets", "status", "nope"], tb_env)
    assert unknown.returncode == 1 and "no budget named 'nope'" in unknown.stderr


def test_check_exit_codes(tb_env, store_settings, event_factory) -> None:
    assert run_tb(["budgets", "check"], tb_env).returncode == 0  # no budgets: nothing is over
    _spend(store_settings, event_factory, checkout="30")
    run_tb(["budgets", "set", "co", "--scope", "project:checkout", "--limit", "40"], tb_env)
    assert run_tb(["budgets", "check"], tb_env).returncode == 0  # 75% < 100%
    over = run_tb(["budgets", "check", "--fail-over", "75", "--format", "json"], tb_env)
    assert over.returncode == 3
    assert over.json()["over"] == ["co"] and over.json()["fail_over"] == "75"
    table = run_tb(["budgets", "check", "--fail-over", "50"], tb_env)
    assert table.returncode == 3 and "co" in table.stderr
    assert run_tb(["budgets", "check", "--fail-over", "75.1"], tb_env).returncode == 0
    assert run_tb(["budgets", "check", "--fail-over", "-1"], tb_env).returncode == 2
