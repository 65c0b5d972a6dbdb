"""The on-disk index layout and its swap point.

    <workspace>/.sleuth/index/current        text "gen-0003": the live generation
    <workspace>/.sleuth/index/gen-0003/      chunks.duckdb, bm25/, passages.bin + .idx.npy,
                                             terms.npy + .idx.npy, embeddings.npy, manifest.json
    <workspace>/.sleuth/index/.ingest.lock   held (flock) while an ingest runs

An ingest builds `gen-NNNN.tmp` completely, renames it to `gen-NNNN`, then replaces `current`
atomically. A crash at any point leaves `current` naming a complete generation.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sleuth.errors import SleuthError

CURRENT = "current"
LOCK = ".ingest.lock"
CHUNKS_DB = "chunks.duckdb"
BM25_DIR = "bm25"
EMBEDDINGS = "embeddings.npy"
MANIFEST = "manifest.json"
PASSAGES = "passages.bin"  # chunk texts, UTF-8, concatenated in row order (a copy of chunks.text)
PASSAGE_OFFSETS = "passages.idx.npy"
TERMS = "terms.npy"  # every chunk's BM25 term ids, flat, in row order (a re-ingest reuses them)
TERM_OFFSETS = "terms.idx.npy"
SOURCE_URI = "sleuth-docs://source/"  # + source_id: a source's extracted text, as an MCP resource
KEEP_GENERATIONS = 2  # the live one and the one before it (a server may still be reading it)

_GEN = re.compile(r"^gen-(\d{4,})$")

# Rows [start, end) of a new generation that are the rows from `old_start` on of the previous one:
# how a re-ingest copies what did not change (passages, term ids) without reading it.
Run = tuple[int, int, int]


def segments(n_rows: int, runs: Sequence[Run]) -> Iterator[tuple[int, int, int | None]]:
    """All rows in order, as (start, end, previous start) per run and (row, row + 1, None) per
    row outside the runs."""
    runs_at = {start: (end, old) for start, end, old in runs}
    row = 0
    while row < n_rows:
        if row in runs_at:
            end, old = runs_at[row]
            yield row, end, old
            row = end
        else:
            yield row, row + 1, None
            row += 1


def read_current(index_dir: Path) -> str | None:
    """The live generation's name, or None when there is no (valid) index yet."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return name if _GEN.match(name) and (index_dir / name / MANIFEST).is_file() else None


def generations(index_dir: Path) -> list[str]:
    if not index_dir.is_dir():
        return []
    names = [p.name for p in index_dir.iterdir() if p.is_dir() and _GEN.match(p.name)]
    return sorted(names, key=lambda n: int(n.split("-")[1]))


def next_generation(index_dir: Path) -> str:
    gens = generations(index_dir)
    number = int(gens[-1].split("-")[1]) + 1 if gens else 1
    return f"gen-{number:04d}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, tmp_dir: Path, name: str) -> None:
    """Make the fully written `tmp_dir` the live generation `name` (rename, then swap `current`)."""
    final = index_dir / name
    os.replace(tmp_dir, final)
    pointer = index_dir / f".{CURRENT}.tmp"
    with open(pointer, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)


def prune(index_dir: Path) -> None:
    """Drop leftovers of crashed ingests and generations older than the last KEEP_GENERATIONS."""
    live = read_current(index_dir)
    for path in index_dir.glob("gen-*.tmp"):
        shutil.rmtree(path, ignore_errors=True)
    old = [g for g in generations(index_dir) if g != live][: -KEEP_GENERATIONS + 1 or None]
    for name in old:
        shutil.rmtree(index_dir / name, ignore_errors=True)


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    """One ingest per index at a time; a second one fails fast with a clear message."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SleuthError(
                f"another ingest is already running on {index_dir}",
                fix="wait for it to finish, then run `sleuth ingest` again",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
