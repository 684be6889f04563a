"""How long `tb --version` and `tb --help` take to start, next to `python -c "import typer"` as the baseline.

Each command runs as a whole process (what a user waits for), a warm-up run first, then the median of N runs.
The target is a ratio of at most 1.3 to the baseline: a CLI on Typer should cost little more than Typer itself.
It also lists which heavy modules `tb --help` imports; help and version must not pay for the store, the server
or the TUI.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.3
HEAVY_MODULES = ("sqlalchemy", "pydantic", "fastapi", "textual", "tokenbudget.core.store")

# Runs `tb --help` in-process exactly as `python -m tokenbudget.cli` would, then reports which of the heavy
# modules got imported. SystemExit is expected: Typer exits after printing help.
_PROBE = """
import contextlib, io, json, runpy, sys
sys.argv = ["tb", "--help"]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        runpy.run_module("tokenbudget.cli", run_name="__main__")
    except SystemExit:
        pass
heavy = {heavy!r}
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def tb_command() -> list[str]:
    """The `tb` console script next to this interpreter if installed, else `python -m tokenbudget.cli`."""
    script = Path(sys.executable).with_name("tb.exe" if os.name == "nt" else "tb")
    if script.exists():
        return [str(script)]
    found = shutil.which("tb")
    if found and Path(found).resolve().parent == Path(sys.executable).resolve().parent:
        return [found]
    return [sys.executable, "-m", "tokenbudget.cli"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    # A throwaway home: startup must not depend on (or touch) the user's real store and config.
    env["TOKENBUDGET_HOME"] = tempfile.mkdtemp(prefix="tb-bench-")
    # This checkout first, so the benchmark measures the code next to it even when not installed.
    repo = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH")) if p)
    env["NO_COLOR"] = "1"
    return env


def time_once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode().strip()[-500:]}")
    return elapsed


def median_seconds(cmd: list[str], env: dict[str, str], runs: int) -> float:
    time_once(cmd, env)  # warm-up: fills the OS file cache and writes .pyc files
    return statistics.median(time_once(cmd, env) for _ in range(runs))


def heavy_imports(env: dict[str, str]) -> list[str]:
    probe = _PROBE.format(heavy=HEAVY_MODULES)
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"import probe failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (after one warm-up)")
    args = parser.parse_args(argv)
    env = environment()
    tb = tb_command()

    cases = [
        ("baseline: python -c 'import typer'", [sys.executable, "-c", "import typer"]),
        ("tb --version", [*tb, "--version"]),
        ("tb --help", [*tb, "--help"]),
    ]
    medians = {label: median_seconds(cmd, env, args.runs) for label, cmd in cases}
    baseline = medians[cases[0][0]]

    print(
        f"Startup, median of {args.runs} runs after a warm-up ({' '.join(tb)}; Python {sys.version.split()[0]})"
    )
    print(f"{'command':<38} {'median ms':>10} {'ratio':>7}  target <= {TARGET_RATIO}")
    worst = 0.0
    for label, _ in cases:
        ratio = medians[label] / baseline
        verdict = "" if label == cases[0][0] else ("ok" if ratio <= TARGET_RATIO else "SLOW")
        if label != cases[0][0]:
            worst = max(worst, ratio)
        print(f"{label:<38} {medians[label] * 1000:>10.1f} {ratio:>7.2f}  {verdict}")

    heavy = heavy_imports(env)
    print()
    if heavy:
        print(f"`tb --help` imports heavy modules: {', '.join(heavy)}")
    else:
        print(f"`tb --help` imports none of: {', '.join(HEAVY_MODULES)}")
    return 0 if worst <= TARGET_RATIO and not heavy else 1


if __name__ == "__main__":
    sys.exit(main())
