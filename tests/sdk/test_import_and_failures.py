"""A light `import tokenbudget`, and local mode when the store is unreachable (kept, then written once it is back)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import tokenbudget

ROOT = Path(__file__).resolve().parents[2]


def test_import_tokenbudget_does_not_load_the_sdk_or_heavy_libraries():
    code = (
        "import json, sys, tokenbudget; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy', 'httpx', 'openai', 'anthropic', 'fastapi', 'textual'} or m.startswith('tokenbudget.sdk'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == []
    assert callable(tokenbudget.wrap) and "wrap" in dir(tokenbudget)


def test_unreachable_store_never_blocks_the_caller_and_loses_nothing(store_settings, sdk_warnings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    tokenbudget.configure(
        home=str(store_settings.home),
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/nowhere?connect_timeout=2",
        flush_interval=0.05,
    )
    started = time.perf_counter()
    kept = tokenbudget.record(model="gpt-4o", input_tokens=100, output_tokens=10)
    assert time.perf_counter() - started < 0.05
    assert tokenbudget.flush(timeout=30)
    assert any("cannot open the store" in r.getMessage() for r in sdk_warnings.records)

    tokenbudget.configure(
        home=str(store_settings.home), database_url=store_settings.database_url, flush_interval=0.05
    )
    fresh = tokenbudget.record(model="gpt-4o", input_tokens=1, output_tokens=1)
    assert tokenbudget.flush(timeout=30)
    from tokenbudget.core.store import open_store

    with open_store(store_settings) as store:
        assert {e.event_id for e in store.iter_events()} == {kept, fresh}


def test_the_wrapper_never_imports_a_provider_or_http_library():
    sdk = ROOT / "tokenbudget" / "sdk"
    for path in [sdk / "capture.py", sdk / "wrap.py", *sorted((sdk / "adapters").glob("*.py"))]:
        lines = [line.strip() for line in path.read_text().splitlines()]
        imports = [line for line in lines if line.startswith(("import ", "from "))]
        banned = [
            line
            for line in imports
            if line.split()[1].split(".")[0] in {"httpx", "httpx2", "openai", "anthropic"}
        ]
        assert banned == [], path
