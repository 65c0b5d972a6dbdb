"""Scale benchmark: ~200,000 chunks (SciFact replicated with perturbation), BM25 only.

Writes the corpus as Markdown files (10 abstracts per file, one `##` section each) under a
scratch folder (`--work`, default a fresh temporary one), then runs each phase in a fresh
subprocess so peak memory is its own:
  1. full ingest (`mcp_servers.docs.ingest.ingest`, the `sleuth ingest` code path),
  2. incremental re-ingest after editing one file (shows what still costs O(corpus)),
  3. 300 SciFact queries through `search_docs` (in-process MCPServer.call_tool, k=10 and k=100).
Reports ingest time, index size, query p50/p95, server load time and peak RSS per phase.

    uv run python scripts/bench_docs_scale.py [--chunks 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PER_FILE = 10


def _settings(work: Path) -> Any:
    from sleuth.config import load_settings

    return load_settings(work, {"docs": {"paths": [str(work / "docs")]}}, environ={})


def perturb(text: str, rng: random.Random, copy: int) -> str:
    """Drop ~10 % of the words and tag the copy, so every replica has its own hashes and statistics."""
    words = [w for w in text.split() if rng.random() > 0.1]
    return " ".join(words) + f" replica{copy}"


def write_corpus(dataset: Path, work: Path, target_chunks: int) -> dict[str, Any]:
    """Replicas of the corpus until about `target_chunks` chunks (counted by chunking replica 0)."""
    from mcp_servers.docs.chunking import chunk
    from mcp_servers.docs.parsers import parse_markdown

    corpus = [json.loads(line) for line in (dataset / "corpus.jsonl").open(encoding="utf-8")]
    work.mkdir(parents=True, exist_ok=True)
    settings = _settings(work)
    docs = work / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    rng = random.Random(7)
    started = time.perf_counter()

    def write_replica(copy: int) -> list[Path]:
        folder = docs / f"r{copy:03d}"
        folder.mkdir()
        paths = []
        for start in range(0, len(corpus), PER_FILE):
            part = corpus[start : start + PER_FILE]
            body = "\n\n".join(f"## {r['title']}\n\n{perturb(r['text'], rng, copy)}" for r in part)
            path = folder / f"f{start:05d}.md"
            path.write_text(f"# Batch {copy}-{start}\n\n{body}\n", encoding="utf-8")
            paths.append(path)
        return paths

    first = write_replica(0)
    size, overlap = settings.docs.chunk_chars, settings.docs.chunk_overlap
    per_replica = sum(len(chunk(parse_markdown(p.read_text(encoding="utf-8"), p.stem), size, overlap)) for p in first)
    replicas = max(1, round(target_chunks / per_replica))
    for copy in range(1, replicas):
        write_replica(copy)
    size_mb = sum(p.stat().st_size for p in docs.rglob("*.md")) / 1e6
    return {"replicas": replicas, "files": replicas * len(first), "corpus_mb": round(size_mb, 1),
            "expected_chunks": per_replica * replicas, "write_s": round(time.perf_counter() - started, 1)}  # fmt: skip


def phase_ingest(work: Path) -> dict[str, Any]:
    from mcp_servers.docs.ingest import ingest

    report = ingest(_settings(work))
    return {"seconds": round(report.seconds, 1), "chunks": report.chunks, "sources": report.sources,
            "new": len(report.new), "changed": len(report.changed), "unchanged": report.unchanged,
            "failed": len(report.failed), "generation": report.generation}  # fmt: skip


def phase_query(work: Path, dataset: Path) -> dict[str, Any]:
    from mcp_servers.docs.server import build_server

    queries = [json.loads(line)["text"] for line in (dataset / "queries.jsonl").open(encoding="utf-8")]
    server = build_server(_settings(work))

    async def run() -> dict[str, Any]:
        t0 = time.perf_counter()
        await server.call_tool("search_docs", {"query": "warm up", "k": 1, "mode": "bm25"})  # loads the index
        out: dict[str, Any] = {"load_s": round(time.perf_counter() - t0, 2)}
        for k in (10, 100):
            lat = []
            for q in queries:
                t = time.perf_counter()
                res = await server.call_tool("search_docs", {"query": q, "k": k, "mode": "bm25"})
                lat.append((time.perf_counter() - t) * 1000)
                assert not res.is_error
            lat.sort()
            out[f"k{k}"] = {"p50_ms": round(statistics.median(lat), 2), "p95_ms": round(lat[int(0.95 * len(lat))], 2)}
        return out

    return asyncio.run(run())


def _child(phase: str, work: Path, dataset: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", phase, "--work", str(work), "--dataset", str(dataset)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    ap.add_argument("--work", type=Path, help="scratch workspace (default: a fresh temporary folder)")
    ap.add_argument("--chunks", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "bench_docs_scale.json")
    ap.add_argument("--phase", choices=["ingest", "query"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        from sleuth.logs import configure_logging

        configure_logging("warning")
        result = phase_ingest(args.work) if args.phase == "ingest" else phase_query(args.work, args.dataset)
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(result))
        return 0
    if not (args.dataset / "corpus.jsonl").is_file():
        print(f"dataset not found: {args.dataset}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="sleuth-scale-") as scratch:
        return run(args, args.work or Path(scratch))


def run(args: argparse.Namespace, work: Path) -> int:
    if (work / ".sleuth").exists():
        shutil.rmtree(work / ".sleuth")
    results: dict[str, Any] = {"corpus": write_corpus(args.dataset, work, args.chunks)}
    results["ingest_full"] = _child("ingest", work, args.dataset)
    index_dir = work / ".sleuth" / "index"
    gen = index_dir / (index_dir / "current").read_text().strip()
    results["index_mb"] = {
        p.name: round(sum(f.stat().st_size for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()) / 1e6, 1)
        for p in gen.iterdir()
    }
    edited = work / "docs" / "r000" / "f00000.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\nAn added closing remark.\n", encoding="utf-8")
    results["ingest_one_file_changed"] = _child("ingest", work, args.dataset)
    results["query"] = _child("query", work, args.dataset)

    c, full, inc, q = results["corpus"], results["ingest_full"], results["ingest_one_file_changed"], results["query"]
    total_mb = sum(results["index_mb"].values())
    print(
        f"\nScale: {full['chunks']:,} chunks from {c['files']:,} files ({c['corpus_mb']} MB, SciFact x{c['replicas']})"
    )
    print(f"  full ingest        {full['seconds']:>7.1f} s   ({full['chunks'] / full['seconds']:,.0f} chunks/s), "
          f"peak RSS {full['peak_rss_mb']} MB")  # fmt: skip
    print(f"  1 file changed     {inc['seconds']:>7.1f} s   (changed {inc['changed']}, unchanged {inc['unchanged']}), "
          f"peak RSS {inc['peak_rss_mb']} MB")  # fmt: skip
    print(f"  index size         {total_mb:>7.1f} MB  {results['index_mb']}")
    print(f"  server load        {q['load_s']:>7.2f} s   peak RSS while serving {q['peak_rss_mb']} MB")
    print(f"  BM25 query k=10    p50 {q['k10']['p50_ms']} ms, p95 {q['k10']['p95_ms']} ms")
    print(f"  BM25 query k=100   p50 {q['k100']['p50_ms']} ms, p95 {q['k100']['p95_ms']} ms")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
