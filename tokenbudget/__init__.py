"""TokenBudget: what your LLM calls cost."""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Any

# The SDK's public API, imported on first use only: `import tokenbudget` (and `tb --help`) stays light.
_SDK_NAMES = frozenset({"configure", "current_tags", "flush", "record", "shutdown", "tags", "wrap"})

__all__ = ["__version__", "configure", "current_tags", "flush", "record", "shutdown", "tags", "wrap"]


def __getattr__(name: str) -> Any:
    if name in _SDK_NAMES:
        from tokenbudget import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'tokenbudget' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SDK_NAMES)
