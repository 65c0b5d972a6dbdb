"""Benchmark search_files against `grep -rn` on a generated tree (10,000 files, ~100 MB).

The tree is deterministic (seeded) and cached in `.cache/bench_files/`; it has a root .gitignore,
a nested one, ignored files and binary files that also contain the pattern. grep runs on the same
tree with the ignored files excluded and binary files skipped (-I). Results must be identical
(file, line, text); the search_files time is measured through a real MCP client call (in-process
transport) and the core function alone. Target: <= 2 s on 2 cores.

    uv run python scripts/bench_files.py [--files 10000] [--mb 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mcp import Client  # noqa: E402

from mcp_servers.files import search  # noqa: E402
from mcp_servers.files.sandbox import Sandbox  # noqa: E402
from mcp_servers.files.server import build_server  # noqa: E402
from sleuth.config import load_settings  # noqa: E402

PATTERN = "needle_4711"
SEED = 20261121
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "theta",
    "kappa",
    "lambda",
    "sigma",
    "omega",
    "return",
    "import",
    "class",
    "def",
    "self",
    "value",
    "index",
    "count",
    "total",
    "result",
    "error",
    "config",
    "server",
    "client",
    "request",
    "response",
    "token",
    "buffer",
]


def _line_pool(rng: random.Random, n: int) -> list[str]:
    pool = []
    for _ in range(n):
        words = rng.choices(WORDS, k=rng.randint(6, 16))
        pool.append(" ".join(words) + (" = " + str(rng.randint(0, 99999)) if rng.random() < 0.5 else ""))
    return pool


def _text(rng: random.Random, pool: list[str], size: int, hit_rate: float) -> str:
    lines, total = [], 0
    while total < size:
        line = rng.choice(pool)
        if rng.random() < hit_rate:
            cut = rng.randint(0, len(line))
            line = line[:cut] + PATTERN + line[cut:]
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def generate(root: Path, n_files: int, total_mb: int) -> None:
    """Write the tree unless the same one is already cached."""
    marker = root / ".bench-tree"
    spec = f"{n_files}:{total_mb}:{SEED}:{PATTERN}"
    if marker.is_file() and marker.read_text() == spec:
        return
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(SEED)
    pool = _line_pool(rng, 4000)
    avg = total_mb * 1_000_000 // n_files
    root.mkdir(parents=True)
    (root / ".gitignore").write_text("build/\n*.log\n")
    for i in range(n_files):
        d = root / f"pkg_{i % 20:02d}" / f"mod_{i % 500:03d}"
        d.mkdir(parents=True, exist_ok=True)
        kind = i % 50
        if kind == 7:  # binary: NUL bytes up front, pattern inside
            (d / f"blob_{i}.bin").write_bytes(b"\x00\x01\x02" + rng.randbytes(2000) + PATTERN.encode() + b"\n")
        elif kind == 11:  # ignored by the root .gitignore
            (d / f"run_{i}.log").write_text(_text(rng, pool, avg, 0.01))
        elif kind == 13:  # ignored folder
            (d / "build").mkdir(exist_ok=True)
            (d / "build" / f"out_{i}.txt").write_text(_text(rng, pool, avg, 0.01))
        elif kind == 17:  # nested .gitignore with a negation
            (d / ".gitignore").write_text("*.tmp\n!keep.tmp\n")
            (d / f"scratch_{i}.tmp").write_text(_text(rng, pool, avg, 0.01))
            (d / "keep.tmp").write_text(_text(rng, pool, avg, 0.001))
        else:
            size = int(avg * rng.uniform(0.2, 1.8))
            (d / f"file_{i}.py").write_text(_text(rng, pool, size, 0.001))
    marker.write_text(spec)


Rows = list[tuple[str, int, str]]


class Clock:
    """Wall and CPU seconds of a block (CPU: this process plus finished children, e.g. grep)."""

    def __enter__(self) -> Clock:
        self.wall0, self.cpu0 = time.perf_counter(), self._cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = self._cpu() - self.cpu0

    @staticmethod
    def _cpu() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def grep_results(root: Path) -> tuple[Rows, Clock]:
    cmd = ["grep", "-rnI", "-F", "--exclude-dir=build", "--exclude=*.log", "--exclude=scratch_*.tmp"]
    with Clock() as clock:
        out = subprocess.run(
            [*cmd, "--", PATTERN, "."], cwd=root, capture_output=True, env={**os.environ, "LC_ALL": "C"}, check=False
        )
    rows = []
    for raw in out.stdout.decode("utf-8", "replace").splitlines():
        path, line, text = raw.split(":", 2)
        rows.append((path.removeprefix("./"), int(line), text))
    return sorted(rows), clock


def core_results(root: Path, workers: int) -> tuple[Rows, Clock]:
    sb = Sandbox([root], [])
    with Clock() as clock:
        res = search.search(
            sb,
            sb.resolve("."),
            PATTERN,
            regex=False,
            ignore_case=False,
            glob_spec=None,
            max_results=10_000_000,
            context=1,
            timeout_s=120,
            workers=workers,
        )
    return [(m.path, m.line, m.text) for m in res.matches], clock


async def tool_results(root: Path) -> tuple[Rows, Clock]:
    """search_files through a real MCP client (in-process transport: CPU covers client and server)."""
    settings = load_settings(
        root, {"files": {"roots": [str(root)], "max_results": 10_000_000, "search_timeout_s": 120}}, environ={}
    )
    async with Client(build_server(settings)) as client:
        with Clock() as clock:
            res = await client.call_tool("search_files", {"pattern": PATTERN, "max_results": 10_000_000})
    assert not res.is_error, res.content
    sc = res.structured_content or {}
    return [(m["path"], m["line"], m["text"]) for m in sc["matches"]], clock


def _row(name: str, runs: list[tuple[Rows, Clock]], expected: Rows | None) -> dict[str, object]:
    row: dict[str, object] = {
        "name": name,
        "seconds": round(min(c.wall for _, c in runs), 3),
        "cpu_seconds": round(min(c.cpu for _, c in runs), 3),
        "matches": len(runs[0][0]),
    }
    if expected is not None:
        row["identical"] = all(r == expected for r, _ in runs)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tree", type=Path, default=REPO / ".cache" / "bench_files")
    ap.add_argument("--out", type=Path, default=REPO / "bench-results" / "bench_files.json")
    args = ap.parse_args()

    t0 = time.perf_counter()
    generate(args.tree, args.files, args.mb)
    gen_s = time.perf_counter() - t0
    n_files = sum(len(f) for _, _, f in os.walk(args.tree))
    size_mb = sum(p.stat().st_size for p in args.tree.rglob("*") if p.is_file()) / 1e6

    expected, _ = grep_results(args.tree)  # also warms the page cache
    rows = [_row("grep -rnI -F (C locale)", [grep_results(args.tree) for _ in range(args.repeat)], None)]
    for workers in (1, 2, 4):
        runs = [core_results(args.tree, workers) for _ in range(args.repeat)]
        rows.append(_row(f"search() core, {workers} threads", runs, expected))
    tool_runs = [asyncio.run(tool_results(args.tree)) for _ in range(args.repeat)]
    rows.append(_row("search_files via MCP Client", tool_runs, expected))
    identical = all(r.get("identical", True) for r in rows)
    tool_s = float(rows[-1]["seconds"])  # type: ignore[arg-type]

    load = os.getloadavg()
    print(f"tree: {n_files} files, {size_mb:.1f} MB at {args.tree} (ready in {gen_s:.1f} s)")
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} (shared: wall times are noisy)")
    print(f"{'run':<32}{'best s':>9}{'cpu s':>8}{'matches':>9}{'identical':>11}")
    for r in rows:
        same = r.get("identical", "-")
        print(f"{r['name']:<32}{r['seconds']:>9.3f}{r['cpu_seconds']:>8.3f}{r['matches']:>9}{same!s:>11}")
    passed = identical and tool_s <= 2.0
    print(f"target: identical results and search_files <= 2.0 s -> {'PASS' if passed else 'FAIL'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "files": n_files,
                "megabytes": round(size_mb, 1),
                "pattern": PATTERN,
                "repeat": args.repeat,
                "cpu_count": os.cpu_count(),
                "load_average": load[0],
                "rows": rows,
                "target_seconds": 2.0,
                "passed": passed,
            },
            indent=2,
        )
    )
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
