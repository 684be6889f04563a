"""`tb alerts` through the real entry point, on both engines: channels, test sends to a real local receiver,
check (detect + deliver), history, and concurrent `tb alerts check` processes that must alert once.
"""

from __future__ import annotations

import concurrent.futures
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.cli.runner import run_tb
from tests.core.test_alerts_delivery import SECRET, Receiver
from tokenbudget.core.store import open_store


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    started = Receiver().start()
    yield started
    started.stop()


def _spend(store_settings, event_factory, cost: str) -> None:  # type: ignore[no-untyped-def]
    with open_store(store_settings) as store:
        store.insert_events([event_factory(cost=Decimal(cost), occurred_at=datetime.now(timezone.utc))])


def test_channels_add_list_rm_and_validation(tb_env) -> None:
    added = run_tb(
        ["alerts", "add", "slack", "https://hooks.slack.com/services/T0/B0/XYZSECRET", "--format", "json"],
        tb_env,
    )
    assert added.returncode == 0, added.stderr
    assert added.json()["kind"] == "slack" and "XYZSECRET" not in added.stdout  # the URL is a credential
    hook = run_tb(
        ["alerts", "add", "webhook", "https://ops.example.com/tb", "--secret", "k", "--name", "ops"], tb_env
    )
    assert hook.returncode == 0 and "signed" in hook.stdout
    listed = run_tb(["alerts", "list", "--format", "json"], tb_env).json()["channels"]
    assert sorted((c["name"], c["kind"], c["signed"]) for c in listed)[0] == ("ops", "webhook", True)
    assert len(listed) == 2
    assert "ops" in run_tb(["alerts", "list", "--format", "csv"], tb_env).stdout
    for args, code, message in (
        (["alerts", "add", "webhook", "ftp://example.com/x"], 2, "http:// or https://"),
        (["alerts", "add", "email", "https://example.com"], 2, "unknown channel kind"),
        (
            ["alerts", "add", "slack", "https://hooks.slack.com/x", "--secret", "s"],
            2,
            "--secret applies to webhook",
        ),
        (["alerts", "add", "webhook", "https://ops.example.com/tb", "--name", "ops"], 2, "already exists"),
        (["alerts", "rm", "nope"], 1, "no alert channel named 'nope'"),
    ):
        result = run_tb(args, tb_env)
        assert result.returncode == code and message in result.stderr, (args, result.stderr)
    assert run_tb(["alerts", "rm", "ops"], tb_env).returncode == 0
    assert len(run_tb(["alerts", "list", "--format", "json"], tb_env).json()["channels"]) == 1


def test_test_sends_a_signed_request_and_reports_failure(tb_env, receiver) -> None:
    run_tb(["alerts", "add", "webhook", receiver.url, "--secret", SECRET, "--name", "hook"], tb_env)
    ok = run_tb(["alerts", "test", "hook"], tb_env)
    assert ok.returncode == 0 and "HTTP 200" in ok.stdout
    assert receiver.verified(0)["type"] == "test"
    receiver.script[:] = [500]
    failed = run_tb(["alerts", "test", "hook"], tb_env)
    assert failed.returncode == 1 and "HTTP 500" in failed.stderr


def test_check_detects_delivers_and_history_shows_it(tb_env, store_settings, event_factory, receiver) -> None:
    _spend(store_settings, event_factory, "85")
    run_tb(["budgets", "set", "ops", "--limit", "100", "--thresholds", "50,80"], tb_env)
    run_tb(["alerts", "add", "webhook", receiver.url, "--secret", SECRET, "--name", "hook"], tb_env)
    receiver.script[:] = [500]  # the first delivery fails: retried by a later run
    first = run_tb(["alerts", "check", "--format", "json"], tb_env)
    assert first.returncode == 0, first.stderr
    data = first.json()
    assert sorted(a["threshold_pct"] for a in data["new_alerts"] if a["kind"] == "threshold") == [50, 80]
    assert data["delivery"]["retrying"] == 1 and data["delivery"]["sent"] == len(data["new_alerts"]) - 1
    again = run_tb(["alerts", "check", "--format", "json"], tb_env).json()
    assert again["new_alerts"] == []
    history = run_tb(["alerts", "history", "--format", "json"], tb_env).json()["alerts"]
    assert {a["budget"] for a in history} == {"ops"}
    statuses = [d["status"] for a in history for d in a["deliveries"]]
    assert statuses.count("pending") == 1 and all(
        d["channel"] == "hook" for a in history for d in a["deliveries"]
    )
    failed = [d for a in history for d in a["deliveries"] if d["status"] == "pending"]
    assert failed[0]["attempts"] == 1 and failed[0]["last_error"].startswith("HTTP 500")
    payloads = [receiver.verified(i) for i in range(len(receiver.requests))]
    assert all(p["budget"]["name"] == "ops" for p in payloads)
    assert "ops" in run_tb(["alerts", "history"], tb_env).stdout
    assert run_tb(["alerts", "deliver", "--format", "json"], tb_env).json()["sent"] == 0  # backoff not over


def test_concurrent_check_processes_alert_once(tb_env, store_settings, event_factory) -> None:
    _spend(store_settings, event_factory, "95")
    run_tb(["budgets", "set", "race", "--limit", "100", "--thresholds", "10,50,90"], tb_env)
    for n in range(2):
        run_tb(["alerts", "add", "webhook", f"http://127.0.0.1:9/{n}", "--name", f"c{n}"], tb_env)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(
                lambda _: run_tb(["alerts", "check", "--no-deliver", "--format", "json"], tb_env), range(4)
            )
        )
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    won = [a for r in results for a in r.json()["new_alerts"] if a["kind"] == "threshold"]
    assert sorted(a["threshold_pct"] for a in won) == [10, 50, 90]
    history = run_tb(["alerts", "history", "--format", "json"], tb_env).json()["alerts"]
    thresholds = [a for a in history if a["kind"] == "threshold"]
    assert len(thresholds) == 3 and all(len(a["deliveries"]) == 2 for a in thresholds)
