"""`tags()`: attribution that follows the code path (contextvars), as a context manager or a decorator.

Nested scopes merge (inner wins); scopes follow asyncio tasks (which copy the context) and never leak between
threads (each thread starts from an empty context).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Fields of the canonical event; every other key is a free-form tag.
EVENT_TAG_FIELDS = frozenset({"project", "feature", "user_id", "env"})

_current: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "tokenbudget_tags", default=None
)


def current_tags() -> Mapping[str, str]:
    """The merged tags of the enclosing scopes (read-only; empty outside any scope)."""
    return _current.get() or {}


class tags:
    """Attach `feature`, `user_id`, `env`, `project` and any free-form tags to every call made inside.

    Values are kept as strings; a value of None removes a tag set by an outer scope.
    """

    __slots__ = ("_tokens", "_values")

    def __init__(self, **values: Any) -> None:
        self._values = {str(k): (None if v is None else str(v)) for k, v in values.items()}
        self._tokens: list[contextvars.Token[Mapping[str, str] | None]] = []

    def _merged(self) -> dict[str, str]:
        merged = dict(_current.get() or {})
        for key, value in self._values.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    def __enter__(self) -> tags:
        self._tokens.append(_current.set(self._merged()))
        return self

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._tokens.pop())

    async def __aenter__(self) -> tags:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__()

    def __call__(self, func: F) -> F:
        values = self._values
        # A fresh scope per call: one decorated function may run in many threads and tasks at once.
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with tags(**values):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        if inspect.isasyncgenfunction(func) or inspect.isgeneratorfunction(func):
            raise TypeError("tokenbudget.tags() cannot decorate a generator; use `with tags(...)` inside it")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with tags(**values):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"tags({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"


def split_tags(merged: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(event fields, free-form tags) of a merged tag mapping."""
    fields = {k: v for k, v in merged.items() if k in EVENT_TAG_FIELDS}
    free = {k: v for k, v in merged.items() if k not in EVENT_TAG_FIELDS}
    return fields, free
