"""Run the real `tb` entry point in a subprocess, the way a user's shell does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass
class TbResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"not JSON (exit {self.returncode}): {self.stdout!r} {self.stderr!r}"
            ) from exc


def run_tb(
    args: list[str], env: dict[str, str], *, stdin: str | None = None, timeout: float = 120
) -> TbResult:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENBUDGET_")}
    full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-m", "tokenbudget.cli", *args],
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return TbResult(proc.returncode, proc.stdout, proc.stderr)
