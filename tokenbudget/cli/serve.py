"""`tb serve`: run the ingest + analytics server with uvicorn. FastAPI is imported only when it runs."""

from __future__ import annotations

import os

import typer

from tokenbudget.cli import context
from tokenbudget.cli.base import new_typer

app = new_typer()


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for every one)."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port."),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Worker processes (they share the store and Redis)."
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Run the HTTP server: ingest (events, OTLP traces), analytics, budgets, alerts, exports (docs at /docs).

    Settings come from TOKENBUDGET_* variables: DATABASE_URL, ADMIN_KEY, ALLOWED_ORIGINS, REDIS_URL,
    RATE_LIMIT_PER_MINUTE, PUBLIC_RATE_LIMIT_PER_MINUTE, MAX_BODY_BYTES, MAX_BATCH_EVENTS, KEY_CACHE_TTL_S,
    ANALYTICS_CACHE_TTL_S, WEBHOOK_ALLOW_PRIVATE.

    Examples:

      tb serve --port 8000

      TOKENBUDGET_DATABASE_URL=postgresql://tb@db/tokenbudget TOKENBUDGET_REDIS_URL=redis://cache:6379/0 \\
        tb serve --host 0.0.0.0 --workers 4
    """
    try:
        import uvicorn
    except ImportError:
        from tokenbudget.core.errors import ConfigError

        raise ConfigError("tb serve needs the server extra: pip install 'tokenbudget[server]'") from None

    settings = context.get(ctx).settings
    if workers == 1:
        from tokenbudget.server import create_app
        from tokenbudget.server.process import prepare_serving_process

        server_app = create_app(settings)
        prepare_serving_process(server_app)  # this process serves only this app
        uvicorn.run(server_app, host=host, port=port, log_level=log_level)
        return
    # Several processes: each worker builds its own app from the environment, so hand the resolved
    # command-line settings down through it.
    os.environ["TOKENBUDGET_DATABASE_URL"] = settings.database_url
    if settings.home is not None:
        os.environ["TOKENBUDGET_HOME"] = str(settings.home)
    uvicorn.run(
        "tokenbudget.server.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
