"""Remote mode against a real local HTTP receiver: batching, gzip, retries, spool, exit flush, fork, light import."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import tokenbudget
from tests.sdk.receiver import API_KEY, running_receiver
from tokenbudget.sdk.spool import Spool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver():
    with running_receiver() as server:
        yield server


def remote(receiver, tmp_path, **options):
    tokenbudget.configure(
        endpoint=receiver.url, api_key=API_KEY, home=str(tmp_path), flush_interval=0.05, **options
    )


def spooled_events(tmp_path: Path) -> int:
    spool = Spool(tmp_path / "data" / "spool" / "remote")
    count = 0
    for claimed, events in spool.claim():
        count += len(events)
        spool.release(claimed)
    return count


def test_batches_are_gzipped_authorised_and_valid(receiver, tmp_path):
    remote(receiver, tmp_path, batch_size=10)
    with tokenbudget.tags(feature="f", tenant="t1"):
        ids = [tokenbudget.record(provider="openai", model="gpt-4o", input_tokens=n + 1) for n in range(25)]
    assert tokenbudget.flush(timeout=10)
    assert set(receiver.events) == set(ids)
    assert all(r["headers"]["content-encoding"] == "gzip" for r in receiver.requests)
    assert all(r["headers"]["authorization"] == f"Bearer {API_KEY}" for r in receiver.requests)
    assert max(r["count"] for r in receiver.requests) <= 10 and len(receiver.requests) >= 3
    sample = receiver.events[ids[0]]
    assert sample["tags"] == {"tenant": "t1"} and sample["feature"] == "f"
    assert sample["occurred_at"].endswith("+00:00") and sample["input_tokens"] == 1


def test_retry_on_503_honours_retry_after(receiver, tmp_path):
    remote(receiver, tmp_path)
    receiver.script.append((503, {"Retry-After": "1"}))
    event_id = tokenbudget.record(model="gpt-4o", input_tokens=5)
    started = time.monotonic()
    assert tokenbudget.flush(timeout=10)
    assert time.monotonic() - started >= 0.9
    assert len(receiver.requests) == 2 and list(receiver.events) == [event_id]


def test_other_4xx_is_not_retried_and_is_logged_once(receiver, tmp_path, sdk_warnings):
    remote(receiver, tmp_path)
    receiver.script.extend([(400, {}), (400, {})])
    tokenbudget.record(model="gpt-4o", input_tokens=5)
    assert tokenbudget.flush(timeout=10)
    tokenbudget.record(model="gpt-4o", input_tokens=5)
    assert tokenbudget.flush(timeout=10)
    assert len(receiver.requests) == 2 and not receiver.events
    assert len([r for r in sdk_warnings.records if "HTTP 400" in r.getMessage()]) == 1


def test_a_refused_key_spools_and_nothing_is_lost_once_it_works(receiver, tmp_path, sdk_warnings):
    remote(receiver, tmp_path)
    receiver.script.append((401, {}))  # e.g. a key not created yet on the server
    refused = [tokenbudget.record(model="gpt-4o", input_tokens=n + 1) for n in range(3)]
    assert tokenbudget.flush(timeout=10)
    assert not receiver.events and spooled_events(tmp_path) == 3
    assert len(receiver.requests) == 1  # not retried at once
    assert any(
        "HTTP 401" in r.getMessage() and "TOKENBUDGET_API_KEY" in r.getMessage() for r in sdk_warnings.records
    )
    later = tokenbudget.record(model="gpt-4o", input_tokens=9)  # the server takes the key now
    deadline = time.monotonic() + 10
    while len(receiver.events) < 4 and time.monotonic() < deadline:
        tokenbudget.flush(timeout=1)
    assert set(receiver.events) == {*refused, later}
    assert receiver.duplicates == 0 and spooled_events(tmp_path) == 0


def test_rejected_events_are_reported(receiver, tmp_path, sdk_warnings):
    remote(receiver, tmp_path)
    tokenbudget.record(
        model="gpt-4o", input_tokens=1, cache_read_input_tokens=5
    )  # parts larger than the total
    tokenbudget.record(model="gpt-4o", input_tokens=1)
    assert tokenbudget.flush(timeout=10)
    assert len(receiver.events) == 1
    assert any("rejected 1 event" in r.getMessage() for r in sdk_warnings.records)


def test_outage_spools_and_resends_exactly_once(receiver, tmp_path):
    remote(receiver, tmp_path, max_retry_time=0.3)
    receiver.down = True
    during = [tokenbudget.record(model="gpt-4o", input_tokens=n + 1) for n in range(5)]
    assert tokenbudget.flush(timeout=10)
    assert not receiver.events
    assert spooled_events(tmp_path) == 5
    receiver.down = False
    after = tokenbudget.record(model="gpt-4o", input_tokens=9)
    assert tokenbudget.flush(timeout=10)
    deadline = time.monotonic() + 10
    while len(receiver.events) < 6 and time.monotonic() < deadline:
        tokenbudget.flush(timeout=1)
    assert set(receiver.events) == {*during, after}
    assert receiver.duplicates == 0 and spooled_events(tmp_path) == 0


def test_unreachable_server_spools_and_a_later_process_resends(receiver, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    tokenbudget.configure(
        endpoint=f"http://127.0.0.1:{closed_port}", api_key=API_KEY, home=str(tmp_path), max_retry_time=0.2
    )
    kept = tokenbudget.record(model="gpt-4o", input_tokens=3)
    assert tokenbudget.shutdown(timeout=10)
    assert spooled_events(tmp_path) == 1
    remote(receiver, tmp_path)
    fresh = tokenbudget.record(model="gpt-4o", input_tokens=4)
    assert tokenbudget.flush(timeout=10)
    assert set(receiver.events) == {kept, fresh}


def test_spool_is_bounded_and_counts_what_it_dropped(tmp_path, sdk_warnings):
    spool = Spool(tmp_path / "spool", max_bytes=2000)
    for n in range(20):
        spool.put([{"event_id": f"{n}-{i}", "model": "m", "input_tokens": i} for i in range(30)])
    assert spool.size() <= 2000
    assert spool.dropped_events > 0 and spool.dropped_events % 30 == 0
    assert any("spool" in r.getMessage() for r in sdk_warnings.records)


def run_child(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_remote_mode_stays_light_and_flushes_at_exit(receiver, tmp_path):
    code = """
        import json, sys
        import importlib
        import openai, openai._base_client as base
        import tokenbudget
        from tests.sdk import mock_providers as mp
        hx = importlib.import_module("httpx2" if "httpx2" in vars(base) else "httpx")
        transport = mp.make_transport(hx, mp.openai_reply)
        client = tokenbudget.wrap(openai.OpenAI(api_key="sk", http_client=hx.Client(transport=transport)))
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        tokenbudget.record(model="mistral-large-latest", provider="mistral", input_tokens=7)
        import time; time.sleep(0.3)  # the worker has shipped, imports are all done
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"sqlalchemy", "fastapi", "textual", "matplotlib"})
        print(json.dumps(heavy))
        tokenbudget.record(model="gpt-4o", input_tokens=11)  # left in the queue: the exit flush must send it
    """
    env = {
        "TOKENBUDGET_ENDPOINT": receiver.url,
        "TOKENBUDGET_API_KEY": API_KEY,
        "TOKENBUDGET_HOME": str(tmp_path),
    }
    result = run_child(code, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    models = sorted(e["model"] for e in receiver.events.values())
    assert models == ["gpt-4o", "gpt-4o-2024-08-06", "mistral-large-latest"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX only")
def test_fork_child_gets_its_own_worker(receiver, tmp_path):
    code = """
        import os, sys, threading
        import tokenbudget
        tokenbudget.record(model="gpt-4o", input_tokens=1)
        assert tokenbudget.flush(timeout=10)
        pid = os.fork()
        if pid == 0:
            tokenbudget.record(model="gpt-4o", input_tokens=2)
            ok = tokenbudget.flush(timeout=10)
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        tokenbudget.record(model="gpt-4o", input_tokens=3)
        assert tokenbudget.flush(timeout=10)
        sys.exit(os.waitstatus_to_exitcode(status))
    """
    env = {
        "TOKENBUDGET_ENDPOINT": receiver.url,
        "TOKENBUDGET_API_KEY": API_KEY,
        "TOKENBUDGET_HOME": str(tmp_path),
    }
    result = run_child(code, env)
    assert result.returncode == 0, result.stderr
    assert sorted(e["input_tokens"] for e in receiver.events.values()) == [1, 2, 3]
