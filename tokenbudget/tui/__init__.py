"""The `tb tui` face: a live Textual dashboard (needs the `tui` extra: pip install 'tokenbudget[tui]').

`create_app` is imported lazily so that `import tokenbudget.tui` costs nothing and, without Textual installed,
fails with a one-line hint rather than a traceback from deep inside.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]

INSTALL_HINT = "the dashboard needs Textual: pip install 'tokenbudget[tui]'"


def create_app(*args: Any, **kwargs: Any) -> Any:
    try:
        from tokenbudget.tui.app import create_app as factory
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "textual":
            raise ModuleNotFoundError(INSTALL_HINT, name="textual") from None
        raise
    return factory(*args, **kwargs)
