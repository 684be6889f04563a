"""tb serve's process tuning (server/process.py), run in a child interpreter: it changes process-wide GC state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import gc, json
    from tokenbudget.core.settings import Settings
    from tokenbudget.server import create_app
    from tokenbudget.server.process import YOUNG_THRESHOLD, prepare_serving_process

    app = create_app(Settings.resolve())
    before = gc.get_freeze_count()
    prepare_serving_process(app)
    print(json.dumps({
        "before": before,
        "frozen": gc.get_freeze_count(),
        "young": gc.get_threshold()[0],
        "expected_young": YOUNG_THRESHOLD,
        "book_loaded": app.state.tb.books._book is not None,
    }))
    """
)


def test_serving_process_freezes_the_startup_heap_and_raises_the_young_threshold(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENBUDGET_")}
    env["TOKENBUDGET_HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == 0 and seen["frozen"] > 50_000  # FastAPI, pydantic, SQLAlchemy, the price book
    assert seen["young"] == seen["expected_young"] > 700  # CPython's default is 700
    assert seen["book_loaded"]  # built before the freeze, not on the first request
