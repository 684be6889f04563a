"""The app factory: `create_app(settings)` -> FastAPI. Thin: routers call the core; errors map at the edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from tokenbudget import __version__
from tokenbudget.server import errors
from tokenbudget.server.routers import (
    admin,
    alerts,
    analytics,
    budgets,
    events,
    exports,
    health,
    ingest,
    keys,
    otlp,
    price_changes,
    projects,
    waitlist,
)
from tokenbudget.server.state import ServerState

if TYPE_CHECKING:
    from tokenbudget.core.settings import Settings
    from tokenbudget.core.store import Store


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """Build the app. Opens (and migrates) the store now unless one is given; closes what it opened on shutdown."""
    state = ServerState.create(settings, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Budget alerts are detected and delivered off the request path; ingest pokes the worker.
        state.alerts.start()
        yield
        state.alerts.stop()
        state.close()

    app = FastAPI(
        title="TokenBudget",
        version=__version__,
        description="Ingest LLM calls and read what they cost. Auth: `Authorization: Bearer tb_ak_…`.",
        lifespan=lifespan,
    )
    app.state.tb = state
    # Open in development (no origins configured); TOKENBUDGET_ALLOWED_ORIGINS restricts it.
    origins = list(settings.allowed_origins) or ["*"]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["Retry-After"],
    )
    errors.install(app)
    routers = (
        health,
        ingest,
        otlp,
        analytics,
        events,
        projects,
        keys,
        budgets,
        alerts,
        exports,
        price_changes,
        waitlist,
        admin,
    )
    for module in routers:
        app.include_router(module.router)
    return app


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory` and `tb serve --workers N`: each worker resolves the settings from the environment."""
    from tokenbudget.core.settings import Settings
    from tokenbudget.server.process import prepare_serving_process

    app = create_app(Settings.resolve())
    prepare_serving_process(app)  # this worker process serves only this app
    return app
