"""The root group lists every command without importing it; the listed help stays the command's own."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tokenbudget.cli.lazy import COMMANDS, load_command


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    assert COMMANDS[name].help == command.get_short_help_str(limit=500)


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys\n"
        "from tokenbudget.cli.app import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('tokenbudget.cli.') or m.split('.')[0] in "
        "('sqlalchemy', 'rich', 'pydantic', 'fastapi', 'textual', 'httpx')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out.strip().splitlines()[-1])
    assert loaded == ["tokenbudget.cli.app", "tokenbudget.cli.base", "tokenbudget.cli.lazy"], loaded
