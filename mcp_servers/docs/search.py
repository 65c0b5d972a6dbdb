"""Query one index generation: BM25 (bm25s), dense (dot product), reciprocal-rank fusion.

A generation is loaded once (BM25 arrays, per-row source/type codes, the vector matrix) and kept
read-only; chunk text and metadata stay in DuckDB and are fetched for the k winners only.
Filters (path prefix, file type) become a row mask applied *before* ranking, so a filtered query
ranks only the rows it may return. `IndexHandle` re-reads `index/current` on every request (one
small file read) and swaps in a new generation when an ingest has published one.
"""

from __future__ import annotations

import json
import mmap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from mcp_servers.docs import layout
from mcp_servers.docs.analysis import ANALYZER, analyze
from mcp_servers.docs.ingest import source_name
from mcp_servers.docs.parsers import SUFFIX_TYPES

Mode = Literal["hybrid", "bm25", "dense"]
RRF_K = 60
FUSION_DEPTH = 100  # candidates taken from each ranker before fusion
_META_SQL = """
SELECT c.citation_id, c.source, s.source_id, c.title, c.heading_path, c.char_start, c.char_end,
       c.page_start, c.page_end, c.file_type, c.mtime
FROM chunks c JOIN sources s USING (source) ORDER BY c.row_id
"""


class SearchError(Exception):
    """A request the index cannot answer (bad filter, no embeddings for dense mode, ...)."""


@dataclass
class Hit:
    row: int
    score: float


@dataclass
class Ranking:
    hits: list[Hit]
    mode: str  # the mode actually used
    note: str | None


class Generation:
    """One loaded, immutable index generation."""

    def __init__(self, index_dir: Path, name: str) -> None:
        import bm25s
        import duckdb

        self.name = name
        self.dir = index_dir / name
        self.manifest: dict[str, Any] = json.loads((self.dir / layout.MANIFEST).read_text(encoding="utf-8"))
        self.retriever = bm25s.BM25.load(str(self.dir / layout.BM25_DIR), mmap=False)
        self.vocab: dict[str, int] = self.retriever.vocab_dict
        self.con = duckdb.connect(str(self.dir / layout.CHUNKS_DB), read_only=True)
        self.lock = threading.Lock()
        rows = self.con.execute(_META_SQL).fetchall()
        self.meta = [_meta(r) for r in rows]
        self.sources = sorted({m["source"] for m in self.meta})
        code = {s: i for i, s in enumerate(self.sources)}
        self.row_source = np.fromiter((code[m["source"]] for m in self.meta), dtype=np.int32, count=len(rows))
        self.row_type = np.array([m["file_type"] for m in self.meta], dtype=object)
        self.n_rows = len(rows)
        self.offsets = np.load(self.dir / layout.PASSAGE_OFFSETS)
        self.blob = _map(self.dir / layout.PASSAGES)
        emb = self.dir / layout.EMBEDDINGS
        self.embeddings: np.ndarray | None = np.load(emb) if self.manifest.get("embeddings") and emb.is_file() else None
        self._masks: dict[tuple[str | None, str | None], np.ndarray | None] = {}

    @property
    def dense_model_id(self) -> str | None:
        return (self.manifest.get("embeddings") or {}).get("model_id")

    @property
    def analyzer_note(self) -> str | None:
        """Why BM25 may miss text: the chunks were analysed otherwise than queries now are. The
        next ingest rebuilds such an index; until then a search says so rather than finding nothing."""
        built = self.manifest.get("analyzer")
        if built == ANALYZER:
            return None
        return (
            f"the index was built with an older text analyzer ({built}), so words in Chinese, Japanese "
            "or Korean may not be found; run `sleuth ingest` to rebuild it"
        )

    def close(self) -> None:
        with self.lock:
            self.con.close()

    def mask(self, path_prefix: str | None, file_type: str | None) -> np.ndarray | None:
        """Allowed rows for the filters (None = all rows). Cached: filters repeat within a session."""
        key = (path_prefix, file_type)
        if key not in self._masks:
            if len(self._masks) > 256:
                self._masks.clear()
            self._masks[key] = self._build_mask(path_prefix, file_type)
        return self._masks[key]

    def _build_mask(self, path_prefix: str | None, file_type: str | None) -> np.ndarray | None:
        mask = None
        if path_prefix:
            allowed = np.array([s.startswith(path_prefix) for s in self.sources] + [False])
            mask = allowed[self.row_source]
        if file_type:
            ftype = normalize_file_type(file_type)
            by_type = self.row_type == ftype
            mask = by_type if mask is None else (mask & by_type)
        return mask

    def bm25(self, query: str, depth: int, mask: np.ndarray | None) -> list[Hit]:
        ids = [self.vocab[t] for t in analyze(query) if t in self.vocab]
        if not ids:
            return []
        scores = self.retriever.get_scores_from_ids(ids)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        return _top(scores, depth, positive_only=True)

    def dense(self, qvec: np.ndarray, depth: int, mask: np.ndarray | None) -> list[Hit]:
        assert self.embeddings is not None
        scores = self.embeddings @ qvec
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        return [h for h in _top(scores, depth, positive_only=False) if np.isfinite(h.score)]

    def passage(self, row: int, score: float) -> dict[str, Any]:
        """One passage in the server's `Passage` shape: metadata from memory, text from passages.bin."""
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        text = self.blob[start:end].decode() if self.blob is not None else ""
        return {**self.meta[row], "score": round(score, 6), "text": text}

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with self.lock:
            cur = self.con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _meta(r: tuple[Any, ...]) -> dict[str, Any]:
    """A chunk's passage fields, computed once per generation so a search only copies them."""
    cid, source, sid, title, heading_path, start, end, page_start, page_end, ftype, mtime = r
    return {
        "citation_id": cid, "source": source, "uri": layout.SOURCE_URI + sid, "title": title,
        "heading_path": list(heading_path or []), "char_start": start, "char_end": end,
        "page_start": page_start, "page_end": page_end, "file_type": ftype,
        "modified": datetime.fromtimestamp(mtime or 0, UTC).isoformat(timespec="seconds"),
    }  # fmt: skip


def _map(path: Path) -> mmap.mmap | None:
    """Read-only map of the passage blob (None when empty: mmap cannot map zero bytes)."""
    if path.stat().st_size == 0:
        return None
    with open(path, "rb") as fh:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def _empty_note(manifest: dict[str, Any]) -> str:
    """Why a search of an empty index finds nothing (its files were deleted or cannot be read)."""
    ws = manifest.get("workspace")
    shown = ", ".join(source_name(Path(p), Path(ws)) if ws else p for p in manifest.get("paths", []))
    return (
        f"the index is empty: none of the configured files could be indexed (paths: {shown}); "
        "list_sources names any it skipped"
    )


def normalize_file_type(value: str) -> str:
    """Accept 'pdf', '.pdf', 'PDF', 'md', 'markdown', ... and return the index's type name."""
    v = value.strip().lower()
    known = set(SUFFIX_TYPES.values())
    if v in known:
        return v
    t = SUFFIX_TYPES.get(v if v.startswith(".") else "." + v)
    if t is None:
        raise SearchError(f"unknown file_type {value!r}; use one of: {', '.join(sorted(known))}")
    return t


def _top(scores: np.ndarray, k: int, positive_only: bool) -> list[Hit]:
    if positive_only:
        cand = np.flatnonzero(scores > 0)
        if cand.size == 0:
            return []
        sub = scores[cand]
    else:
        cand = None
        sub = scores
    k = min(k, sub.size)
    part = np.argpartition(-sub, k - 1)[:k]
    part = part[np.argsort(-sub[part], kind="stable")]
    rows = cand[part] if cand is not None else part
    return [Hit(int(r), float(s)) for r, s in zip(rows, sub[part], strict=True)]


def rrf(rankings: list[list[Hit]], k: int) -> list[Hit]:
    """Reciprocal-rank fusion: sum of 1/(RRF_K + rank) over the rankers that returned the row."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.row] = fused.get(hit.row, 0.0) + 1.0 / (RRF_K + rank)
    best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [Hit(row, score) for row, score in best]


def rank(
    gen: Generation,
    query: str,
    k: int,
    mode: Mode,
    mask: np.ndarray | None,
    embed_query: Callable[[str], np.ndarray] | None,
) -> Ranking:
    """Top-k rows for `query` in `mode`; hybrid falls back to BM25 (with a note) without vectors."""
    if gen.n_rows == 0:
        return Ranking([], mode, _empty_note(gen.manifest))
    if mask is not None and not mask.any():
        return Ranking([], mode, "no indexed passage matches the filters")
    if mode == "bm25":
        return Ranking(gen.bm25(query, k, mask), "bm25", None)
    if gen.embeddings is None or embed_query is None:
        if mode == "dense":
            raise SearchError(
                "dense search needs embeddings, and this index was built without them; "
                "re-run `sleuth ingest --embeddings`, or use mode='bm25' or 'hybrid'"
            )
        why = (
            "embeddings were not built for this index"
            if gen.embeddings is None
            else f"the configured embedding model is not the index's ({gen.dense_model_id})"
        )
        return Ranking(gen.bm25(query, k, mask), "bm25", f"{why}; hybrid fell back to BM25")
    qvec = embed_query(query)
    if mode == "dense":
        return Ranking(gen.dense(qvec, k, mask), "dense", None)
    depth = max(k, FUSION_DEPTH)
    return Ranking(rrf([gen.bm25(query, depth, mask), gen.dense(qvec, depth, mask)], k), "hybrid", None)


class IndexHandle:
    """The live generation of one workspace index, re-checked on each request."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._gen: Generation | None = None
        self._lock = threading.Lock()

    def get(self) -> Generation | None:
        name = layout.read_current(self.index_dir)
        if name is None:
            return self._gen
        if self._gen is not None and self._gen.name == name:
            return self._gen
        with self._lock:
            if self._gen is None or self._gen.name != name:
                self._gen = Generation(self.index_dir, name)  # the old one is dropped once unreferenced
        return self._gen

    def close(self) -> None:
        """Close the live generation's database (a later `get` opens it again)."""
        with self._lock:
            if self._gen is not None:
                self._gen.close()
                self._gen = None
