"""Optional benchmarks in the same report, so one command shows every measurable part.

* `--retrieval`: SciFact nDCG@10 / recall@100 / MRR@10 of BM25 search through the docs server's own
  code path, by the docs team's `scripts/bench_retrieval.py` (run as a subprocess: it builds a
  5,000-document index in its own scratch folder, `.cache/bench_scifact`).
* `--sql-oracle`: the defog sql-eval gold queries, loaded into DuckDB and run directly and through the
  SQL server's `run_query`, by the SQL team's `scripts/load_defog.py` (`load_dump`, `gold_queries`,
  `check_gold`).

Both read the shared benchmark data in `<repo>/../shared/data` and live in the source checkout's
`scripts/`; when either is missing the section says why it was skipped instead of failing the run.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
DATA = REPO.parent / "shared" / "data"
CACHE = REPO / ".cache"
RETRIEVAL_TIMEOUT_S = 3600


def _skipped(why: str) -> dict[str, Any]:
    return {"skipped": why}


def run_retrieval(dataset: Path = DATA / "scifact") -> dict[str, Any]:
    """BM25 retrieval quality on SciFact; {"skipped"|"error": why} when it cannot run."""
    script = SCRIPTS / "bench_retrieval.py"
    if not script.is_file():
        return _skipped(f"{script} not found (the retrieval benchmark ships with the source checkout)")
    if not (dataset / "corpus.jsonl").is_file():
        return _skipped(f"SciFact not found at {dataset}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "retrieval.json"
        cmd = [sys.executable, str(script), "--dataset", str(dataset), "--modes", "bm25", "--stdio-queries", "0",
               "--out", str(out)]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RETRIEVAL_TIMEOUT_S, cwd=REPO)
        except subprocess.TimeoutExpired:
            return {"error": f"bench_retrieval.py did not finish within {RETRIEVAL_TIMEOUT_S} s"}
        if proc.returncode != 0 or not out.is_file():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return {"error": f"bench_retrieval.py exited {proc.returncode}: {last}"}
        data = json.loads(out.read_text(encoding="utf-8"))
    bm25 = data.get("bm25", {})
    return {"dataset": "scifact", "docs": data.get("docs"), "queries": data.get("queries"),
            **{k: bm25.get(k) for k in ("ndcg@10", "recall@100", "mrr@10", "p50_ms", "p95_ms")}}  # fmt: skip


def _script_module(name: str) -> ModuleType | None:
    path = SCRIPTS / f"{name}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"sleuth_eval_{name}", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


async def run_sql_oracle(src: Path = DATA / "defog", out_dir: Path = CACHE / "defog") -> dict[str, Any]:
    """How many defog gold questions run through run_query with the same result as DuckDB directly."""
    try:
        return await _sql_oracle(src, out_dir)
    except Exception as exc:  # another team's script: report its failure in the section, keep the run
        return {"error": f"load_defog.py failed: {type(exc).__name__}: {exc}"}


async def _sql_oracle(src: Path, out_dir: Path) -> dict[str, Any]:
    mod = _script_module("load_defog")
    if mod is None:
        return _skipped(f"{SCRIPTS / 'load_defog.py'} not found (the SQL oracle ships with the source checkout)")
    questions = src / "questions_gen_postgres.csv"
    if not questions.is_file():
        return _skipped(f"defog data not found at {src}")
    load_failures = 0
    for dump in sorted(src.glob("*.sql")):
        load_failures += len(mod.load_dump(dump, out_dir).failed)
    report = await mod.check_gold(out_dir, mod.gold_queries(questions))
    n, ran = report["questions"], report["questions_run"]
    return {"dataset": "defog", "questions": n, "questions_run": ran, "run_rate": ran / n if n else 0.0,
            "load_failures": load_failures, "outcomes": report["alternative_outcomes"],
            "mismatches": report["mismatches"][:20]}  # fmt: skip
