"""The HTTP edge for errors: our TokenBudgetError subclasses become their status with a one-line reason.

Every 4xx/5xx body is JSON `{"detail": ...}` (FastAPI's own convention), so clients parse one shape.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tokenbudget.core.errors import TokenBudgetError


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def _tokenbudget_error(request: Request, exc: Exception) -> JSONResponse:
    status = getattr(exc, "http_status", 400)
    return JSONResponse({"detail": _reason(exc)}, status_code=status)


def install(app: FastAPI) -> None:
    app.add_exception_handler(TokenBudgetError, _tokenbudget_error)
