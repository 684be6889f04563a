"""SDK remote mode end to end: a wrapped OpenAI client -> tb serve -> the store -> `tb report --remote`."""

from __future__ import annotations

import tokenbudget
from tests.cli.runner import run_tb
from tests.sdk.conftest import _openai_client
from tests.server.conftest import LiveServer
from tokenbudget.core.settings import Settings
from tokenbudget.sdk import recorder


def test_wrapped_openai_client_to_server_to_remote_report(
    make_server, store_settings: Settings, tmp_path
) -> None:
    server: LiveServer = make_server()
    key = server.key("ana@example.com", project="web")
    tokenbudget.configure(endpoint=server.url, api_key=key, home=str(tmp_path / "app"), flush_interval=0.05)
    try:
        client = tokenbudget.wrap(_openai_client("OpenAI", []))
        with tokenbudget.tags(feature="search"):
            for _ in range(5):
                client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        assert tokenbudget.flush(timeout=30)
    finally:
        recorder.reset_configuration()
    stored = list(server.store.iter_events())
    assert len(stored) == 5 and {e.project for e in stored} == {"web"}
    assert all(e.cost_status == "priced" and e.feature == "search" for e in stored)

    env = {
        "TOKENBUDGET_HOME": str(store_settings.home),
        "TOKENBUDGET_DATABASE_URL": store_settings.database_url,
    }
    args = ["report", "--period", "7d", "--by", "feature", "--format", "json"]
    local = run_tb([*args, "--project", "web"], env).json()
    remote = run_tb([*args, "--remote", server.url, "--api-key", key], env)
    assert remote.returncode == 0, remote.stderr
    data = remote.json()
    assert data["totals"] == local["totals"] and data["totals"]["requests"] == 5
    assert data["breakdown"] == local["breakdown"]
