"""Which price book is in force for a store: the latest synced table (else the bundled snapshot), custom prices on top.

The CLI, the server and the SDK's local mode all price with `active_book(store)`, so a call costs the same
whichever face recorded it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from tokenbudget.core.pricing.book import PriceBook
from tokenbudget.core.pricing.snapshot import load_bundled_book, loads

if TYPE_CHECKING:
    from tokenbudget.core.store import Store


def active_table_book(store: Store) -> PriceBook:
    """The table in force, without custom prices: the latest synced table, else the bundled snapshot."""
    version = store.latest_price_table_version()
    if version is None:
        return load_bundled_book()
    book = _books.get(version)
    if book is not None:
        return book
    stored = store.latest_price_table()
    if stored is None:  # removed in between: fall back like a fresh store
        return load_bundled_book()
    label = f"LiteLLM table synced {stored.fetched_at:%Y-%m-%d %H:%M} UTC"
    book = PriceBook.from_litellm(loads(stored.content), version=stored.version, source=label)
    with _books_lock:
        while len(_books) >= _BOOKS_KEPT:
            _books.pop(next(iter(_books)))
        _books[stored.version] = book
    return book


def active_book(store: Store) -> PriceBook:
    """The book that prices calls: the active table with the store's custom prices on top.

    The table's version is recorded in the store (idempotent), so every version that priced an event is listed.
    """
    table = active_table_book(store)
    store.register_price_version(
        table.version, source=table.source, content_hash=table.content_hash(), model_count=len(table.models())
    )
    return table.with_custom_prices(store.list_custom_prices())


# Books are immutable and a version names its content exactly (a hash of it), so a long-running server that asks
# for the active book on every request reads and parses a table once, not per request.
_BOOKS_KEPT = 4
_books: dict[str, PriceBook] = {}
_books_lock = threading.Lock()
