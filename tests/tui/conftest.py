"""TUI fixtures: deterministic demo stores, a frozen clock, and helpers to wait for the app's refreshes."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tokenbudget.core.settings import Settings

# A fixed 'now' (a Friday afternoon): every period, forecast and chart axis is computed from it.
NOW = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)
DEMO_SEED = 7
DEMO_DAYS = 10


def frozen_clock() -> datetime:
    return NOW


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until `condition()` holds (refreshes happen in worker threads)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the dashboard")
        await pilot.pause(0.05)


def text_of(widget: Any) -> str:
    return str(widget.render())


def table_rows(table: Any) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


class FixedSource:
    """A source wrapper whose description and timing never change (for snapshots)."""

    def __init__(self, inner: Any, description: str = "sqlite:///demo.db") -> None:
        self.inner = inner
        self.description = description

    def fetch(self, query: Any, now: datetime) -> Any:
        return replace(self.inner.fetch(query, now), query_ms=12.0)

    def invalidate(self) -> None:
        self.inner.invalidate()

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (`pytest.mark.anyio`, the plugin that ships with anyio) run on asyncio, as Textual does."""
    return "asyncio"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with DEMO_DAYS of `generate_demo_events(seed=DEMO_SEED, now=NOW)` and three budgets."""
    from tokenbudget.core.store import open_store
    from tokenbudget.tui.demo import fill_demo_store

    home = tmp_path_factory.mktemp("tui-demo")
    settings = Settings.resolve(environ={"TOKENBUDGET_HOME": str(home)})
    with open_store(settings) as store:
        fill_demo_store(store, days=DEMO_DAYS, seed=DEMO_SEED, now=NOW)
    return Path(settings.database_url.removeprefix("sqlite:///"))


@pytest.fixture
def demo_settings(demo_db: Path, tmp_path: Path) -> Iterator[Settings]:
    """Settings over a private copy of the demo store (tests may write to it)."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    yield Settings.resolve(
        environ={"TOKENBUDGET_HOME": str(tmp_path), "TOKENBUDGET_DATABASE_URL": f"sqlite:///{copy}"}
    )
