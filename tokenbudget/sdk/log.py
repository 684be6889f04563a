"""One warning per kind of problem, not one per event, through `logging.getLogger("tokenbudget")`."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

logger = logging.getLogger("tokenbudget")
_seen: set[str] = set()
_lock = threading.Lock()


def warn_once(kind: str, message: str, *args: Any, exc_info: bool = False) -> None:
    with _lock:
        if kind in _seen:
            return
        _seen.add(kind)
    # A broken logging handler is not the caller's problem either.
    with contextlib.suppress(Exception):
        logger.warning(message, *args, exc_info=exc_info)


def reset_warnings() -> None:
    """Forget which warnings were given (tests, and `configure()`)."""
    with _lock:
        _seen.clear()
