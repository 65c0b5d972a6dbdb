"""Build or refresh the docs index: incremental by content hash, crash-safe by generation swap.

The new generation is always written completely to `gen-NNNN.tmp` and published with a rename
plus an atomic replace of `index/current` (see layout.py), so a kill at any moment leaves the
previous index serving. Unchanged files (same bytes) keep their chunks, citation ids, vectors and
analysed BM25 terms, and the previous chunk database is updated in place rather than written
again; changed files are re-chunked; files no longer under the configured paths are dropped; a
file that cannot be read is reported by name and skipped.

When nothing under the paths can be indexed any more, the result is an empty index, not the old
one: serving it would cite files that are gone. An empty index is only refused where it is more
likely a mistake than the truth (see `_refusal`); the previous index then keeps serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mcp_servers.docs import bm25_build, layout
from mcp_servers.docs.analysis import ANALYZER, analyze
from mcp_servers.docs.bm25_build import Terms
from mcp_servers.docs.chunking import chunk
from mcp_servers.docs.layout import Run, segments
from mcp_servers.docs.parsers import ParseError, file_type, parse_file
from sleuth.config import Settings
from sleuth.logs import get_logger

log = get_logger(__name__)

FORMAT = 2
NEW_ROW = -1  # row_id of a chunk not taken from the previous generation (until `_order` numbers it)
MAX_DELETED_SHARE = 0.25  # deleted rows an updated-in-place database may carry, per kept row
#: progress(stage, done, total): stages are "scan", "parse", "embed", "index".
ProgressFn = Callable[[str, int, int], None]

CHUNK_COLUMNS = (
    "row_id",
    "citation_id",
    "source",
    "ordinal",
    "title",
    "heading_path",
    "char_start",
    "char_end",
    "page_start",
    "page_end",
    "content_hash",
    "mtime",
    "file_type",
    "text",
)
SOURCE_COLUMNS = ("source", "source_id", "file_type", "title", "content_hash", "size", "mtime", "n_chunks", "text")

_SCHEMA = """
CREATE TABLE sources (
    source VARCHAR PRIMARY KEY, source_id VARCHAR, file_type VARCHAR, title VARCHAR,
    content_hash VARCHAR, size BIGINT, mtime DOUBLE, n_chunks INTEGER, text VARCHAR);
CREATE TABLE chunks (
    row_id INTEGER, citation_id VARCHAR, source VARCHAR, ordinal INTEGER, title VARCHAR,
    heading_path VARCHAR[], char_start INTEGER, char_end INTEGER, page_start INTEGER, page_end INTEGER,
    content_hash VARCHAR, mtime DOUBLE, file_type VARCHAR, text VARCHAR);
"""


@dataclass
class IngestReport:
    """What an ingest did; `ok` is False when it published nothing (`refused` says why)."""

    generation: str | None = None
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    sources: int = 0
    chunks: int = 0
    embedded: int = 0  # vectors computed now
    embeddings_reused: int = 0  # vectors taken from the previous generation or the cache
    up_to_date: bool = False
    seconds: float = 0.0
    embed_seconds: float = 0.0
    bytes_read: int = 0
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.generation is not None


def citation_id(source: str, ordinal: int, content_hash: str) -> str:
    """Short, stable, unambiguous: the same file bytes give the same ids on every ingest."""
    return "d:" + hashlib.sha1(f"{source}\0{ordinal}\0{content_hash}".encode()).hexdigest()[:10]


def content_hash(data: bytes) -> str:
    """A file's identity in the index: the same bytes are the same source, whatever its mtime."""
    return hashlib.sha256(data).hexdigest()[:16]


def source_id(source: str) -> str:
    return hashlib.sha1(source.encode()).hexdigest()[:12]


def source_name(path: Path, workspace: Path) -> str:
    """A path's name in the index: relative to the (resolved) workspace when inside it, else absolute."""
    return path.relative_to(workspace).as_posix() if path.is_relative_to(workspace) else path.as_posix()


def _root_name(root: Path, workspace: Path) -> str:
    """A configured path's name: as configured (a symlinked `docs` stays `docs`, so path_prefix
    filters match what the user wrote), or where it leads when only that is inside the workspace."""
    if root.is_relative_to(workspace):
        return source_name(root, workspace)
    return source_name(root.resolve(), workspace)


def scan(paths: Iterable[Path], workspace: Path, report: IngestReport) -> list[tuple[str, Path]]:
    """Supported files under `paths` (hidden entries and links to folders skipped) as (source
    name, path), sorted by name; bad paths go to the report. A file reached through two
    configured paths (one inside the other, or a link to it) is listed once, by the first."""
    found: dict[str, tuple[str, Path]] = {}  # where the file really is -> (name, path)
    for configured in paths:
        root = Path(os.path.abspath(configured))
        if not root.exists():
            report.failed.append((str(configured), "does not exist"))
        elif root.is_file():
            if file_type(root) is None:
                report.failed.append((str(configured), f"unsupported file type {root.suffix or '(none)'}"))
            else:
                found.setdefault(str(root.resolve()), (_root_name(root, workspace), root))
        else:
            name, real = _root_name(root, workspace), str(root.resolve())
            prefix = "" if name == "." else name + "/"  # "." is the workspace itself
            for rel, path in _files_under(root):
                found.setdefault(f"{real}/{rel}", (prefix + rel, path))
    return sorted(found.values())


def _files_under(base: Path) -> Iterator[tuple[str, Path]]:
    """Supported files in the folder tree, as (path relative to `base`, path); hidden entries and
    links to folders skipped (so a link loop is never followed), unreadable folders too. Directory
    entries know their type, so a regular file costs no stat call: the freshness check walks the
    whole tree every 30 s, and stats only what it compares."""
    folders = [(str(base), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, prefix + entry.name + "/"))
            elif file_type(path := Path(entry.path)) is not None and entry.is_file():
                yield prefix + entry.name, path


def _path_names(paths: Iterable[str | Path], workspace: str) -> list[str]:
    """Configured paths as two ingests compare them: workspace-relative when inside it, so a
    copied or moved workspace has the same paths."""
    return [source_name(Path(os.path.abspath(p)), Path(workspace)) for p in paths]


@dataclass
class _Previous:
    """The live generation, as far as an incremental ingest needs it."""

    name: str
    manifest: dict[str, Any]
    sources: dict[str, str]  # source -> content hash
    n_chunks: dict[str, int]  # source -> its chunk count
    db: Path
    embeddings: np.ndarray | None
    embed_rows: dict[str, int]  # embed key -> row in `embeddings`
    terms: Terms | None  # BM25 term ids by row (None: the generation predates them)


def _load_previous(index_dir: Path) -> _Previous | None:
    import duckdb

    name = layout.read_current(index_dir)
    if name is None:
        return None
    gen = index_dir / name
    try:
        manifest = json.loads((gen / layout.MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            return None
        with duckdb.connect(str(gen / layout.CHUNKS_DB), read_only=True) as con:
            rows = con.execute("SELECT source, content_hash, n_chunks FROM sources").fetchall()
            sources = {source: digest for source, digest, _ in rows}
            n_chunks = {source: n for source, _, n in rows}
            embeddings, embed_rows = None, {}
            if manifest.get("embeddings") and (gen / layout.EMBEDDINGS).is_file():
                embeddings = np.load(gen / layout.EMBEDDINGS, mmap_mode="r")
                keys = con.execute("SELECT embed_key FROM embed_keys ORDER BY row_id").fetchall()
                embed_rows = {k: i for i, (k,) in enumerate(keys)}
    except Exception as exc:
        log.warning("previous index unreadable; rebuilding from scratch", generation=name, error=str(exc))
        return None
    terms = bm25_build.load_terms(gen)
    if terms is not None and len(terms) != manifest.get("chunks"):
        terms = None
    return _Previous(name, manifest, sources, n_chunks, gen / layout.CHUNKS_DB, embeddings, embed_rows, terms)


class _Columns:
    """Column lists for the chunk and source tables (fast bulk insert with UNNEST)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.data: dict[str, list[Any]] = {n: [] for n in names}

    def add(self, row: dict[str, Any]) -> None:
        for k, col in self.data.items():
            col.append(row[k])

    def extend_rows(self, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        for i, n in enumerate(names):
            self.data[n].extend(r[i] for r in rows)

    def pad(self) -> None:
        """Fill the columns left short with None, up to the longest."""
        n = max(len(col) for col in self.data.values())
        for col in self.data.values():
            col.extend([None] * (n - len(col)))

    def __len__(self) -> int:
        return len(next(iter(self.data.values())))

    def subset(self, rows: list[int]) -> dict[str, list[Any]]:
        return {n: [col[i] for i in rows] for n, col in self.data.items()}


def embed_text(title: str, heading_path: tuple[str, ...] | list[str], text: str) -> str:
    """What BM25 and the embedder see: the passage plus the title/headings it does not repeat."""
    context = [h for h in dict.fromkeys((title, *heading_path)) if h and h not in text]
    return " > ".join(context) + "\n" + text if context else text


def _chunk_file(
    path: Path,
    source: str,
    data: bytes,
    settings: Settings,
    mtime: float,
    digest: str,
    chunks: _Columns,
    sources: _Columns,
) -> None:
    extracted = parse_file(path, data)
    spans = chunk(extracted, settings.docs.chunk_chars, settings.docs.chunk_overlap)
    if not spans:
        raise ParseError("no text found")
    ftype = file_type(path) or "text"
    for ordinal, span in enumerate(spans):
        text = extracted.text[span.start : span.end]
        chash = hashlib.sha1(text.encode()).hexdigest()[:16]
        chunks.add(
            {
                "row_id": NEW_ROW,
                "citation_id": citation_id(source, ordinal, chash),
                "source": source,
                "ordinal": ordinal,
                "title": extracted.title,
                "heading_path": list(span.heading_path),
                "char_start": span.start,
                "char_end": span.end,
                "page_start": span.page_start,
                "page_end": span.page_end,
                "content_hash": chash,
                "mtime": mtime,
                "file_type": ftype,
                "text": text,
            }
        )
    sources.add(
        {
            "source": source,
            "source_id": source_id(source),
            "file_type": ftype,
            "title": extracted.title,
            "content_hash": digest,
            "size": len(data),
            "mtime": mtime,
            "n_chunks": len(spans),
            "text": extracted.text,
        }
    )


LEAN_COLUMNS = ("row_id", "source", "ordinal")  # what ordering needs of an unchanged chunk


def _copy_unchanged(prev: _Previous, names: list[str], chunks: _Columns, sources: _Columns, *, lean: bool) -> None:
    """Add the unchanged files' rows from the previous database. `lean`: only LEAN_COLUMNS of
    their chunks (the other columns hold None) and none of their sources, for an ingest that
    updates the previous database in place and copies passages and term ids from the previous
    generation: reading every unchanged row into Python was 2.3 s of a one-file re-ingest at 200k
    chunks."""
    import duckdb

    if not names:
        return
    with duckdb.connect(str(prev.db), read_only=True) as con:
        con.execute("CREATE TEMP TABLE keep AS SELECT unnest($1::VARCHAR[]) AS source", [names])
        wanted = LEAN_COLUMNS if lean else CHUNK_COLUMNS
        cols = ", ".join(f"c.{c}" for c in wanted)
        rows = con.execute(f"SELECT {cols} FROM chunks c JOIN keep USING (source) ORDER BY c.row_id").fetchall()
        chunks.extend_rows(wanted, rows)
        if lean:
            chunks.pad()
            return
        cols = ", ".join(f"s.{c}" for c in SOURCE_COLUMNS)
        rows = con.execute(f"SELECT {cols} FROM sources s JOIN keep USING (source)").fetchall()
        sources.extend_rows(SOURCE_COLUMNS, rows)


def _insert(con: Any, table: str, columns: dict[str, list[Any]]) -> None:
    names = list(columns)
    select = ", ".join(f"unnest(${i + 1})" for i in range(len(names)))
    con.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {select}", [columns[n] for n in names])


def _write_embed_keys(con: Any, embed_keys: list[str] | None) -> None:
    con.execute("DROP TABLE IF EXISTS embed_keys")
    if embed_keys is not None:
        con.execute(
            "CREATE TABLE embed_keys AS SELECT unnest($1::VARCHAR[]) AS embed_key, "
            "generate_subscripts($1::VARCHAR[], 1) - 1 AS row_id",
            [embed_keys],
        )


def _write_db(path: Path, chunks: _Columns, sources: _Columns, embed_keys: list[str] | None) -> None:
    """The whole chunk database, written from the rows in memory."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute(_SCHEMA)
        _insert(con, "chunks", chunks.data)
        _insert(con, "sources", sources.data)
        _write_embed_keys(con, embed_keys)
        con.execute("CHECKPOINT")


def _update_db(
    path: Path,
    prev_db: Path,
    chunks: _Columns,
    prev_rows: list[int],
    sources: _Columns,
    embed_keys: list[str] | None,
) -> None:
    """The previous generation's database, copied and brought up to date in place.

    Why: DuckDB compresses every row it inserts, so writing 43k unchanged chunks again took 2 s of
    a one-file re-ingest; copying the file and changing what changed takes ~0.1 s. Rows of files
    that changed or left are deleted, kept rows get their new row_id, new rows are inserted.
    """
    import duckdb

    shutil.copyfile(prev_db, path)
    moved = [(old, new) for new, old in enumerate(prev_rows) if old != NEW_ROW]
    fresh = [new for new, old in enumerate(prev_rows) if old == NEW_ROW]
    # A file's chunks are all kept or all new: the new chunks name the sources to insert.
    fresh_names = {chunks.data["source"][new] for new in fresh}
    fresh_sources = [i for i, name in enumerate(sources.data["source"]) if name in fresh_names]
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TEMP TABLE moved AS SELECT unnest($1::INTEGER[]) AS old, unnest($2::INTEGER[]) AS new",
            [[o for o, _ in moved], [n for _, n in moved]],
        )
        con.execute("DELETE FROM chunks WHERE row_id NOT IN (SELECT old FROM moved)")
        con.execute("UPDATE chunks SET row_id = moved.new FROM moved WHERE chunks.row_id = moved.old")
        con.execute("DELETE FROM sources WHERE source NOT IN (SELECT DISTINCT source FROM chunks)")
        _insert(con, "chunks", chunks.subset(fresh))
        _insert(con, "sources", sources.subset(fresh_sources))
        _write_embed_keys(con, embed_keys)
        con.execute("DROP TABLE moved")
        con.execute("CHECKPOINT")


def _deleted_in_place(prev: _Previous | None, unchanged: list[str]) -> int | None:
    """Rows the database would carry deleted if updated in place (counted since it was last
    written whole), or None when it must be written whole: no usable previous database, or more
    deleted rows than MAX_DELETED_SHARE of the kept ones (DuckDB does not give their space back)."""
    if prev is None or Path(f"{prev.db}.wal").exists():
        return None
    kept = sum(prev.n_chunks.get(name, 0) for name in unchanged)
    deleted = int(prev.manifest.get("db_deleted_rows", 0)) + int(prev.manifest.get("chunks", 0)) - kept
    return deleted if kept and deleted <= MAX_DELETED_SHARE * kept else None


def _kept_runs(prev_rows: list[int]) -> list[Run]:
    """Maximal stretches of rows that were consecutive rows of the previous generation, as
    (first row, end row, first previous row). Unchanged files keep their chunks together and in
    order, so a one-file re-ingest has a handful of them however large the corpus."""
    old = np.asarray(prev_rows, dtype=np.int64)
    kept = old != NEW_ROW
    follows = np.zeros(len(old), dtype=bool)  # kept, right after its kept predecessor's old row
    follows[1:] = kept[1:] & kept[:-1] & (old[1:] == old[:-1] + 1)
    starts = np.flatnonzero(kept & ~follows)
    ends = np.flatnonzero(kept & ~np.append(follows[1:], False)) + 1
    return [(int(a), int(b), int(old[a])) for a, b in zip(starts, ends, strict=True)]


def _copy_range(src: BinaryIO, dst: BinaryIO, start: int, length: int) -> None:
    src.seek(start)
    while length > 0:
        block = src.read(min(length, 1 << 20))
        if not block:
            raise OSError(f"{src.name} is shorter than its offsets say")
        dst.write(block)
        length -= len(block)


def _write_passages(folder: Path, texts: list[str], runs: list[Run], prev_dir: Path | None) -> None:
    """Chunk texts as one UTF-8 blob + offsets: the search hot path slices it through mmap.
    Rows in `runs` are copied as bytes from the previous generation's blob, a run at a time."""
    lengths = np.zeros(len(texts), dtype=np.int64)
    with ExitStack() as stack:
        out = stack.enter_context((folder / layout.PASSAGES).open("wb"))
        if runs:
            assert prev_dir is not None
            prev_offsets = np.load(prev_dir / layout.PASSAGE_OFFSETS)
            prev_blob = stack.enter_context((prev_dir / layout.PASSAGES).open("rb"))
        for start, end, old in segments(len(texts), runs):
            if old is None:
                data = texts[start].encode()
                out.write(data)
                lengths[start] = len(data)
            else:
                sizes = np.diff(prev_offsets[old : old + end - start + 1])
                _copy_range(prev_blob, out, int(prev_offsets[old]), int(sizes.sum()))
                lengths[start:end] = sizes
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    np.save(folder / layout.PASSAGE_OFFSETS, offsets)


def _terms(
    n_rows: int, text_of: Callable[[int], str], runs: list[Run], prev: Terms | None, progress: ProgressFn | None
) -> Terms:
    """Every chunk's term ids: unchanged chunks' from the previous generation (a run at a time),
    the rest analysed now. New terms extend the previous vocabulary, so reused ids keep their meaning."""
    index = {t: i for i, t in enumerate(prev.vocab)} if prev is not None else {}
    runs = runs if prev is not None else []
    fresh_rows = [start for start, _, old in segments(n_rows, runs) if old is None]
    fresh: dict[int, np.ndarray] = {}
    step = max(1, len(fresh_rows) // 50)
    for k, row in enumerate(fresh_rows):
        fresh[row] = np.array([index.setdefault(t, len(index)) for t in analyze(text_of(row))], dtype=np.int32)
        if progress is not None and k % step == 0:
            progress("index", k, len(fresh_rows))
    if progress is not None:
        progress("index", len(fresh_rows), len(fresh_rows))
    return bm25_build.splice(n_rows, runs, prev, fresh, list(index))


class EmbeddingCache:
    """Vectors by `embedding_key`, persisted in one .npz per model (benchmarks reuse corpus vectors)."""

    def __init__(self, folder: Path, model_id: str) -> None:
        safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in model_id)
        self.path = folder / f"{safe}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            with np.load(self.path) as data:
                self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(self.vectors)), vectors=np.stack(list(self.vectors.values())))
        tmp.replace(self.path)


def _embed(
    settings: Settings,
    texts: list[str],
    prev: _Previous | None,
    cache_dir: Path | None,
    report: IngestReport,
    progress: ProgressFn | None,
) -> tuple[np.ndarray, list[str], str]:
    from mcp_servers.docs.embeddings import Embedder, embedding_key

    embedder = Embedder(settings.docs.embedding_model_path)
    keys = [embedding_key(embedder.model_id, t) for t in texts]
    cache = EmbeddingCache(cache_dir, embedder.model_id) if cache_dir is not None else None
    same_model = prev is not None and (prev.manifest.get("embeddings") or {}).get("model_id") == embedder.model_id
    vectors: list[np.ndarray | None] = [None] * len(texts)
    for i, key in enumerate(keys):
        if same_model and prev is not None and prev.embeddings is not None and key in prev.embed_rows:
            vectors[i] = np.asarray(prev.embeddings[prev.embed_rows[key]])
        elif cache is not None and key in cache.vectors:
            vectors[i] = cache.vectors[key]
    missing = [i for i, v in enumerate(vectors) if v is None]
    report.embeddings_reused = len(texts) - len(missing)
    started = time.perf_counter()
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("embed", done, len(missing))

    if missing:
        fresh = embedder.encode([texts[i] for i in missing], progress=tick)
        for j, i in enumerate(missing):
            vectors[i] = fresh[j]
            if cache is not None:
                cache.vectors[keys[i]] = fresh[j]
        if cache is not None:
            cache.save()
    report.embedded = len(missing)
    report.embed_seconds = time.perf_counter() - started
    matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, 384), dtype=np.float32)
    return matrix, keys, embedder.model_id


def ingest(
    settings: Settings,
    progress: ProgressFn | None = None,
    embedding_cache: Path | None = None,
) -> IngestReport:
    """Bring `<workspace>/.sleuth/index` in line with `settings.docs.paths`. See the module doc."""
    started = time.perf_counter()
    report = IngestReport()
    index_dir = settings.index_dir
    with layout.ingest_lock(index_dir):
        layout.prune(index_dir)
        workspace = settings.workspace.resolve()
        files = scan(settings.docs.paths, workspace, report)
        if progress is not None:
            progress("scan", len(files), len(files))
        prev = _load_previous(index_dir)
        same_params = prev is not None and (
            prev.manifest.get("chunk_chars") == settings.docs.chunk_chars
            and prev.manifest.get("chunk_overlap") == settings.docs.chunk_overlap
            and prev.manifest.get("analyzer") == ANALYZER
        )
        # An index from before the manifest recorded its workspace was built in this one.
        same_paths = prev is not None and _path_names(
            prev.manifest.get("paths", []), prev.manifest.get("workspace", str(workspace))
        ) == _path_names(settings.docs.paths, str(workspace))
        chunks, sources = _Columns(CHUNK_COLUMNS), _Columns(SOURCE_COLUMNS)
        unchanged: list[str] = []
        seen: set[str] = set()
        skipped: dict[str, dict[str, Any]] = {}  # the manifest's "unindexable" (see _skip)
        for n, (source, path) in enumerate(files, start=1):
            seen.add(source)
            st: os.stat_result | None = None
            try:  # stat first: a save after it moves the mtime, so the freshness check re-reads the file
                st = path.stat()
                data = path.read_bytes()
            except OSError as exc:
                _skip(report, skipped, source, st, f"unreadable: {exc.strerror or exc}")
                continue
            mtime = st.st_mtime
            report.bytes_read += len(data)
            digest = content_hash(data)
            old = prev.sources.get(source) if prev is not None else None
            if same_params and old == digest:
                unchanged.append(source)
            else:
                try:
                    _chunk_file(path, source, data, settings, mtime, digest, chunks, sources)
                except ParseError as exc:
                    _skip(report, skipped, source, st, str(exc))
                else:
                    (report.changed if old is not None else report.new).append(source)
            if progress is not None:
                progress("parse", n, len(files))
        report.unchanged = len(unchanged)
        report.deleted = sorted(set(prev.sources) - seen) if prev is not None else []
        prev_dense = prev.manifest.get("embeddings") if prev is not None else None
        want_dense = {"model_path": _model_path(settings)} if settings.docs.embeddings else None
        if (
            prev is not None
            and same_params
            and same_paths  # else the manifest must name the new paths, for the freshness check to watch
            and not report.new
            and not report.changed
            and not report.deleted
            and (prev_dense or {}).get("model_path") == (want_dense or {}).get("model_path")
            and bool(prev_dense) == bool(want_dense)
            and not any(src in prev.sources for src, _ in report.failed)
            and _signatures(prev.manifest.get("unindexable") or {}) == _signatures(skipped)
        ):
            report.up_to_date = True
            report.generation = prev.name
            report.sources = len(prev.sources)
            report.chunks = int(prev.manifest.get("chunks", 0))
            report.seconds = time.perf_counter() - started
            return report
        deleted = _deleted_in_place(prev, unchanged)
        # Updated in place, BM25 only: unchanged rows need not be read (their passages and term
        # ids are copied from the previous generation's files). Embeddings key on every text.
        lean = prev is not None and deleted is not None and prev.terms is not None and not settings.docs.embeddings
        if prev is not None:
            _copy_unchanged(prev, unchanged, chunks, sources, lean=lean)
        prev_rows = _order(chunks)
        report.sources, report.chunks = len(sources) + (len(unchanged) if lean else 0), len(chunks)
        if not report.chunks:
            report.refused = _refusal(prev, same_paths, settings.docs.paths)
            if report.refused is not None:
                log.warning("nothing indexed; the previous index, if any, is unchanged", why=report.refused)
                report.seconds = time.perf_counter() - started
                return report
            log.warning("the index is empty: none of the configured files could be indexed", removed=report.deleted)
        _publish(settings, prev, chunks, prev_rows, sources, skipped, deleted, report, progress, embedding_cache)
    report.seconds = time.perf_counter() - started
    log.info("ingest done", generation=report.generation, chunks=report.chunks, seconds=round(report.seconds, 2))
    return report


def _skip(
    report: IngestReport, skipped: dict[str, dict[str, Any]], source: str, st: os.stat_result | None, why: str
) -> None:
    """Report a file that cannot be indexed. With its size and mtime it goes in the manifest too,
    so the next server's freshness check knows it until it changes, and does not re-ingest
    everything at each start to find it unindexable again."""
    report.failed.append((source, why))
    if st is not None:
        skipped[source] = {"size": st.st_size, "mtime": st.st_mtime, "why": why}


def _signatures(skipped: dict[str, dict[str, Any]]) -> dict[str, tuple[int, float]]:
    return {source: (entry["size"], entry["mtime"]) for source, entry in skipped.items()}


def _refusal(prev: _Previous | None, same_paths: bool, paths: list[Path]) -> str | None:
    """Why an ingest that found nothing to index publishes nothing, or None: publish the empty
    index. It is refused for a first ingest, for other paths than the live index's (`sleuth
    ingest PATH` with a wrong PATH must not wipe it) and when none of the paths exists (a typo, a
    moved folder, an unmounted drive); only the same, existing paths emptied are taken as true."""
    if prev is None:
        return "no file under the configured paths could be indexed"
    if not same_paths:
        return "no file under the new paths could be indexed; the index of the previous ones is kept"
    if not any(p.exists() for p in paths):
        shown = ", ".join(map(str, paths))
        return f"none of the index's paths exists ({shown}); restore them or change docs.paths"
    return None


def _model_path(settings: Settings) -> str | None:
    """The configured embedding model (None = the bundled one), as recorded in the manifest."""
    path = settings.docs.embedding_model_path
    return str(path) if path is not None else None


def _order(chunks: _Columns) -> list[int]:
    """Rows sorted by (source, ordinal), row_id = position: the same files give the same layout.
    Returns each row's row_id in the previous generation (NEW_ROW for a chunk made now)."""
    order = sorted(range(len(chunks)), key=lambda i: (chunks.data["source"][i], chunks.data["ordinal"][i]))
    for name, col in chunks.data.items():
        chunks.data[name] = [col[i] for i in order]
    prev_rows = chunks.data["row_id"]
    chunks.data["row_id"] = list(range(len(order)))
    return prev_rows


def _publish(
    settings: Settings,
    prev: _Previous | None,
    chunks: _Columns,
    prev_rows: list[int],
    sources: _Columns,
    skipped: dict[str, dict[str, Any]],
    deleted: int | None,
    report: IngestReport,
    progress: ProgressFn | None,
    embedding_cache: Path | None,
) -> None:
    """Write the new generation beside the live one, then switch to it. `skipped`: see `_skip`;
    `deleted`: see `_deleted_in_place` (None: write the chunk database whole)."""
    index_dir = settings.index_dir
    name = layout.next_generation(index_dir)
    tmp = index_dir / f"{name}.tmp"
    try:  # mkdir inside: a Ctrl-C that lands as it returns must not leave the folder behind
        tmp.mkdir(parents=True)
        d = chunks.data

        def text_of(row: int) -> str:
            return embed_text(d["title"][row], d["heading_path"][row], d["text"][row])

        runs = _kept_runs(prev_rows) if prev is not None else []
        _write_passages(tmp, d["text"], runs, prev.db.parent if prev is not None else None)
        dense: dict[str, Any] | None = None
        keys = None
        if settings.docs.embeddings:
            texts = [text_of(row) for row in range(len(chunks))]
            matrix, keys, model_id = _embed(settings, texts, prev, embedding_cache, report, progress)
            np.save(tmp / layout.EMBEDDINGS, matrix)
            dense = {"model_id": model_id, "dim": int(matrix.shape[1]), "model_path": _model_path(settings)}
        terms = _terms(len(chunks), text_of, runs, prev.terms if prev is not None else None, progress)
        bm25_build.save(tmp / layout.BM25_DIR, terms)
        bm25_build.save_terms(tmp, terms)
        if prev is not None and deleted is not None:
            _update_db(tmp / layout.CHUNKS_DB, prev.db, chunks, prev_rows, sources, keys)
        else:
            _write_db(tmp / layout.CHUNKS_DB, chunks, sources, keys)
        manifest = {
            "format": FORMAT,
            "generation": name,
            "created_at": datetime.now(UTC).isoformat(),
            "sources": report.sources,
            "chunks": report.chunks,
            "chunk_chars": settings.docs.chunk_chars,
            "chunk_overlap": settings.docs.chunk_overlap,
            "analyzer": ANALYZER,
            "embeddings": dense,
            "paths": [str(p) for p in settings.docs.paths],
            "workspace": str(settings.workspace.resolve()),  # where `paths` are, if the folder moves
            "db_deleted_rows": deleted or 0,
            "unindexable": skipped,  # source -> size, mtime, why (absent in indexes built before it)
        }
        (tmp / layout.MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        layout.publish(index_dir, tmp, name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.generation = name
    layout.prune(index_dir)
