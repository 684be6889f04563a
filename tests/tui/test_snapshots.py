"""SVG snapshots of the dashboard (pytest-textual-snapshot) on the deterministic demo store with a frozen clock.

Update after an intended visual change with `pytest tests/tui/test_snapshots.py --snapshot-update` and look at
the SVGs in __snapshots__/ (or the report the plugin writes on failure).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.conftest import FixedSource, frozen_clock, wait_for
from tokenbudget.tui.app import create_app
from tokenbudget.tui.local_source import LocalSource


def _app(settings: Any, **options: Any) -> Any:
    return create_app(FixedSource(LocalSource(settings)), refresh_s=3600, clock=frozen_clock, **options)


async def _loaded(pilot: Any) -> None:
    await wait_for(pilot, lambda: pilot.app.snapshot is not None)
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_dashboard(snap_compare: Any, demo_settings: Any, size: tuple[int, int]) -> None:
    assert snap_compare(_app(demo_settings), terminal_size=size, run_before=_loaded)


def test_dashboard_light_30d_filtered(snap_compare: Any, demo_settings: Any) -> None:
    async def light(pilot: Any) -> None:
        pilot.app.theme = "textual-light"
        await _loaded(pilot)

    app = _app(demo_settings, period="30d", project="support-bot")
    assert snap_compare(app, terminal_size=(120, 36), run_before=light)


def test_help_overlay(snap_compare: Any, demo_settings: Any) -> None:
    async def help_open(pilot: Any) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    assert snap_compare(_app(demo_settings), terminal_size=(100, 30), run_before=help_open)
