"""The `sleuth` command as a user runs it: a real subprocess each time."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

SLEUTH = str(Path(sys.executable).with_name("sleuth"))


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SLEUTH, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_help_is_fast_and_lists_commands() -> None:
    run("--help")  # warm the bytecode cache
    best = min(_timed("--help") for _ in range(3))
    out = run("--help").stdout
    for cmd in ("chat", "serve", "ingest", "eval", "mcp-config", "doctor", "ask"):
        assert cmd in out
    assert best <= 0.3, f"sleuth --help took {best:.3f}s"


def _timed(*args: str) -> float:
    t0 = time.perf_counter()
    run(*args)
    return time.perf_counter() - t0


def test_bad_config_is_one_clear_error_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "sleuth.toml").write_text("[agent]\nmax_steps = 'many'\n")
    proc = run("mcp-config", "--client", "vscode", cwd=tmp_path)  # does not read settings
    assert proc.returncode == 0
    proc = run("doctor", "--workspace", str(tmp_path))
    assert "agent.max_steps" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    proc = run("ingest", "--workspace", str(tmp_path))
    assert proc.returncode == 2
    assert "agent.max_steps" in proc.stderr and "fix:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_key_error_names_file(tmp_path: Path) -> None:
    (tmp_path / "sleuth.toml").write_text("[docs]\nchunk_size = 10\n")
    proc = run("ingest", "--workspace", str(tmp_path))
    assert proc.returncode == 2
    assert "docs.chunk_size" in proc.stderr and str(tmp_path / "sleuth.toml") in proc.stderr


def test_missing_workspace_error(tmp_path: Path) -> None:
    proc = run("ingest", "--workspace", str(tmp_path / "absent"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_mcp_config_vscode_is_valid_json_for_three_servers(tmp_path: Path) -> None:
    proc = run("mcp-config", "--client", "vscode", "--workspace", str(tmp_path))
    doc = json.loads(proc.stdout)
    assert set(doc["servers"]) == {"sleuth-docs", "sleuth-sql", "sleuth-files"}
    entry = doc["servers"]["sleuth-sql"]
    assert entry["type"] == "stdio" and Path(entry["command"]).exists()
    assert entry["args"] == ["serve", "sql", "--workspace", str(tmp_path.resolve())]
    claude = json.loads(run("mcp-config", "--client", "claude-desktop", "--workspace", str(tmp_path)).stdout)
    assert set(claude["mcpServers"]) == {"sleuth-docs", "sleuth-sql", "sleuth-files"}


def test_doctor_on_the_demo_starts_every_server_and_names_the_fixes(tmp_path: Path) -> None:
    import shutil

    demo = Path(__file__).resolve().parents[1] / "examples" / "demo"
    ws = tmp_path / "demo"
    shutil.copytree(demo, ws, ignore=shutil.ignore_patterns(".sleuth"))
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("SLEUTH_", "ANTHROPIC_"))}
    proc = subprocess.run(
        [SLEUTH, "doctor", "--workspace", str(ws)], capture_output=True, text=True, timeout=180, env=env
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr  # warnings (no key) do not fail
    for name in ("docs", "sql", "files"):
        assert f"server {name} starts" in out
    assert "ANTHROPIC_API_KEY" in out and "fix:" in out
    assert "checks passed" in out and "failed" not in out
