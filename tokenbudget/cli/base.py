"""How every `tb` command group is built, so that they all render help the same (fast) way."""

from __future__ import annotations

from typing import Any

import typer


def new_typer(**kwargs: Any) -> typer.Typer:
    """A Typer app with plain help rendering.

    Typer's Rich help formatter imports rich.markdown, pygments and friends (~100 ms) before it prints a line,
    which would make `tb --help` twice as slow as importing Typer itself; plain help keeps it instant.
    Our own tables and reports still use Rich, imported when a command runs.
    """
    kwargs.setdefault("rich_markup_mode", None)
    kwargs.setdefault("pretty_exceptions_enable", False)
    kwargs.setdefault("add_completion", False)  # only the root `tb` offers --install-completion
    kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
    return typer.Typer(**kwargs)
