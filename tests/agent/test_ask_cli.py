"""`sleuth ask` as a user runs it: a real process, real servers, the scripted model named in settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

SLEUTH = str(Path(sys.executable).with_name("sleuth"))
RETURN_WINDOW = "d:25c10a21a6"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLEUTH_", "ANTHROPIC_", "OPENAI_"))}
    return {**env, **extra}


def test_ask_streams_a_cited_answer(workspace: Path) -> None:
    script = workspace / "ask-script.yaml"
    script.write_text(
        yaml.safe_dump(
            [
                {"structured": {"sources": ["docs"], "subquestions": [], "needs_tools": True, "remember": []}},
                {"tool_calls": [{"name": "search_docs", "args": {"query": "return window days", "k": 3}}]},
                {"text": f"Most items can be returned within 30 calendar days of the order date [{RETURN_WINDOW}]."},
                {"structured": {"supported": ["x"], "unsupported": [], "missing": [], "verdict": "pass"}},
            ]
        )
    )
    proc = subprocess.run(
        [SLEUTH, "ask", "How long is the return window?", "-w", str(workspace), "--thread", "cli-1"],
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(SLEUTH_AGENT__MODEL=f"scripted:{script}", SLEUTH_AGENT__GRADER_MODEL=f"scripted:{script}"),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Most items can be returned within 30 calendar days of the order date [1].")
    assert "\nSources:\n[1] docs/policies/returns-and-refunds.md › Returns & Refunds Policy > Return window" in (
        proc.stdout
    )
    assert "→ docs.search_docs" in proc.stderr and "reflection passed" in proc.stderr
    assert "thread: cli-1" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_ask_without_a_model_explains_and_exits_2(workspace: Path) -> None:
    proc = subprocess.run(
        [SLEUTH, "ask", "anything", "-w", str(workspace)], capture_output=True, text=True, timeout=120, env=_env()
    )
    assert proc.returncode == 2
    assert "ANTHROPIC_API_KEY" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
