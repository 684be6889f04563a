"""Settings precedence: arguments, then TOKENBUDGET_* environment, then the config file, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenbudget.core.errors import ConfigError
from tokenbudget.core.settings import Settings, redact_url


def test_defaults_live_under_home(tmp_path: Path) -> None:
    s = Settings.resolve(environ={"TOKENBUDGET_HOME": str(tmp_path)})
    assert s.data_dir == tmp_path / "data"
    assert s.config_file == tmp_path / "config.toml"
    assert s.database_url == f"sqlite:///{tmp_path / 'data' / 'tokenbudget.db'}"
    assert s.is_sqlite and s.default_project == "default" and s.echo_sql is False


def test_precedence_arguments_env_file_defaults(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[tokenbudget]\ndatabase_url = "sqlite:////from/file.db"\ndefault_project = "from-file"\necho_sql = true\n'
    )
    env = {"TOKENBUDGET_HOME": str(tmp_path)}
    from_file = Settings.resolve(environ=env)
    assert from_file.database_url == "sqlite:////from/file.db"
    assert from_file.default_project == "from-file" and from_file.echo_sql is True

    env["TOKENBUDGET_DEFAULT_PROJECT"] = "from-env"
    env["TOKENBUDGET_DATABASE_URL"] = "postgres://u:secret@db/x"
    from_env = Settings.resolve(environ=env)
    assert from_env.default_project == "from-env"
    assert from_env.database_url == "postgresql+psycopg://u:secret@db/x"  # pasted URLs get our driver

    from_args = Settings.resolve(
        {"database_url": "sqlite:////from/args.db", "default_project": None}, environ=env
    )
    assert from_args.database_url == "sqlite:////from/args.db"
    assert from_args.default_project == "from-env"  # None means "not given", not "empty"


def test_bad_config_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("database_url = [unclosed\n")
    with pytest.raises(ConfigError, match=r"config\.toml"):
        Settings.resolve(environ={"TOKENBUDGET_HOME": str(tmp_path)})
    (tmp_path / "config.toml").write_text("echo_sql = 'maybe'\n")
    with pytest.raises(ConfigError, match="echo_sql"):
        Settings.resolve(environ={"TOKENBUDGET_HOME": str(tmp_path)})


def test_password_is_hidden_when_described(tmp_path: Path) -> None:
    s = Settings.resolve({"database_url": "postgresql+psycopg://tb:hunter2@db:5432/tb"}, environ={})
    assert "hunter2" not in str(s.describe())
    assert redact_url("postgresql+psycopg://tb:hunter2@db/tb") == "postgresql+psycopg://tb:***@db/tb"
    assert redact_url("sqlite:///x.db") == "sqlite:///x.db"
