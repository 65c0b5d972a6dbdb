"""The docs MCP server: search_docs, get_passage, list_sources, and every source as a resource.

Results carry structured content (the output schema below) and a compact text rendering. Each
passage has a `citation_id` (`d:` + 10 hex digits) derived from source path, chunk position and
chunk content hash, so it is stable across re-ingests of unchanged files, and a character span
(plus pages for PDF) into the source text that the `sleuth-docs://source/<id>` resource returns.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, Resource, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from mcp_servers.docs import layout
from mcp_servers.docs.freshness import Freshness, Refresher
from mcp_servers.docs.parsers import SUFFIX_TYPES
from mcp_servers.docs.search import Generation, IndexHandle, SearchError, rank
from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.logs import get_logger

log = get_logger(__name__)

URI_PREFIX = layout.SOURCE_URI
CITATION_RE = re.compile(r"^d:[0-9a-f]{10}$")
MAX_CONTEXT = 20_000


class Passage(BaseModel):
    citation_id: str = Field(description="Cite this token verbatim, e.g. d:3f9a1c2b7e.")
    source: str = Field(description="Source path (relative to the workspace when inside it).")
    uri: str = Field(description="Resource URI of the source's extracted text; spans index into it.")
    title: str
    heading_path: list[str]
    char_start: int
    char_end: int
    page_start: int | None = None
    page_end: int | None = None
    file_type: str
    modified: str = Field(description="Source file modification time, ISO 8601 UTC.")
    score: float
    text: str


class SearchResult(BaseModel):
    query: str
    mode: Literal["hybrid", "bm25", "dense"] = Field(description="The ranking actually used.")
    requested_mode: Literal["hybrid", "bm25", "dense"]
    note: str | None = Field(None, description="Why the result differs from the request, if it does.")
    index_note: str | None = Field(
        None,
        description="Set when the index is known to be behind its files (results may miss recent edits) "
        "or was built with an older text analyzer (results may miss words until it is rebuilt).",
    )
    generation: str
    passages: list[Passage]


class PassageDetail(Passage):
    context_start: int
    context_end: int
    context_before: str
    context_after: str


class SourceInfo(BaseModel):
    source: str
    uri: str
    title: str
    file_type: str
    chunks: int
    size_bytes: int
    modified: str
    content_hash: str


class IndexFreshness(BaseModel):
    state: Literal["current", "refreshing", "stale", "no-index"] = Field(
        description="The index against the files under its paths, checked at checked_at."
    )
    checked_at: str
    changed: list[str]
    added: list[str]
    removed: list[str]
    unindexable: dict[str, str] = Field(description="Files the last refresh could not index, and why.")
    note: str | None = None

    @classmethod
    def of(cls, f: Freshness) -> IndexFreshness:
        d = f.drift
        return cls(
            state=f.state, checked_at=f.checked_at, changed=list(d.changed), added=list(d.added),
            removed=list(d.removed), unindexable=dict(f.unindexable), note=f.note,
        )  # fmt: skip


class SourceList(BaseModel):
    generation: str
    embeddings: bool
    freshness: IndexFreshness
    sources: list[SourceInfo]


def _iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts or 0, UTC).isoformat(timespec="seconds")


def _where(p: dict[str, Any]) -> str:
    where = p["source"] + (" § " + " > ".join(p["heading_path"]) if p["heading_path"] else "")
    where += f" chars {p['char_start']}-{p['char_end']}"
    if p["page_start"] is not None:
        where += f" p.{p['page_start']}" + (f"-{p['page_end']}" if p["page_end"] != p["page_start"] else "")
    return where


def render_search(result: dict[str, Any]) -> str:
    """The compact text a model reads: one header line per passage, then its text."""
    passages = result["passages"]
    head = f'{len(passages)} passages for "{result["query"]}" (mode {result["mode"]}, index {result["generation"]})'
    lines = [head + "".join(f"\nnote: {result[k]}" for k in ("note", "index_note") if result[k])]
    for p in passages:
        lines.append(f"\n{p['citation_id']} | {_where(p)} | score {p['score']:.4g}\n{p['text']}")
    return "\n".join(lines)


class DocsService:
    """The tools' logic over the live index; every call re-checks `index/current`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.handle = IndexHandle(settings.index_dir)
        docs = settings.docs
        self.refresher = Refresher(settings, self.handle, auto=docs.auto_refresh, interval_s=docs.refresh_interval_s)
        self._embedder: Any = None
        self._embedder_lock = threading.Lock()

    def close(self) -> None:
        """Stop the refresh thread, then close the index: what the server does as it stops."""
        self.refresher.stop()
        self.handle.close()

    def generation(self) -> Generation:
        try:
            gen = self.handle.get()
        except Exception as exc:
            log.error("index unreadable", error=str(exc))
            raise ToolError(f"the docs index is unreadable ({exc}); re-run `sleuth ingest`") from None
        if gen is None:
            raise ToolError("there is no docs index yet; run `sleuth ingest PATH` (or set docs.paths) and try again")
        return gen

    def uses_embedder(self, mode: str) -> bool:
        """Whether a search in `mode` will encode the query (so it is worth a worker thread)."""
        if mode == "bm25":
            return False
        try:
            gen = self.handle.get()
        except Exception:
            return False
        return gen is not None and gen.embeddings is not None

    def _embed_query(self, gen: Generation) -> Any:
        """A query encoder for `gen`'s vectors, or None when the configured model is not the one used."""
        from mcp_servers.docs.embeddings import Embedder

        if gen.embeddings is None:
            return None
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = Embedder(self.settings.docs.embedding_model_path)
        if self._embedder.model_id != gen.dense_model_id:
            return None
        return lambda q: self._embedder.encode([q])[0]

    def search(
        self,
        query: str,
        k: int,
        path_prefix: str | None = None,
        file_type: str | None = None,
        mode: Literal["hybrid", "bm25", "dense"] = "hybrid",
    ) -> dict[str, Any]:
        """A `SearchResult`-shaped dict (validated against that schema by the SDK on the way out)."""
        if not query.strip():
            raise ToolError("query is empty; pass the words or question to search for")
        gen = self.generation()
        prefix = self._prefix(path_prefix)
        try:
            mask = gen.mask(prefix, file_type)
            embed = self._embed_query(gen) if mode != "bm25" else None
            if mode == "dense" and gen.embeddings is not None and embed is None:
                raise SearchError(
                    "the index's vectors were built with a different embedding model "
                    f"({gen.dense_model_id}); re-run `sleuth ingest --embeddings`"
                )
            ranking = rank(gen, query, k, mode, mask, embed)
        except (SearchError, SleuthError) as exc:
            raise ToolError(str(exc)) from None
        passages = [gen.passage(h.row, h.score) for h in ranking.hits]
        note = ranking.note
        if not passages and note is None:
            note = "no passage matched; try other words, a broader path_prefix, or mode='hybrid'"
        fresh = self.refresher.last()
        behind = fresh.note if fresh is not None and fresh.generation == gen.name else None
        index_note = "; ".join(n for n in (gen.analyzer_note, behind) if n) or None
        return {
            "query": query, "mode": ranking.mode, "requested_mode": mode, "note": note, "index_note": index_note,
            "generation": gen.name, "passages": passages,
        }  # fmt: skip

    def _prefix(self, path_prefix: str | None) -> str | None:
        """Accept workspace-relative or absolute prefixes; index names are workspace-relative."""
        if not path_prefix:
            return None
        p = path_prefix.strip()
        if Path(p).is_absolute():
            try:
                p = Path(p).resolve().relative_to(self.settings.workspace.resolve()).as_posix()
            except ValueError:
                return p
        return p.removeprefix("./")

    def passage(self, citation_id: str, context_chars: int) -> PassageDetail:
        cid = citation_id.strip()
        if not CITATION_RE.match(cid):
            raise ToolError(f"{citation_id!r} is not a citation id; ids look like d:3f9a1c2b7e")
        gen = self.generation()
        rows = gen.query(
            "SELECT c.row_id, c.char_start, c.char_end, s.text AS source_text "
            "FROM chunks c JOIN sources s USING (source) WHERE c.citation_id = ?",
            [cid],
        )
        if not rows:
            raise ToolError(
                f"{cid} is not in the current index ({gen.name}); the file may have changed since — search again"
            )
        row = rows[0]
        text: str = row["source_text"]
        start = max(0, row["char_start"] - context_chars)
        end = min(len(text), row["char_end"] + context_chars)
        base = gen.passage(row["row_id"], 1.0)
        return PassageDetail(
            **base,
            context_start=start,
            context_end=end,
            context_before=text[start : row["char_start"]],
            context_after=text[row["char_end"] : end],
        )

    def source_infos(self, gen: Generation | None = None) -> list[SourceInfo]:
        rows = (gen or self.generation()).query(
            "SELECT source, source_id, title, file_type, n_chunks, size, mtime, content_hash "
            "FROM sources ORDER BY source"
        )
        return [
            SourceInfo(
                source=r["source"],
                uri=URI_PREFIX + r["source_id"],
                title=r["title"],
                file_type=r["file_type"],
                chunks=r["n_chunks"],
                size_bytes=r["size"],
                modified=_iso(r["mtime"]),
                content_hash=r["content_hash"],
            )
            for r in rows
        ]

    def sources(self) -> SourceList:
        """The live index's sources, and how it compares with its files right now (a stat walk)."""
        gen = self.generation()
        return SourceList(
            generation=gen.name,
            embeddings=gen.embeddings is not None,
            freshness=IndexFreshness.of(self.refresher.check()),
            sources=self.source_infos(gen),
        )

    def source_text(self, sid: str) -> str:
        gen = self.generation()
        rows = gen.query("SELECT text FROM sources WHERE source_id = ?", [sid])
        if not rows:
            raise ResourceNotFoundError(f"no source {URI_PREFIX}{sid} in the current index ({gen.name})")
        return rows[0]["text"]


class DocsServer(MCPServer):
    """MCPServer whose resource list is the live index's sources (it changes with each ingest)."""

    def __init__(self, service: DocsService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service

    async def list_resources(self) -> list[Resource]:
        static = await super().list_resources()
        try:
            listing = self.service.source_infos()
        except ToolError:
            return static
        return static + [
            Resource(
                uri=s.uri,
                name=s.source,
                title=s.title,
                description=f"{s.file_type}, {s.chunks} chunks",
                mime_type="text/plain",
            )
            for s in listing
        ]


def _auto_build(settings: Settings) -> None:
    """A fresh workspace gets an index on first start, so `sleuth serve docs` just works."""
    if layout.read_current(settings.index_dir) is not None:
        return
    from mcp_servers.docs.ingest import ingest

    if not any(p.exists() for p in settings.docs.paths):
        log.warning("no docs index and no docs.paths to build one from", paths=[str(p) for p in settings.docs.paths])
        return
    try:
        report = ingest(settings)
    except Exception as exc:  # the server still starts; tools explain that there is no index
        log.error("automatic index build failed", error=str(exc))
        return
    for path, why in report.failed:
        log.warning("skipped file", path=path, reason=why)
    log.info("built docs index", generation=report.generation, sources=report.sources, chunks=report.chunks)


INSTRUCTIONS = (
    "Search the workspace's documents. search_docs returns passages with a citation_id (d:xxxxxxxxxx); "
    "cite those ids verbatim. get_passage expands one passage with surrounding text; list_sources lists "
    "the indexed files."
)


def build_server(settings: Settings) -> MCPServer:
    """The docs server for `settings.workspace` (builds the index first if there is none)."""
    _auto_build(settings)
    service = DocsService(settings)
    service.refresher.start()

    @asynccontextmanager
    async def close_on_stop(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield
        finally:
            service.close()

    server = DocsServer(service, name="sleuth-docs", instructions=INSTRUCTIONS, lifespan=close_on_stop)
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    default_k = settings.docs.default_k

    @server.tool(annotations=read_only)
    async def search_docs(
        query: Annotated[str, Field(description="Words or a question to search for.")],
        k: Annotated[int, Field(ge=1, le=100, description="How many passages to return.")] = default_k,
        path_prefix: Annotated[
            str | None, Field(description="Only sources whose path starts with this, e.g. 'docs/policies/'.")
        ] = None,
        file_type: Annotated[
            str | None,
            Field(description=f"Only this type: {', '.join(dict.fromkeys(SUFFIX_TYPES.values()))} (or a suffix)."),
        ] = None,
        mode: Annotated[
            Literal["hybrid", "bm25", "dense"],
            Field(description="hybrid (BM25 + embeddings, fused; BM25 alone if no embeddings), bm25 or dense."),
        ] = "hybrid",
    ) -> Annotated[CallToolResult, SearchResult]:
        """Search the indexed documents; every passage carries a citation_id and its exact span."""
        run = functools.partial(service.search, query, k, path_prefix, file_type, mode)
        # BM25 costs about a millisecond of CPU: cheaper inline than a worker-thread hop. A query
        # embedding (~10 ms in onnxruntime, which releases the GIL) goes to a worker thread.
        result = await anyio.to_thread.run_sync(run) if service.uses_embedder(mode) else run()
        return CallToolResult(content=[TextContent(type="text", text=render_search(result))], structured_content=result)

    @server.tool(annotations=read_only)
    def get_passage(
        citation_id: Annotated[str, Field(description="A citation_id returned by search_docs, e.g. d:3f9a1c2b7e.")],
        context_chars: Annotated[
            int, Field(ge=0, le=MAX_CONTEXT, description="Characters of surrounding text on each side.")
        ] = 600,
    ) -> Annotated[CallToolResult, PassageDetail]:
        """Expand one passage: its text plus the text around it in the source."""
        d = service.passage(citation_id, context_chars)
        text = f"{d.citation_id} | {_where(d.model_dump())}\n…{d.context_before}\n>>> {d.text} <<<\n{d.context_after}…"
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=d.model_dump(mode="json")
        )

    @server.tool(annotations=read_only)
    def list_sources() -> Annotated[CallToolResult, SourceList]:
        """List the indexed source documents (path, title, type, chunks, size, modified, resource URI),
        and whether the index is up to date with them (it refreshes itself when they change)."""
        listing = service.sources()
        fresh = listing.freshness
        lines = [f"{len(listing.sources)} sources in {listing.generation} (embeddings: {listing.embeddings})"]
        lines.append(f"note: {fresh.note}" if fresh.note else f"index matches its files (checked {fresh.checked_at})")
        lines += [f"not indexed: {path}: {why}" for path, why in fresh.unindexable.items()]
        lines += [f"{s.source} | {s.title} | {s.file_type} | {s.chunks} chunks | {s.uri}" for s in listing.sources]
        return CallToolResult(
            content=[TextContent(type="text", text="\n".join(lines))],
            structured_content=listing.model_dump(mode="json"),
        )

    @server.resource(
        URI_PREFIX + "{sid}",
        name="source",
        mime_type="text/plain",
        description="A source document's extracted text; passage spans index into it.",
    )
    def source(sid: str) -> str:
        return service.source_text(sid)

    return server
