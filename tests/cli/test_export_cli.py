"""`tb export csv|pdf` through the real entry point, read back and compared with `tb report`. Both engines."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.runner import run_tb
from tests.core.test_exports_pdf import pdf_text, render_page
from tokenbudget.core.exports import EVENT_CSV_COLUMNS


@pytest.fixture
def demo_env(tb_env: dict[str, str]) -> dict[str, str]:
    result = run_tb(["demo", "--days", "20", "--scale", "0.2"], tb_env)
    assert result.returncode == 0, result.stderr
    return tb_env


def _report(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run_tb(["report", "--format", "json", *args], env)
    assert result.returncode == 0, result.stderr
    return result.json()


def test_csv_to_stdout_sums_to_the_report(demo_env: dict[str, str]) -> None:
    result = run_tb(["export", "csv", "--period", "all"], demo_env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and tuple(rows[0]) == EVENT_CSV_COLUMNS
    totals = _report(demo_env, "--period", "all")["totals"]
    assert sum((Decimal(r["cost_usd"]) for r in rows if r["cost_usd"]), Decimal(0)) == Decimal(
        totals["cost_usd"]
    )
    assert len(rows) == totals["requests"]
    assert sum(int(r["reasoning_tokens"]) for r in rows) == totals["reasoning_tokens"]
    assert sum(1 for r in rows if r["cost_status"] == "unpriced") == totals["unpriced_requests"] > 0


def test_csv_file_with_filters(demo_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    args = ["--period", "all", "--project", "search", "--env", "prod"]
    result = run_tb(["export", "csv", *args, "-o", str(target)], demo_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "Wrote" in result.stderr and str(target) in result.stderr
    assert not (tmp_path / "out.csv.part").exists()
    rows = list(csv.DictReader(target.open(newline="", encoding="utf-8")))
    totals = _report(demo_env, *args)["totals"]
    assert {(r["project"], r["env"]) for r in rows} == {("search", "prod")}
    assert sum((Decimal(r["cost_usd"]) for r in rows if r["cost_usd"]), Decimal(0)) == Decimal(
        totals["cost_usd"]
    )
    assert len(rows) == totals["requests"]


def test_csv_summary_equals_report_csv(demo_env: dict[str, str]) -> None:
    summary = run_tb(["export", "csv", "--period", "all", "--summary", "--by", "feature"], demo_env)
    report = run_tb(["report", "--period", "all", "--by", "feature", "--format", "csv"], demo_env)
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout == report.stdout


def test_pdf_export(demo_env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    result = run_tb(["export", "pdf", "--period", "all", "--project", "search", "-o", str(target)], demo_env)
    assert result.returncode == 0, result.stderr
    pdf = target.read_bytes()
    totals = _report(demo_env, "--period", "all", "--project", "search")["totals"]
    text = pdf_text(pdf)
    assert f"exact ${totals['cost_usd']}" in text
    assert f"{totals['requests']:,}" in text
    assert "project search" in text
    render_page(pdf)


def test_pdf_default_name_and_stdout(demo_env: dict[str, str], tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TOKENBUDGET_")}, **demo_env}
    proc = subprocess.run(
        [sys.executable, "-m", "tokenbudget.cli", "export", "pdf", "--period", "7d"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    made = list(tmp_path.glob("tokenbudget-report-7d-*.pdf"))
    assert len(made) == 1 and made[0].read_bytes().startswith(b"%PDF-")
    piped = subprocess.run(
        [sys.executable, "-m", "tokenbudget.cli", "export", "pdf", "--period", "7d", "-o", "-"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert piped.returncode == 0 and piped.stdout.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["csv", "--period", "fortnight"], 2, "unknown period"),
        (["csv", "--summary", "--by", "colour"], 2, "--by must be one of"),
        (["pdf", "--period", "2026-02-30..2026-03-01"], 2, "period"),
        (["csv", "-o", "/nonexistent-dir/x.csv"], 1, "cannot write /nonexistent-dir/x.csv"),
    ],
)
def test_errors_are_one_line(tb_env: dict[str, str], args: list[str], code: int, message: str) -> None:
    result = run_tb(["export", *args], tb_env)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
