"""What every command shares: the resolved settings, and the store and price book opened on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenbudget.core.pricing import PriceBook
    from tokenbudget.core.settings import Settings
    from tokenbudget.core.store import Store

import typer


@dataclass
class CliContext:
    settings: Settings
    _store: Store | None = field(default=None, repr=False)
    _book: PriceBook | None = field(default=None, repr=False)

    @classmethod
    def create(cls, *, database_url: str | None, home: Path | None) -> CliContext:
        from tokenbudget.core.settings import Settings

        return cls(Settings.resolve({"database_url": database_url, "home": str(home) if home else None}))

    def store(self) -> Store:
        """The store, opened (and its schema brought up to date) on first use."""
        if self._store is None:
            from tokenbudget.core.store import open_store

            self._store = open_store(self.settings)
        return self._store

    def book(self) -> PriceBook:
        """The active price table (latest `tb pricing sync`, else the bundled one) with custom prices on top."""
        if self._book is None:
            from tokenbudget.core.pricing.active import active_book

            self._book = active_book(self.store())
        return self._book

    def forget_book(self) -> None:
        """Drop the cached book after custom prices changed."""
        self._book = None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def get(ctx: typer.Context) -> CliContext:
    obj = ctx.find_object(CliContext)
    if obj is None:  # a command run without the root callback (tests calling a sub-app directly)
        obj = CliContext.create(database_url=None, home=None)
        ctx.obj = obj
        ctx.call_on_close(obj.close)
    return obj
