"""The HTTP face of TokenBudget: `create_app(settings)` builds the FastAPI app that `tb serve` runs.

Needs the `server` extra; importing it without FastAPI gives a one-line hint instead of a traceback.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("the server needs its extra: pip install 'tokenbudget[server]'") from exc

from tokenbudget.server.app import create_app

__all__ = ["create_app"]
