"""The files MCP server: sandboxed listing, reading and content search; writes only when enabled.

Every tool resolves its path through `Sandbox` first; every refusal is a tool error with a
specific message (never a traceback). Blocking file work runs in a worker thread.
"""

from __future__ import annotations

import functools
import mimetypes
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import CallToolResult, Resource, TextContent, ToolAnnotations
from pathspec import GitIgnoreSpec
from pydantic import BaseModel, Field

from mcp_servers.files import globs, reading, search, writing
from mcp_servers.files.models import FileInfoResult, ListDirResult, ReadFileResult, SearchResult, WriteResult
from mcp_servers.files.render import render_list, render_read, render_search
from mcp_servers.files.sandbox import FilesError, Sandbox
from mcp_servers.files.walk import VCS_DIRS, Entry, walk
from sleuth.config import FilesSettings, Settings
from sleuth.errors import ConfigError
from sleuth.logs import get_logger

log = get_logger(__name__)
T = TypeVar("T")
MAX_LISTED_RESOURCES = 500
MAX_RESOURCE_BYTES = 2 << 20
SEARCH_GRACE_S = 2.0
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False)


class FilesServer(MCPServer[Any]):
    """MCPServer whose resource list is the (bounded) set of files inside the roots, read live."""

    def __init__(self, sandbox: Sandbox, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sandbox = sandbox

    async def list_resources(self) -> list[Resource]:
        return await anyio.to_thread.run_sync(self._file_resources)

    def _file_resources(self) -> list[Resource]:
        out: list[Resource] = []
        for root in self.sandbox.roots:
            start = self.sandbox.resolve(root.path)
            for e in walk(self.sandbox, start, max_depth=64, include_ignored=False, skip_dirs=VCS_DIRS):
                if len(out) >= MAX_LISTED_RESOURCES:
                    return out
                real = f"{root.path}/{e.rel}"
                if self._servable(e, real):
                    out.append(
                        Resource(
                            uri=Path(real).as_uri(),
                            name=self.sandbox.display(root, e.rel),
                            mime_type=mimetypes.guess_type(real)[0] or "text/plain",
                            size=e.st.st_size,
                        )
                    )
        return out

    def _servable(self, e: Entry, real: str) -> bool:
        """What resources/read would serve: a readable text file within the size limit (sniffed like read_file)."""
        if not e.readable or e.undecodable or e.st.st_size > MAX_RESOURCE_BYTES:
            return False
        try:
            fd, _ = self.sandbox.open_walked(real, e.st, e.rel)
        except (FilesError, OSError):
            return False
        with os.fdopen(fd, "rb") as f:
            return not reading.is_binary(f.read(reading.BINARY_SNIFF_BYTES))


def _path_rules(sandbox: Sandbox) -> str:
    roots = ", ".join(f"'{r.name}' ({r.path})" for r in sandbox.roots)
    if len(sandbox.roots) == 1:
        return (
            f"Paths are relative to the root {roots}; absolute paths are accepted only inside it. "
            "'..' is refused, and secrets (.env, keys, .git internals) are denied."
        )
    return (
        f"Roots: {roots}. Start a path with a root's name to choose it (e.g. '{sandbox.roots[1].name}/README.md'); "
        f"any other relative path is inside the first root '{sandbox.roots[0].name}'. Absolute paths are "
        "accepted only inside a root. '..' is refused, and secrets (.env, keys, .git internals) are denied."
    )


def _glob(glob: str | None) -> GitIgnoreSpec | None:
    """A caller's glob, as a gitignore-style pattern relative to the searched folder."""
    if glob is None or not glob.strip():
        return None
    if "\x00" in glob or ".." in glob.split("/") or glob.startswith("/") or len(glob) > 500:
        raise FilesError(f"glob {glob!r} is not allowed: use a pattern like '*.py' or 'src/**/*.md' without '..'")
    if globs.too_costly(glob):
        raise FilesError(
            f"glob {glob[:100]!r} has more than {globs.MAX_WILDCARDS} '*' wildcards, which could make matching "
            "run for hours; use at most two (e.g. '*.py', 'src/**/*.md') and narrow with path"
        )
    try:
        return GitIgnoreSpec.from_lines([glob])
    except (re.error, ValueError) as exc:  # pathspec's pattern errors are ValueErrors
        raise FilesError(f"glob {glob[:100]!r} is not a valid gitignore-style pattern: {exc}") from None


async def _run(fn: Callable[..., T], *args: Any, abandon: bool = False) -> T:
    """Run blocking file work in a thread; turn refusals into tool errors the model can read.

    `abandon`: a cancelled call returns at once and the thread is left to finish on its own.
    """
    try:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args), abandon_on_cancel=abandon)
    except FilesError as exc:
        raise ToolError(str(exc)) from None
    except OSError as exc:
        log.info("files tool OS error", error=str(exc))
        raise ToolError(f"file system error: {exc.strerror or type(exc).__name__}") from None


def _result(model: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=model.model_dump(mode="json")
    )


def _register_read_tools(server: FilesServer, cfg: FilesSettings) -> None:
    sb = server.sandbox
    rules = _path_rules(sb)

    @server.tool(
        description="List a folder: entries with type, size (bytes) and modified time (UTC), names sorted. "
        "depth > 1 descends into sub-folders (not into .gitignored ones, which are flagged `ignored`). "
        f"glob filters entries with a gitignore-style pattern relative to path ('*.py', 'src/**/*.md'). "
        f"At most {reading.MAX_LIST_ENTRIES} entries. " + rules,
        annotations=READ_ONLY,
    )
    async def list_dir(
        path: str = ".",
        depth: Annotated[int, Field(ge=1, le=reading.MAX_LIST_DEPTH)] = 1,
        glob: str | None = None,
    ) -> Annotated[CallToolResult, ListDirResult]:
        def work() -> ListDirResult:
            return reading.list_dir(sb, sb.resolve(path), depth, _glob(glob))

        res = await _run(work)
        return _result(res, render_list(res))

    @server.tool(
        description="Read a text file with line numbers, a page at a time: returns lines start_line.. "
        f"(at most max_lines, default and cap {cfg.max_read_lines}) plus total_lines and next_start_line "
        "to read on. Binary files are refused. Cite evidence as path:line. " + rules,
        annotations=READ_ONLY,
    )
    async def read_file(
        path: str,
        start_line: Annotated[int, Field(ge=1)] = 1,
        max_lines: Annotated[int, Field(ge=1)] = cfg.max_read_lines,
    ) -> Annotated[CallToolResult, ReadFileResult]:
        def work() -> ReadFileResult:
            return reading.read_file(sb, sb.resolve(path), start_line, min(max_lines, cfg.max_read_lines))

        res = await _run(work)
        return _result(res, render_read(res))

    @server.tool(
        description="Search file contents under path (a folder, recursively, or one file) for lines "
        "containing pattern: literal text by default, a Python regular expression with regex=true. "
        "Honours .gitignore (an ignored folder given as path is searched); skips binary files and .git. "
        "Returns path, line number, the line and "
        f"`context` lines around it, sorted by path then line; at most max_results (cap {cfg.max_results}), "
        f"within {cfg.search_timeout_s:g} s. glob limits the files (gitignore-style, relative to path: "
        "'*.py', 'docs/**/*.md'). " + rules,
        annotations=READ_ONLY,
    )
    async def search_files(
        pattern: str,
        path: str = ".",
        glob: str | None = None,
        regex: bool = False,
        max_results: Annotated[int, Field(ge=1)] = cfg.max_results,
        ignore_case: bool = False,
        context: Annotated[int, Field(ge=0, le=search.MAX_CONTEXT_LINES)] = 1,
    ) -> Annotated[CallToolResult, SearchResult]:
        def work() -> SearchResult:
            return search.search(
                sb,
                sb.resolve(path),
                pattern,
                regex=regex,
                ignore_case=ignore_case,
                glob_spec=_glob(glob),
                max_results=min(max_results, cfg.max_results),
                context=context,
                timeout_s=cfg.search_timeout_s,
            )

        # The search stops itself at the time limit between files; a pathological regex stuck inside
        # one file cannot be interrupted in Python, so the call gives up on it (the thread ends later).
        try:
            with anyio.fail_after(cfg.search_timeout_s + SEARCH_GRACE_S):
                res = await _run(work, abandon=True)
        except TimeoutError:
            raise ToolError(
                f"search_files did not finish within {cfg.search_timeout_s:g} s (is the regular expression "
                "very slow, e.g. nested quantifiers?); simplify the pattern or narrow path/glob"
            ) from None
        return _result(res, render_search(res))

    @server.tool(
        description="Describe a file or folder: type, size, modified time, permissions, whether it is "
        "binary, its line count (text files) and MIME type. " + rules,
        annotations=READ_ONLY,
    )
    async def file_info(path: str) -> FileInfoResult:
        return await _run(lambda: reading.file_info(sb, sb.resolve(path)))


def _register_write_tools(server: FilesServer) -> None:
    sb = server.sandbox
    rules = _path_rules(sb)

    @server.tool(
        description="Create or overwrite a UTF-8 text file with content (atomic: temp file, fsync, rename; "
        f"missing folders are created; at most {writing.MAX_WRITE_BYTES} bytes). Destructive: needs "
        "approval. " + rules,
        annotations=DESTRUCTIVE,
    )
    async def write_file(path: str, content: str) -> WriteResult:
        return await _run(lambda: writing.write_file(sb.resolve(path, must_exist=False), content))

    @server.tool(
        description="Replace the one occurrence of `old` with `new` in a UTF-8 text file (atomic). `old` "
        "must match exactly once: include enough surrounding lines. Destructive: needs approval. " + rules,
        annotations=DESTRUCTIVE,
    )
    async def edit_file(path: str, old: str, new: str) -> WriteResult:
        return await _run(lambda: writing.edit_file(sb, sb.resolve(path), old, new))


def _register_resources(server: FilesServer) -> None:
    sb = server.sandbox

    @server.resource(
        "file:///{+path}",
        name="file",
        description="A text file inside the roots, by absolute file:// URI (same sandbox rules as the tools).",
    )
    def file_resource(path: str) -> str:
        try:
            target = sb.resolve("/" + path)
            fd, _ = sb.open_file(target)
            with os.fdopen(fd, "rb") as f:
                data = f.read(MAX_RESOURCE_BYTES + 1)
        except FilesError as exc:
            raise ResourceError(str(exc)) from None
        except OSError as exc:
            raise ResourceError(f"file system error: {exc.strerror}") from None
        if len(data) > MAX_RESOURCE_BYTES:
            raise ResourceError(f"{target.display} is larger than {MAX_RESOURCE_BYTES} bytes; use read_file to page it")
        if reading.is_binary(data):
            raise ResourceError(f"{target.display} is a binary file; only text files are served")
        return data.decode("utf-8", "replace")


def build_server(settings: Settings) -> MCPServer[Any]:
    """The files server for `settings.files` (roots, deny list, limits, allow_write)."""
    cfg = settings.files
    try:
        sandbox = Sandbox(cfg.roots, [*cfg.deny, *cfg.deny_extra])
    except FilesError as exc:
        raise ConfigError(f"files server: {exc}", fix="pass --root DIR with an existing folder") from None
    server = FilesServer(
        sandbox,
        name="sleuth-files",
        instructions="Read-only access to files under the configured roots: list_dir, read_file, "
        "search_files (content search), file_info. " + _path_rules(sandbox),
    )
    _register_read_tools(server, cfg)
    if cfg.allow_write:
        _register_write_tools(server)
    _register_resources(server)
    log.info("files server ready", roots=[r.path for r in sandbox.roots], allow_write=cfg.allow_write)
    return server
