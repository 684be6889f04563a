"""End-to-end tests of `tb`: the real console entry point in a subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.runner import run_tb


def _event_line(**fields) -> str:
    return json.dumps(fields)


def test_version_and_help_are_instant_and_touch_no_store(tb_env):
    result = run_tb(["--version"], tb_env)
    assert result.returncode == 0
    assert result.stdout.startswith("tb (tokenbudget) ")
    help_ = run_tb(["--help"], tb_env)
    assert help_.returncode == 0
    for command in ("report", "pricing", "reprice", "import", "demo", "db"):
        assert command in help_.stdout
    assert not any(Path(tb_env["TOKENBUDGET_HOME"]).rglob("*.db")), "--help must not create a store"


def test_demo_defaults_to_sixty_days_so_a_30_day_report_has_a_previous_period(tb_env):
    # The README's first command: `tb demo && tb report --period 30d`.
    demo = run_tb(["demo", "--scale", "0.2"], tb_env)
    assert demo.returncode == 0 and "over 60 day(s)" in demo.stdout, demo.stderr
    data = run_tb(["report", "--period", "30d", "--format", "json"], tb_env).json()
    previous, current = data["previous"], data["totals"]
    assert previous["requests"] > 0.5 * current["requests"]  # a full period to compare with, not a sliver


def test_demo_then_report_json_matches_import_of_same_store(tb_env):
    demo = run_tb(["demo", "--days", "10", "--seed", "7"], tb_env)
    assert demo.returncode == 0, demo.stderr
    again = run_tb(["demo", "--days", "10", "--seed", "7"], tb_env)
    assert "already there" in again.stdout  # same seed: nothing new
    data = run_tb(["report", "--period", "30d", "--format", "json"], tb_env).json()
    totals = data["totals"]
    assert totals["requests"] > 1000
    assert Decimal(totals["cost_usd"]) > 0
    assert totals["unpriced_requests"] > 0  # the demo includes a model with no price
    rows = data["breakdown"]["rows"]
    assert sum(Decimal(r["cost_usd"]) for r in rows) == Decimal(totals["cost_usd"])
    assert sum(r["requests"] for r in rows) == totals["requests"]
    # the table view flags unpriced calls loudly
    table = run_tb(["report", "--period", "30d"], tb_env)
    assert table.returncode == 0
    assert "have no price" in table.stdout


def test_import_keeps_good_lines_reports_bad_ones_and_is_idempotent(tb_env, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    lines = [
        _event_line(event_id="a1", occurred_at=(now - timedelta(hours=1)).isoformat(), model="gpt-4o",
                    input_tokens=1000, output_tokens=500, feature="search"),
        "{not json",
        _event_line(event_id="a2", occurred_at=(now - timedelta(hours=2)).isoformat(), model="gpt-4o",
                    input_tokens=100, cache_read_input_tokens=200, output_tokens=5),
        _event_line(event_id="a3", occurred_at=(now - timedelta(hours=3)).isoformat(),
                    model="claude-sonnet-4-5", provider="anthropic", input_tokens=2000,
                    cache_write_input_tokens=1000, output_tokens=100, feature="chat"),
        _event_line(event_id="a4", occurred_at=(now - timedelta(hours=4)).isoformat(), model="no-such-model-x",
                    input_tokens=10, output_tokens=10),
    ]  # fmt: skip
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines) + "\n")
    first = run_tb(["import", str(path), "--format", "json"], tb_env)
    assert first.returncode == 1  # a line was rejected ...
    summary = first.json()
    assert summary["inserted"] == 3  # ... and the good ones are kept
    assert summary["unpriced"] == 1
    assert [r["line"] for r in summary["rejected"]] == [2, 3]
    assert "cache" in summary["rejected"][1]["error"]
    second = run_tb(["import", str(path), "--format", "json"], tb_env).json()
    assert second["inserted"] == 0 and second["duplicates"] == 3

    # the report's total is exactly the sum of `tb pricing cost` for the priced calls
    expected = Decimal(0)
    for args in (
        ["gpt-4o", "--input", "1000", "--output", "500"],
        [
            "claude-sonnet-4-5",
            "--provider",
            "anthropic",
            "--input",
            "2000",
            "--cache-write",
            "1000",
            "--output",
            "100",
        ],
    ):
        expected += Decimal(run_tb(["pricing", "cost", *args, "--format", "json"], tb_env).json()["total"])
    report = run_tb(["report", "--period", "7d", "--format", "json", "--by", "feature"], tb_env).json()
    assert Decimal(report["totals"]["cost_usd"]) == expected.quantize(Decimal("1e-9"))
    assert report["totals"]["requests"] == 3 and report["totals"]["unpriced_requests"] == 1
    assert {r["key"] for r in report["breakdown"]["rows"]} == {"search", "chat", "(none)"}


def test_custom_price_then_reprice_prices_the_unpriced(tb_env, tmp_path):
    now = datetime.now(timezone.utc)
    path = tmp_path / "calls.csv"
    path.write_text(
        "event_id,occurred_at,model,input_tokens,output_tokens\n"
        f"b1,{(now - timedelta(hours=1)).isoformat()},acme-llm-2,1000000,1000000\n"
        f"b2,{(now - timedelta(hours=2)).isoformat()},acme-llm-2,2000000,0\n"
    )
    assert run_tb(["import", str(path)], tb_env).returncode == 0
    before = run_tb(["report", "--format", "json"], tb_env).json()["totals"]
    assert before["unpriced_requests"] == 2 and Decimal(before["cost_usd"]) == 0
    set_ = run_tb(["pricing", "set", "acme-llm-2", "--input-per-1m", "1.25", "--output-per-1m", "10"], tb_env)
    assert set_.returncode == 0, set_.stderr
    dry = run_tb(["reprice", "--dry-run", "--format", "json"], tb_env).json()
    assert dry["changed"] == 2 and dry["written"] == 0
    assert Decimal(dry["new_cost_usd"]) == Decimal("1.25") + Decimal("10") + Decimal("2.5")
    assert run_tb(["report", "--format", "json"], tb_env).json()["totals"]["unpriced_requests"] == 2
    done = run_tb(["reprice", "--yes", "--format", "json"], tb_env).json()
    assert done["written"] == 2
    after = run_tb(["report", "--format", "json"], tb_env).json()["totals"]
    assert after["unpriced_requests"] == 0 and Decimal(after["cost_usd"]) == Decimal("13.75")
    listed = run_tb(["pricing", "list", "--custom", "--format", "json"], tb_env).json()
    assert [m["model"] for m in listed["models"]] == ["acme-llm-2"]
    assert run_tb(["pricing", "unset", "acme-llm-2"], tb_env).returncode == 0
    missing = run_tb(["pricing", "unset", "acme-llm-2"], tb_env)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["report", "--period", "last-week"], "period"),
        (["report", "--by", "colour"], "--by"),
        (["pricing", "cost", "gpt-4o", "--input", "10", "--cache-read", "20"], "cache"),
        (["pricing", "cost", "definitely-not-a-model"], "definitely-not-a-model"),
        (["pricing", "set", "x", "--input-per-1m", "abc", "--output-per-1m", "1"], "--input-per-1m"),
        (["import", "/no/such/file.jsonl"], "no such file"),
    ],
)
def test_bad_input_is_one_clear_line(tb_env, args, needle):
    result = run_tb(args, tb_env)
    assert result.returncode in (1, 2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_db_current_and_upgrade(tb_env):
    first = run_tb(["db", "upgrade"], tb_env)
    assert first.returncode == 0, first.stderr
    info = run_tb(["db", "current", "--format", "json"], tb_env).json()
    assert info["up_to_date"] is True and info["current_revision"] == info["head_revision"]
    assert "***" in info["database_url"] or info["dialect"] == "sqlite" or "@" in info["database_url"]


def test_pricing_cost_breakdown_json(tb_env):
    out = run_tb(
        ["pricing", "cost", "gpt-4o-2024-08-06", "--input", "1000", "--cache-read", "400", "--output", "100",
         "--format", "json"],
        tb_env,
    ).json()  # fmt: skip
    parts = ("uncached_input", "cache_read", "cache_write", "output", "reasoning")
    assert sum(Decimal(out[p]) for p in parts) == Decimal(out["total"])
    assert out["model_key"].startswith("gpt-4o")


def test_report_csv_has_documented_header(tb_env):
    run_tb(["demo", "--days", "3"], tb_env)
    result = run_tb(["report", "--format", "csv", "--by", "provider"], tb_env)
    header = result.stdout.splitlines()[0]
    assert header.startswith("key,cost_usd,requests,")


def test_every_view_renders_on_a_demo_store(tb_env):
    """Each table view and breakdown dimension renders without error on realistic data."""
    assert run_tb(["demo", "--days", "8", "--seed", "3"], tb_env).returncode == 0
    for by in ("model", "provider", "feature", "user", "env", "project", "day", "week", "month"):
        table = run_tb(["report", "--period", "7d", "--by", by, "--top", "5"], tb_env)
        assert table.returncode == 0, (by, table.stderr)
        assert f"Cost by {by}" in table.stdout
        as_json = run_tb(["report", "--period", "7d", "--by", by, "--format", "json"], tb_env).json()
        rows = as_json["breakdown"]["rows"]
        assert sum(Decimal(r["cost_usd"]) for r in rows) == Decimal(as_json["totals"]["cost_usd"])
    for args in (
        ["pricing", "list", "--provider", "anthropic"],
        ["pricing", "show", "gemini-2.5-pro"],
        ["pricing", "show", "aiml/dall-e-3"],
        ["pricing", "cost", "gemini-2.5-pro", "--input", "300000", "--output", "10"],
        ["reprice", "--dry-run"],
        ["db", "current"],
    ):
        result = run_tb(args, tb_env)
        assert result.returncode == 0, (args, result.stderr)
    shown = run_tb(["pricing", "show", "gemini-2.5-pro", "--format", "json"], tb_env).json()
    assert shown["tiers"][0]["above_tokens"] == 200000
    tiered = run_tb(
        ["pricing", "cost", "gemini-2.5-pro", "--input", "200001", "--format", "json"], tb_env
    ).json()
    assert tiered["tier_threshold"] == 200000
    assert Decimal(tiered["total"]) == 200001 * Decimal(shown["tiers"][0]["input_per_1m"]) / 1_000_000


def test_import_from_stdin(tb_env):
    line = json.dumps({"event_id": "s1", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 10})
    result = run_tb(["import", "-", "--format", "json"], tb_env, stdin=line + "\n")
    assert result.returncode == 0, result.stderr
    assert result.json()["inserted"] == 1
    again = run_tb(["import", "-", "--format", "json"], tb_env, stdin=line + "\n").json()
    assert again["inserted"] == 0 and again["duplicates"] == 1
