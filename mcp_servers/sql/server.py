"""MCP wiring of the SQL server: tools, resources and the prompt over one `SqlService`.

DuckDB calls block. Served over HTTP (many clients) or in-process, every engine call runs in a
worker thread, so the event loop stays free for other requests. Served over stdio (`inline`) they
run on the loop itself: there is one client, and the connection runs one query at a time anyway,
while a thread hand-off each way costs about 0.3 ms per call on a small machine (measured with
scripts/bench_sql.py). The cost: requests that need no database (ping, a stored result page) wait
behind a running query, for at most its time limit. The engine's watchdog enforces that limit
either way. Annotations are truthful:
the read tools are read-only and idempotent; the write tool exists only with --read-write and is
marked destructive.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.mcpserver.prompts import Prompt
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, ToolAnnotations
from pydantic import Field

from mcp_servers.sql import catalog, prompts
from mcp_servers.sql.models import (
    CheckQueryOutput,
    DescribeTableOutput,
    ExecuteWriteOutput,
    ListTablesOutput,
    RunQueryOutput,
)
from mcp_servers.sql.service import SqlService
from sleuth.config import Settings

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False)

INSTRUCTIONS = """\
SQL over a DuckDB database ({mode}). Start with list_tables(), then describe_table(table) for
columns, samples and stats. Validate with check_query(sql); run with run_query(sql, max_rows).
One SELECT per call. Large results come back as the first rows plus a resource link
(sql://results/{{query_id}}?page=N) to read the rest in pages. Cite results by query_id."""


EngineCall = Callable[..., Awaitable[Any]]


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await anyio.to_thread.run_sync(fn, *args)


async def _inline(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _register_tools(server: MCPServer, svc: SqlService, run: EngineCall) -> None:
    async def list_tables() -> Annotated[CallToolResult, ListTablesOutput]:
        """Every table and view with its row count and comment."""
        return await run(svc.list_tables)

    async def describe_table(
        table: Annotated[str, Field(description="Table or view name, as list_tables() shows it.")],
    ) -> Annotated[CallToolResult, DescribeTableOutput]:
        """Columns (type, nullability, comment), a few sample rows, and per-column stats."""
        return await run(svc.describe_table, table)

    async def run_query(
        sql: Annotated[str, Field(description="One read-only DuckDB SELECT statement.")],
        max_rows: Annotated[
            int | None, Field(description="Rows to return (capped by the server's row limit).", ge=1)
        ] = None,
    ) -> Annotated[CallToolResult, RunQueryOutput]:
        """Run one read-only SELECT. Returns the first rows, a text table, and a query_id; a large
        result also comes with a resource link to read the full result in pages."""
        return await run(svc.run_query, sql, max_rows)

    async def check_query(
        sql: Annotated[str, Field(description="The SELECT to validate.")],
    ) -> Annotated[CallToolResult, CheckQueryOutput]:
        """Validate without running: parses, is read-only, and every table and column exists.
        Returns the tables it reads and the columns it would return."""
        return await run(svc.check_query, sql)

    server.add_tool(list_tables, annotations=READ_ONLY, title="List tables")
    server.add_tool(describe_table, annotations=READ_ONLY, title="Describe a table")
    server.add_tool(run_query, annotations=READ_ONLY, title="Run a read-only query")
    server.add_tool(check_query, annotations=READ_ONLY, title="Check a query without running it")

    if svc.read_write:

        async def execute_write(
            sql: Annotated[str, Field(description="One INSERT, UPDATE, DELETE, CREATE or DROP statement.")],
        ) -> Annotated[CallToolResult, ExecuteWriteOutput]:
            """Change the database (INSERT/UPDATE/DELETE/CREATE/DROP). Destructive: it modifies the file."""
            return await run(svc.execute_write, sql)

        server.add_tool(execute_write, annotations=DESTRUCTIVE, title="Write to the database")


def _register_resources(server: MCPServer, svc: SqlService, run: EngineCall) -> None:
    @server.resource(
        "sql://schema",
        name="schema",
        title="Database schema",
        description="Every table and view with columns, types, comments and row counts (Markdown).",
        mime_type="text/markdown",
    )
    async def schema() -> str:
        return await run(catalog.schema_document, svc.engine)

    @server.resource(
        "sql://results/{query_id}{?page}",
        name="query_result",
        title="Query result page",
        description="A stored run_query result by query_id, in pages (page=1, 2, ...), as JSON.",
        mime_type="application/json",
    )
    def query_result(query_id: str, page: str = "1") -> str:
        # `page` is taken as text: typed int, the SDK would refuse 'abc' itself, as an internal error
        # with a traceback on stderr, before this handler could say what is wrong.
        if not (page.isascii() and page.isdigit() and int(page) >= 1):
            raise ResourceError(f"page must be a positive integer (got {page!r})")
        try:
            return json.dumps(svc.read_result(query_id, int(page)), ensure_ascii=False)
        except KeyError as exc:
            raise ResourceNotFoundError(str(exc.args[0])) from None
        except (IndexError, ValueError) as exc:
            raise ResourceError(str(exc)) from None


class _Prompt(Prompt):
    """A prompt whose missing arguments are the client's error, named: the SDK's own check raises a
    plain ValueError, which reaches the client as "Internal server error" and stderr as a traceback."""

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> Any:
        missing = [a.name for a in self.arguments or () if a.required and not (arguments or {}).get(a.name)]
        if missing:
            raise MCPError(INVALID_PARAMS, f"{', '.join(missing)} is required")
        return await super().render(arguments, context)


def _register_prompts(server: MCPServer, svc: SqlService, run: EngineCall) -> None:
    async def text_to_sql(question: str) -> str:
        return await run(prompts.text_to_sql, svc.engine, question)

    server.add_prompt(
        _Prompt.from_function(
            text_to_sql,
            name="text_to_sql",
            title="Text to SQL (DuckDB)",
            description="Turn a question into one DuckDB query: dialect notes, the relevant schema, examples.",
        )
    )


def build_server(settings: Settings, *, inline: bool = False) -> MCPServer[Any]:
    """The SQL MCP server for `settings.sql` (raises SleuthError if the database cannot be opened).

    `inline`: run engine calls on the event loop; only for a server with one client (stdio).
    """
    return create_server(SqlService(settings.sql), inline=inline)


def create_server(svc: SqlService, *, inline: bool = False) -> MCPServer[Any]:
    """The MCP server over an existing service (benchmarks reach the engine through `svc`)."""
    mode = "read-write: execute_write changes the file" if svc.read_write else "read-only"
    server: MCPServer[Any] = MCPServer(
        name="sleuth-sql",
        title="Sleuth SQL",
        instructions=INSTRUCTIONS.format(mode=mode),
        warn_on_duplicate_tools=False,
        log_level="WARNING",  # only used when nothing configured logging yet (sleuth.logs does, in the CLI)
    )
    run = _inline if inline else _in_thread
    _register_tools(server, svc, run)
    _register_resources(server, svc, run)
    _register_prompts(server, svc, run)
    return server
