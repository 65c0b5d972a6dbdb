"""Is the live index behind the files it was built from? If so, re-ingest in the background.

The docs server builds an index only when there is none, and `sleuth ingest` is a separate step.
Without this, a server started after the docs changed, or running while they change, would
serve the old passages and nothing would tell the model. The `Refresher` compares the files under
the index's own paths with its `sources` table: size and mtime first, and the bytes' hash only
when those differ, so a touched but unchanged file is no change. When they differ it runs the
usual incremental ingest in one background thread; the old generation keeps serving until the
new one is published, and every search picks up the new one on its next call.

A refresh rebuilds the index as it was built (the paths, chunking and embedding choice in its
manifest), not with the server's own settings: `sleuth ingest ~/notes --embeddings` followed by
`sleuth serve docs` must not turn into an index of `./docs` without vectors.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mcp_servers.docs.ingest import IngestReport, content_hash, ingest, scan
from mcp_servers.docs.search import Generation, IndexHandle
from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.logs import get_logger

log = get_logger(__name__)

Signature = tuple[int, float]  # a file's size and mtime: unchanged signature, unchanged file
State = Literal["current", "refreshing", "stale", "no-index"]
SHOWN_NAMES = 5  # file names a summary spells out


@dataclass(frozen=True)
class Drift:
    """How the files under the index's paths differ from what it holds (source names)."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    # (source, size, mtime) of the added and changed files: a file edited again is a new drift
    marks: frozenset[tuple[str, int, float]] = field(default=frozenset(), repr=False)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        names = [*self.changed, *self.added, *self.removed]
        more = len(names) - SHOWN_NAMES
        shown = ", ".join(names[:SHOWN_NAMES]) + (f" and {more} more" if more > 0 else "")
        return f"{len(self.changed)} changed, {len(self.added)} new, {len(self.removed)} removed: {shown}"


@dataclass(frozen=True)
class Freshness:
    """The index against its files at `checked_at`, and what is being done about it."""

    state: State
    generation: str | None
    checked_at: str
    drift: Drift = Drift()
    unindexable: Mapping[str, str] = field(default_factory=dict)  # source -> why the live index skipped it
    note: str | None = None  # what the model should know, when the state is not "current"


def as_built(settings: Settings, manifest: Mapping[str, Any]) -> Settings:
    """`settings` with the docs paths, chunking and embedding model the index was built with.

    Paths inside the workspace the index was built in are taken inside this one, so a copied or
    moved workspace refreshes from its own files. An index from before the manifest recorded its
    workspace refreshes from the configured paths.
    """
    built_in = manifest.get("workspace")
    here = settings.workspace.resolve()

    def moved(path: str) -> Path:
        p = Path(path)
        return here / p.relative_to(built_in) if built_in is not None and p.is_relative_to(built_in) else p

    paths = [moved(p) for p in manifest.get("paths", [])] if built_in is not None else settings.docs.paths
    dense = manifest.get("embeddings") or None
    model = settings.docs.embedding_model_path
    if dense is not None:
        model = moved(dense["model_path"]) if dense.get("model_path") else None
    docs = settings.docs.model_copy(
        update={
            "paths": paths,
            "chunk_chars": manifest.get("chunk_chars", settings.docs.chunk_chars),
            "chunk_overlap": manifest.get("chunk_overlap", settings.docs.chunk_overlap),
            "embeddings": dense is not None,
            "embedding_model_path": model,
        }
    )
    return settings.model_copy(update={"docs": docs})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _signature(path: Path) -> Signature | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime


def _skipped(gen: Generation) -> dict[str, dict[str, Any]]:
    """The files `gen`'s ingest could not index, with their size and mtime then (none recorded
    before the manifest kept them: such a generation is refreshed once to record them)."""
    return gen.manifest.get("unindexable") or {}


class Refresher:
    """Checks the live index against its files; when `auto`, brings it up to date in a thread.

    `check()` is a stat walk (plus a hash of any file whose size or mtime moved), cheap enough for
    a `list_sources` call. The thread runs one check at start, then one every `interval_s` (0: only
    when `check()` finds drift), and at most one ingest at a time. A refresh that failed or could
    not publish anything (every path gone, `sleuth ingest` running, the disk full) is not retried
    until the drift changes or another ingest publishes, so it costs one attempt, not one per check.
    """

    def __init__(self, settings: Settings, handle: IndexHandle, *, auto: bool, interval_s: float) -> None:
        self.settings = settings
        self.handle = handle
        self.auto = auto
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._indexed: tuple[str, dict[str, tuple[int, float, str]]] | None = None  # generation, its sources
        self._same: set[tuple[str, int, float]] = set()  # (source, size, mtime) hashed and found unchanged
        self._given_up: Drift | None = None  # drift a refresh could not resolve, not retried while it lasts
        self._why_not = ""  # why that refresh could not
        self._pending = False
        self._refreshing = False
        self._last: Freshness | None = None

    def start(self) -> None:
        self._wake.set()  # the first check runs at once
        self._thread = threading.Thread(target=self._loop, name="docs-refresh", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """End the thread, waiting up to `timeout_s` for a refresh it may be running. Why: a
        thread still running at exit keeps DuckDB objects alive, and nanobind then prints ~100
        'leaked' lines into the MCP host's log."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def last(self) -> Freshness | None:
        """The latest check's verdict (no file system access): what a search reports."""
        with self._lock:
            return self._last

    def check(self) -> Freshness:
        """Compare the live generation with its files now; wake the refresh thread if behind."""
        gen = self.handle.get()
        if gen is None:
            return Freshness("no-index", None, _now(), note="there is no docs index yet; run `sleuth ingest`")
        drift = self._drift(gen)
        with self._lock:
            if drift and self.auto and drift != self._given_up and not self._refreshing:
                self._pending = True
                self._wake.set()
            self._last = self._verdict(gen, drift)
            return self._last

    def _verdict(self, gen: Generation, drift: Drift) -> Freshness:
        generation = gen.name
        unindexable = {source: entry["why"] for source, entry in _skipped(gen).items()}
        if self._pending or self._refreshing:
            note = f"the index is behind its files ({drift.summary()}); refreshing it in the background"
            return Freshness("refreshing", generation, _now(), drift, unindexable, note)
        if not drift:
            return Freshness("current", generation, _now(), drift, unindexable)
        why = f"the last refresh could not bring it up to date ({self._why_not}); " if drift == self._given_up else ""
        note = f"the index is behind its files ({drift.summary()}); {why}run `sleuth ingest` to update it"
        return Freshness("stale", generation, _now(), drift, unindexable, note)

    def _sources(self, gen: Generation) -> dict[str, tuple[int, float, str]]:
        if self._indexed is None or self._indexed[0] != gen.name:
            rows = gen.query("SELECT source, size, mtime, content_hash FROM sources")
            self._indexed = (gen.name, {r["source"]: (r["size"], r["mtime"], r["content_hash"]) for r in rows})
        return self._indexed[1]

    def _drift(self, gen: Generation) -> Drift:
        built = as_built(self.settings, gen.manifest)
        indexed = self._sources(gen)
        skipped = _skipped(gen)
        workspace = built.workspace.resolve()
        added: list[str] = []
        changed: list[str] = []
        seen: set[str] = set()
        marks: set[tuple[str, int, float]] = set()
        for source, path in scan(built.docs.paths, workspace, IngestReport()):
            seen.add(source)
            sig = _signature(path)
            if sig is None or (source in skipped and (skipped[source]["size"], skipped[source]["mtime"]) == sig):
                continue  # vanished mid-walk, or the index's ingest could not index it and it is as it was
            old = indexed.get(source)
            if old is None:
                added.append(source)
                marks.add((source, *sig))
            elif sig != old[:2] and (source, *sig) not in self._same:
                try:
                    same = content_hash(path.read_bytes()) == old[2]
                except OSError:
                    continue
                if same:
                    self._same.add((source, *sig))
                else:
                    changed.append(source)
                    marks.add((source, *sig))
        return Drift(tuple(added), tuple(changed), tuple(sorted(set(indexed) - seen)), frozenset(marks))

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval_s or None)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.step()
            except Exception as exc:  # a broken index or file system: log it, keep serving
                log.error("index freshness check failed", error=str(exc))

    def step(self) -> None:
        """One check, and the refresh it calls for (what the thread runs on each wake-up)."""
        freshness = self.check()
        with self._lock:
            if not self._pending:
                return
            self._pending, self._refreshing = False, True
        try:
            self._refresh(freshness.drift)
        finally:
            with self._lock:
                self._refreshing = False
        self.check()

    def _refresh(self, drift: Drift) -> None:
        gen = self.handle.get()
        if gen is None:
            return
        log.info("docs changed since the index was built; refreshing", drift=drift.summary())
        try:
            report = ingest(as_built(self.settings, gen.manifest))
        except Exception as exc:  # e.g. `sleuth ingest` is running, or the disk is full
            why = exc.message if isinstance(exc, SleuthError) else f"{type(exc).__name__}: {exc}"
            log.warning("index refresh failed", error=why)
            self._given_up, self._why_not = drift, why
            return
        published = report.generation is not None and report.generation != gen.name
        self._given_up = None if published else drift
        self._why_not = "" if published else report.refused or "nothing that changed could be indexed"
        log.info(
            "index refreshed" if published else "index refresh published nothing",
            generation=report.generation,
            new=len(report.new),
            changed=len(report.changed),
            removed=len(report.deleted),
            skipped=len(report.failed),
        )
