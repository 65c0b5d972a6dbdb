"""The benchmark script on a small tree: search_files and grep must agree line for line.

Timing is not asserted here (shared machine); `scripts/bench_files.py` on the full tree does that.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_script_agrees_with_grep_on_a_small_tree(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(REPO / "scripts" / "bench_files.py"), "--files", "300", "--mb", "3"]
    cmd += ["--repeat", "1", "--tree", str(tmp_path / "tree"), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, check=False)
    assert out.is_file(), proc.stderr[-2000:]
    report = json.loads(out.read_text())
    rows = report["rows"]
    assert rows[0]["matches"] > 10  # grep found the planted pattern
    assert [r["identical"] for r in rows[1:]] == [True] * 4, proc.stdout
    assert report["files"] >= 300
