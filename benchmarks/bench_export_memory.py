"""Benchmark: peak memory of `tb export csv` over a large store, next to `tb --version` as the baseline.

    python benchmarks/bench_export_memory.py [--events 1000000] [--url URL] [--period all] [--pdf-period 30d]

Fills the store (as bench_report.py does: `Store.insert_events`, N synthetic events over the last 90 days) unless
the store given with --url already holds N events, then runs, each in its own process, as a user would:

  1. `tb --version`                                  (the interpreter + CLI baseline)
  2. `tb export csv --period all -o FILE`            (every event, streamed)
  3. `tb export pdf --period 30d -o FILE`            (a month of a busy project)

and prints each one's peak RSS (the child's own ru_maxrss, from os.wait4 in a small launcher process) and
wall time. Target: the CSV export of 1,000,000 events stays under 200 MB. The CSV is read back to check that it holds every event of the period.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_report import fill

from tokenbudget.core.analytics import totals
from tokenbudget.core.periods import parse_period
from tokenbudget.core.settings import Settings
from tokenbudget.core.store import open_store

TARGET_MB = 200


# Linux carries a process's peak RSS across fork+exec, so the measured command is started by this tiny launcher
# (~10 MB) rather than by the benchmark process itself, which may hold hundreds of MB after filling the store.
LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.execv(sys.executable, [sys.executable, "-m", "tokenbudget.cli", *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, time.perf_counter() - started, os.waitstatus_to_exitcode(status))
"""


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of `python -m tokenbudget.cli ARGS` in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *args], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]) / 1024, float(out[1]), int(out[2])  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--url", help="database URL (default: a new SQLite file in a temp dir)")
    parser.add_argument("--period", default="all", help="period of the CSV export")
    parser.add_argument("--pdf-period", default="30d", help="period of the PDF export ('' to skip)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="tb-bench-export-")
    environ = {"TOKENBUDGET_HOME": home}
    if args.url:
        environ["TOKENBUDGET_DATABASE_URL"] = args.url
    settings = Settings.resolve(environ=environ)
    with open_store(settings) as store:
        print(f"store: {store.url}")
        now = fill(store, args.events)
        expected = totals(store, parse_period(args.period, now=now)).requests
        month = totals(store, parse_period(args.pdf_period, now=now)).requests if args.pdf_period else 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENBUDGET_")}
    env.update({"TOKENBUDGET_HOME": home, "TOKENBUDGET_DATABASE_URL": settings.database_url})
    out = Path(home) / "export.csv"

    base_mb, base_s, _ = run_measured(["--version"], env)
    csv_mb, csv_s, code = run_measured(["export", "csv", "--period", args.period, "-o", str(out)], env)
    if code != 0:
        raise SystemExit(f"tb export csv failed with exit code {code}")
    with out.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1  # no field holds a newline (ids, names and tags are one-line)
    size_mb = out.stat().st_size / 1e6
    out.unlink()

    print(f"baseline  tb --version                        peak RSS {base_mb:7.1f} MB   {base_s:6.2f} s")
    print(
        f"tool      tb export csv --period {args.period:<14} peak RSS {csv_mb:7.1f} MB   {csv_s:6.2f} s   "
        f"{rows:,} rows ({size_mb:,.0f} MB of CSV, {rows / csv_s:,.0f} rows/s)"
    )
    verdict = "OK" if csv_mb < TARGET_MB else "OVER TARGET"
    print(f"          export - baseline = {csv_mb - base_mb:.1f} MB; target < {TARGET_MB} MB peak: {verdict}")
    if rows != expected:
        raise SystemExit(f"the CSV holds {rows:,} rows, the store {expected:,} events in the period")
    if args.pdf_period:
        pdf = Path(home) / "report.pdf"
        pdf_mb, pdf_s, code = run_measured(
            ["export", "pdf", "--period", args.pdf_period, "-o", str(pdf)], env
        )
        if code != 0:
            raise SystemExit(f"tb export pdf failed with exit code {code}")
        print(
            f"tool      tb export pdf --period {args.pdf_period:<14} peak RSS {pdf_mb:7.1f} MB   {pdf_s:6.2f} s   "
            f"({month:,} events in the period, {pdf.stat().st_size / 1024:,.0f} KiB PDF)"
        )


if __name__ == "__main__":
    main()
