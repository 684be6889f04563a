"""`tb pricing sync` and `tb pricing changes` end to end: the real `tb` in a subprocess, a real local HTTP server,
on SQLite and PostgreSQL (the `tb_env` fixture)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.runner import run_tb
from tests.core import test_pricing_sync_helpers as helpers
from tests.core.test_pricing_sync_helpers import ADDED_MODEL, RAISED_MODEL, TableServer, add_model, modified

FAST = ["--retries", "0", "--timeout", "5"]


@pytest.fixture(scope="module")
def table_server() -> Iterator[TableServer]:
    with helpers.table_server() as server:
        yield server


def test_sync_cron_flow(tb_env: dict[str, str], table_server: TableServer) -> None:
    # Nothing new: quiet prints nothing, exit 0.
    same = run_tb(["pricing", "sync", "--source", table_server.url("/same.json"), "--quiet", *FAST], tb_env)
    assert (same.returncode, same.stdout, same.stderr) == (0, "", "")
    plain = run_tb(["pricing", "sync", "--source", table_server.url("/same.json"), *FAST], tb_env)
    assert plain.returncode == 0 and "up to date" in plain.stdout

    # Dry run: the diff, nothing stored.
    dry = run_tb(
        ["pricing", "sync", "--source", table_server.url("/raised.json"), "--dry-run", *FAST], tb_env
    )
    assert dry.returncode == 0, dry.stderr
    assert RAISED_MODEL in dry.stdout and "+20.0%" in dry.stdout and "Dry run" in dry.stdout
    shown = run_tb(["pricing", "show", RAISED_MODEL, "--format", "json"], tb_env).json()
    assert shown["input_per_1m"] == "2.5"

    # The real thing, quiet: it changed, so it speaks (JSON for scripts).
    synced = run_tb(
        ["pricing", "sync", "--source", table_server.url("/raised.json"), "-q", "-f", "json", *FAST], tb_env
    )
    assert synced.returncode == 0, synced.stderr
    result = synced.json()
    assert result["changed"] is True and result["stored"] is True and result["written"] == 1
    assert result["rate_changes"][0]["percent"] == "20.0"
    shown = run_tb(["pricing", "show", RAISED_MODEL, "--format", "json"], tb_env).json()
    assert shown["input_per_1m"] == "3"
    listed = run_tb(["pricing", "list", "--search", RAISED_MODEL, "--format", "json"], tb_env).json()
    assert listed["price_version"] == result["new_version"]

    # Run again from cron: nothing new, nothing printed.
    again = run_tb(["pricing", "sync", "--source", table_server.url("/raised.json"), "-q", *FAST], tb_env)
    assert (again.returncode, again.stdout) == (0, "")

    changes = run_tb(["pricing", "changes", "--format", "json"], tb_env)
    assert changes.returncode == 0, changes.stderr
    [row] = changes.json()["changes"]
    assert row["model"] == RAISED_MODEL and row["change"] == "changed"
    assert (row["old"], row["new"], row["percent"]) == ("0.0000025", "0.000003", "20.0")
    assert row["price_version"] == result["new_version"]
    table = run_tb(["pricing", "changes", "--since", "7d"], tb_env)
    assert table.returncode == 0 and RAISED_MODEL in table.stdout and "+20.0%" in table.stdout
    rows = list(csv.reader(io.StringIO(run_tb(["pricing", "changes", "-f", "csv"], tb_env).stdout)))
    assert rows[0] == ["detected_at", "model", "field", "change", "old", "new", "percent", "price_version"]
    assert rows[1][1:7] == [RAISED_MODEL, "input_cost_per_token", "changed", "0.0000025", "0.000003", "20.0"]
    other = run_tb(["pricing", "changes", "--model", "claude-sonnet-4-5", "-f", "json"], tb_env).json()
    assert other["changes"] == []


def test_failures_keep_the_old_book(tb_env: dict[str, str], table_server: TableServer) -> None:
    for path, extra, reason in (
        ("/malformed.json", [], "not valid JSON"),
        ("/truncated.json", [], "incomplete download"),
        ("/slow.json", ["--timeout", "0.3"], "timed out after 0.3 s"),
        ("/gone.json", [], "HTTP 404"),
    ):
        failed = run_tb(["pricing", "sync", "--source", table_server.url(path), "-q", *FAST, *extra], tb_env)
        assert failed.returncode == 1, (path, failed.stderr)
        assert failed.stdout == ""
        [line] = failed.stderr.strip().splitlines()
        assert line.startswith("Error: ") and reason in line, line
        assert line.endswith("the prices in force are unchanged"), line
    listed = run_tb(["pricing", "changes", "--since", "all", "-f", "json"], tb_env).json()
    assert listed["changes"] == []
    shown = run_tb(["pricing", "show", RAISED_MODEL, "--format", "json"], tb_env).json()
    assert shown["input_per_1m"] == "2.5"


def test_local_file_and_unpriced_calls_report(tb_env: dict[str, str], tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text(
        "\n".join(
            json.dumps({"event_id": f"c{i}", "model": ADDED_MODEL, "input_tokens": 1000, "output_tokens": 10})
            for i in range(12)
        )
        + "\n"
    )
    imported = run_tb(["import", str(calls), "--format", "json"], tb_env)
    assert imported.returncode == 0 and imported.json()["unpriced"] == 12, imported.stderr
    table = tmp_path / "prices.json"
    table.write_bytes(modified(add_model))
    synced = run_tb(["pricing", "sync", "--source", str(table)], tb_env)
    assert synced.returncode == 0, synced.stderr
    assert f"12 unpriced call(s) of model {ADDED_MODEL} can now be priced: run tb reprice" in synced.stdout
    repriced = run_tb(["reprice", "--yes", "--format", "json"], tb_env).json()
    assert repriced["written"] == 12


def test_bad_usage(tb_env: dict[str, str]) -> None:
    bad = run_tb(["pricing", "sync", "--format", "csv"], tb_env)
    assert bad.returncode == 2
    bad_since = run_tb(["pricing", "changes", "--since", "fortnight"], tb_env)
    assert bad_since.returncode == 2 and "Error:" in bad_since.stderr


def test_sync_notify_tells_a_webhook_about_models_in_use(tb_env: dict[str, str], tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from tests.core.test_alerts_delivery import Receiver

    receiver = Receiver().start()
    try:
        calls = tmp_path / "calls.jsonl"
        now = datetime.now(timezone.utc).isoformat()
        calls.write_text(json.dumps({"model": RAISED_MODEL, "input_tokens": 10, "occurred_at": now}) + "\n")
        assert run_tb(["import", str(calls)], tb_env).returncode == 0
        assert run_tb(["alerts", "add", "webhook", receiver.url, "--name", "ops"], tb_env).returncode == 0
        raised = tmp_path / "raised.json"
        raised.write_bytes(modified(helpers.raise_price))
        out = run_tb(
            ["pricing", "sync", "--source", str(raised), "--notify", "--format", "json"], tb_env
        ).json()
        assert out["notified"] == {"models": [RAISED_MODEL], "sent": ["ops"], "failed": []}
        assert json.loads(receiver.requests[0]["body"])["changes"][0]["model"] == RAISED_MODEL
    finally:
        receiver.stop()
