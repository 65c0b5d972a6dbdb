"""The benchmark scripts end to end on the real SciFact data (slow: excluded from the default run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (SCIFACT / "corpus.jsonl").is_file(), reason=f"SciFact not found at {SCIFACT}"),
]


def test_bm25_retrieval_quality_on_scifact(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    cmd = [sys.executable, str(ROOT / "scripts" / "bench_retrieval.py"), "--modes", "bm25",
           "--work", str(tmp_path / "ws"), "--out", str(out), "--stdio-queries", "20"]  # fmt: skip
    subprocess.run(cmd, check=True, timeout=1800)
    result = json.loads(out.read_text())
    assert result["bm25"]["ndcg@10"] >= 0.685  # published bm25s: 0.687
    assert result["bm25"]["recall@100"] >= 0.9
    assert result["stdio"]["top10_mismatches"] == 0


def test_scale_benchmark_runs_on_a_reduced_corpus(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    cmd = [sys.executable, str(ROOT / "scripts" / "bench_docs_scale.py"), "--chunks", "17000",
           "--work", str(tmp_path / "ws"), "--out", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, timeout=3600)
    result = json.loads(out.read_text())
    assert result["ingest_full"]["chunks"] >= 15000 and result["ingest_full"]["failed"] == 0
    assert result["ingest_one_file_changed"]["changed"] == 1
    assert result["query"]["k10"]["p50_ms"] > 0
