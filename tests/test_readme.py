"""The README stays true: its config table is the one the settings model renders."""

from __future__ import annotations

from pathlib import Path

from sleuth.config_reference import render

ROOT = Path(__file__).resolve().parents[1]


def test_readme_documents_every_config_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render() in readme, "README config table is stale: run `uv run python -m sleuth.config_reference`"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "uv run pytest" in readme and "uv run pytest" in ci
