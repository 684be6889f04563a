"""tb keys, tb projects and tb report --remote, run as a user's shell runs them, against a live server."""

from __future__ import annotations

import re

import pytest

from tests.cli.runner import run_tb
from tests.server.conftest import LiveServer, event
from tokenbudget.core.settings import Settings


def _env(settings: Settings) -> dict[str, str]:
    return {"TOKENBUDGET_HOME": str(settings.home), "TOKENBUDGET_DATABASE_URL": settings.database_url}


def test_keys_create_list_revoke(store_settings: Settings) -> None:
    env = _env(store_settings)
    created = run_tb(
        [
            "keys",
            "create",
            "--name",
            "ci",
            "--user",
            "Ana@Example.com",
            "--team",
            "core",
            "--project",
            "web",
            "--format",
            "json",
        ],
        env,
    )
    assert created.returncode == 0, created.stderr
    data = created.json()
    assert set(data) == {"id", "key", "prefix", "user", "team", "project"}
    assert re.fullmatch(r"tb_ak_[0-9a-f]{32}", data["key"]) and data["key"].startswith(data["prefix"])
    assert (data["user"], data["team"], data["project"]) == ("ana@example.com", "core", "web")
    plain = run_tb(["keys", "create", "--name", "x", "--user", "bob@example.com"], env)
    assert plain.returncode == 0 and re.fullmatch(r"tb_ak_[0-9a-f]{32}\n", plain.stdout)
    assert "cannot be shown again" in plain.stderr
    listed = run_tb(["keys", "list", "--format", "json"], env).json()["keys"]
    assert listed[0]["prefix"] == data["prefix"] and len(listed) == 2
    assert all("key" not in k and "key_hash" not in k for k in listed)
    revoked = run_tb(["keys", "revoke", data["prefix"]], env)
    assert revoked.returncode == 0 and "Revoked" in revoked.stdout
    assert len(run_tb(["keys", "list", "--format", "json"], env).json()["keys"]) == 1
    assert len(run_tb(["keys", "list", "--all", "--format", "json"], env).json()["keys"]) == 2
    missing = run_tb(["keys", "revoke", "tb_ak_ffffffff"], env)
    assert missing.returncode == 1 and "no API key" in missing.stderr
    bad = run_tb(["keys", "create", "--name", "x", "--user", "nobody"], env)
    assert bad.returncode == 1 and "not a valid email" in bad.stderr


def test_projects_commands(store_settings: Settings) -> None:
    env = _env(store_settings)
    made = run_tb(["projects", "create", "web", "--owner", "ana@example.com", "--format", "json"], env)
    assert made.returncode == 0 and made.json()["owner"] == "ana@example.com"
    assert run_tb(["projects", "create", "web"], env).returncode == 1
    assert run_tb(["projects", "rename", "web", "site"], env).returncode == 0
    names = [p["name"] for p in run_tb(["projects", "list", "--format", "json"], env).json()["projects"]]
    assert names == ["site"]
    gone = run_tb(["projects", "delete", "site", "--yes"], env)
    assert gone.returncode == 0 and "Deleted project site" in gone.stdout


def test_report_remote_shows_the_same_totals(make_server, store_settings: Settings) -> None:
    server: LiveServer = make_server()
    key = server.key("ana@example.com", project="web")
    other = server.key("bob@example.com", project="bobs")
    with server.client(key) as client:
        rows = [event(i, model=["gpt-4o", "claude-sonnet-4-5", "mystery"][i % 3]) for i in range(30)]
        assert client.post("/v1/events/batch", json={"events": rows}).json()["accepted"] == 30
    with server.client(other) as client:
        assert client.post("/v1/events", json=event(99)).json()["accepted"] == 1
    env = _env(store_settings)
    args = ["report", "--period", "2026-11-01..2026-11-30", "--by", "model"]
    local = run_tb([*args, "--project", "web", "--format", "json"], env).json()
    remote = run_tb(
        [*args, "--project", "web", "--format", "json", "--remote", server.url],
        {**env, "TOKENBUDGET_API_KEY": key},
    )
    assert remote.returncode == 0, remote.stderr
    assert remote.json() == local
    # Without --project the key's scope applies: bob's call is not in ana's totals.
    scoped = run_tb([*args, "--format", "json", "--remote", server.url, "--api-key", key], env).json()
    assert scoped["totals"]["requests"] == 30
    table = run_tb([*args, "--remote", server.url, "--api-key", key], {**env, "COLUMNS": "160"})
    local_table = run_tb([*args, "--project", "web"], {**env, "COLUMNS": "160"})
    assert table.returncode == 0, table.stderr
    assert table.stdout.replace("Filters", "").split("Cost by")[1] == local_table.stdout.split("Cost by")[1]
    denied = run_tb([*args, "--remote", server.url, "--api-key", "tb_ak_" + "0" * 32], env)
    assert denied.returncode == 1 and "401" in denied.stderr and "invalid or missing API key" in denied.stderr
    nokey = run_tb([*args, "--remote", server.url], env)
    assert nokey.returncode == 1 and "API key" in nokey.stderr


def test_export_remote_streams_the_servers_export(make_server, store_settings: Settings, tmp_path) -> None:
    from tests.core.test_exports_pdf import pdf_text

    server: LiveServer = make_server()
    key = server.key("ana@example.com", project="web")
    other = server.key("bob@example.com", project="bobs")
    with server.client(key) as client:
        rows = [
            event(i, model=["gpt-4o", "claude-sonnet-4-5"][i % 2], feature=f"f{i % 3}") for i in range(40)
        ]
        assert client.post("/v1/events/batch", json={"events": rows}).json()["accepted"] == 40
    with server.client(other) as client:
        assert client.post("/v1/events", json=event(99)).json()["accepted"] == 1
    env = _env(store_settings)
    period = ["--period", "2026-11-01..2026-11-30"]
    remote = ["--remote", server.url, "--api-key", key]

    # Every call: the same bytes as a local export of the key's project, written atomically to the file.
    local = run_tb(["export", "csv", *period, "--project", "web"], env)
    out = tmp_path / "calls.csv"
    fetched = run_tb(["export", "csv", *period, *remote, "-o", str(out)], {**env, "COLUMNS": "400"})
    assert fetched.returncode == 0, fetched.stderr
    assert out.read_text(encoding="utf-8") == local.stdout and local.stdout.count("\n") == 41
    assert f"Wrote {out}" in fetched.stderr
    # The breakdown, to stdout, with a filter.
    summary = run_tb(
        ["export", "csv", *period, "--summary", "--by", "feature", "--model", "gpt-4o", *remote], env
    )
    local_summary = run_tb(
        ["export", "csv", *period, "--summary", "--by", "feature", "--model", "gpt-4o", "--project", "web"],
        env,
    )
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout == local_summary.stdout and "f0" in summary.stdout
    # The PDF is built by the server (this side needs no export extra) and covers ana's 40 calls only.
    pdf = tmp_path / "report.pdf"
    made = run_tb(["export", "pdf", *period, *remote, "-o", str(pdf)], env)
    assert made.returncode == 0, made.stderr
    from tokenbudget.core.analytics import EventFilter, build_report, money
    from tokenbudget.core.periods import parse_period

    text = pdf_text(pdf.read_bytes())
    web = build_report(
        server.store, parse_period("2026-11-01..2026-11-30"), EventFilter(project="web")
    ).totals
    assert pdf.read_bytes().startswith(b"%PDF") and web.requests == 40
    assert f"exact ${money(web.cost_usd)}" in text and "projects web" in text, text
    # A refused key: one clear line, exit 1, and no file (not even a partial one).
    denied_out = tmp_path / "denied.csv"
    denied = run_tb(
        [
            "export",
            "csv",
            *period,
            "--remote",
            server.url,
            "--api-key",
            "tb_ak_" + "0" * 32,
            "-o",
            str(denied_out),
        ],
        env,
    )
    assert denied.returncode == 1 and "401" in denied.stderr and "invalid or missing API key" in denied.stderr
    assert not denied_out.exists() and list(tmp_path.glob("*.part")) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_tb_serve_serves_until_stopped(store_settings: Settings, workers: int) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    import httpx

    from tests.server.conftest import free_socket
    from tokenbudget.core.keys import create_key
    from tokenbudget.core.store import open_store

    with open_store(store_settings) as store:
        key = create_key(store, name="k", user_email="ana@example.com", project="web", rounds=4).key
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENBUDGET_")} | _env(store_settings)
    cmd = [sys.executable, "-m", "tokenbudget.cli", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen([*cmd, "--log-level", "warning"], env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            assert time.monotonic() < deadline, "tb serve did not become ready"
            time.sleep(0.1)
        headers = {"Authorization": f"Bearer {key}"}
        posted = httpx.post(base + "/v1/events", json=event(1), headers=headers, timeout=10)
        assert posted.status_code == 202 and posted.json()["accepted"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 0
    with open_store(store_settings) as store:
        assert [e.event_id for e in store.iter_events()] == ["ev-1"]
