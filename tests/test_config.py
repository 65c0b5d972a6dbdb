"""Settings: precedence, path resolution, and errors that name the key, the source and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from sleuth.config import check_paths, load_settings
from sleuth.errors import ConfigError


def write_toml(ws: Path, text: str) -> Path:
    path = ws / "sleuth.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_resolve_against_workspace(tmp_path: Path) -> None:
    s = load_settings(tmp_path, environ={})
    assert s.workspace == tmp_path.resolve()
    assert s.docs.paths == [tmp_path.resolve() / "docs"]
    assert s.state_dir == tmp_path.resolve() / ".sleuth"
    assert s.sql.timeout_s == 10.0 and s.sql.read_write is False


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    write_toml(tmp_path, "[sql]\ntimeout_s = 3\nmax_rows = 50\nthreads = 1\n")
    env = {"SLEUTH_SQL__TIMEOUT_S": "4", "SLEUTH_SQL__MAX_ROWS": "60"}
    s = load_settings(tmp_path, {"sql": {"timeout_s": 5.0}}, environ=env)
    assert s.sql.timeout_s == 5.0  # flag wins
    assert s.sql.max_rows == 60  # env beats file
    assert s.sql.threads == 1  # file beats default


def test_env_lists_comma_and_json(tmp_path: Path) -> None:
    s = load_settings(tmp_path, environ={"SLEUTH_FILES__DENY": "*.secret, .env"})
    assert s.files.deny == ["*.secret", ".env"]
    s = load_settings(tmp_path, environ={"SLEUTH_DOCS__PATHS": '["a", "b"]'})
    assert s.docs.paths == [tmp_path.resolve() / "a", tmp_path.resolve() / "b"]


def test_unknown_key_names_key_file_and_fix(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[sql]\ntimeout = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={})
    err = info.value
    assert "'sql.timeout'" in err.message
    assert str(path) in err.message
    assert err.fix and "remove or rename 'sql.timeout'" in err.fix


def test_wrong_type_from_env_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={"SLEUTH_SQL__MAX_ROWS": "lots"})
    assert "'sql.max_rows'" in info.value.message
    assert "environment variable SLEUTH_SQL__MAX_ROWS" in info.value.message


def test_out_of_range_from_flag_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {"sql": {"timeout_s": -1}}, environ={})
    assert "command-line flag --sql-timeout-s" in info.value.message


def test_broken_toml_is_one_clear_error(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[sql\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={})
    assert str(path) in info.value.message and "not valid TOML" in info.value.message


def test_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope", environ={})
    assert "does not exist" in info.value.message and "--workspace" in (info.value.fix or "")


def test_missing_paths_are_reported_by_key(tmp_path: Path) -> None:
    write_toml(tmp_path, '[sql]\ndb = "missing.duckdb"\n[files]\nroots = ["gone"]\n')
    problems = check_paths(load_settings(tmp_path, environ={}))
    text = " | ".join(p.message for p in problems)
    assert "sql.db" in text and "files.roots" in text and "docs.paths" in text


def test_grader_follows_a_non_anthropic_model_unless_set(tmp_path: Path) -> None:
    default = load_settings(tmp_path, environ={})
    assert default.agent.grader_model.startswith("anthropic:claude-haiku")
    local = load_settings(tmp_path, {"agent": {"model": "openai:llama3.1"}}, environ={})
    assert local.agent.grader_model == "openai:llama3.1"
    scripted = load_settings(tmp_path, environ={"SLEUTH_AGENT__MODEL": "scripted:s.yaml"})
    assert scripted.agent.grader_model == "scripted:s.yaml"
    explicit = load_settings(
        tmp_path, {"agent": {"model": "openai:llama3.1", "grader_model": "anthropic:claude-haiku-4-5"}}, environ={}
    )
    assert explicit.agent.grader_model == "anthropic:claude-haiku-4-5"
