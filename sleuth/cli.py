"""The `sleuth` command: one entry point, subcommands.

Heavy libraries (pydantic models, DuckDB, LangGraph, MCP) are imported inside the commands, so
`sleuth --help` stays fast. Every SleuthError becomes one readable line with its fix; anything
unexpected becomes one line that points at the log file, never a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sleuth.config import Settings

app = typer.Typer(
    name="sleuth",
    help="Sleuth: an agentic research assistant over your documents, databases and files, with sources.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: $SLEUTH_WORKSPACE or the current folder)."),
]
LogLevelOpt = Annotated[str | None, typer.Option("--log-level", help="Stderr log level: debug, info, warning, error.")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="provider:model, e.g. anthropic:claude-sonnet-4-6.")]
GraderOpt = Annotated[
    str | None, typer.Option("--grader-model", help="provider:model for reflection (default: agent.grader_model).")
]


class ServerName(StrEnum):
    docs = "docs"
    sql = "sql"
    files = "files"


class TransportName(StrEnum):
    stdio = "stdio"
    http = "http"


class Client(StrEnum):
    claude_desktop = "claude-desktop"
    vscode = "vscode"
    cursor = "cursor"


# How the command line sets each settings key it can set: an invalid value's error names this.
FLAGS: dict[tuple[str, ...], str] = {
    ("agent", "model"): "flag --model",
    ("agent", "grader_model"): "flag --grader-model",
    ("sql", "db"): "flag --db",
    ("sql", "data_dirs"): "flag --data",
    ("sql", "read_write"): "flag --read-write",
    ("sql", "timeout_s"): "flag --timeout",
    ("files", "roots"): "flag --root",
    ("files", "allow_write"): "flag --allow-write",
    ("docs", "paths"): "arguments PATHS",
    ("docs", "embeddings"): "flag --embeddings/--no-embeddings",
}


def _settings(workspace: Path | None, log_level: str | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Load settings with CLI flags as the highest-precedence source, then set up logging."""
    from sleuth.config import load_settings
    from sleuth.logs import configure_logging

    over: dict[str, Any] = {k: v for k, v in (overrides or {}).items() if v not in (None, {}, [])}
    if log_level is not None:
        over["log_level"] = log_level
    settings = load_settings(workspace, over, flags=FLAGS)
    configure_logging(settings.log_level, settings.logs_dir)
    return settings


def _section(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != []}


def _models(model: str | None, grader_model: str | None) -> dict[str, Any]:
    return {"agent": _section(model=model, grader_model=grader_model)}


@app.command()
def chat(
    workspace: WorkspaceOpt = None,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue this thread id.")] = None,
    model: ModelOpt = None,
    grader_model: GraderOpt = None,
    log_level: LogLevelOpt = None,
) -> None:
    """Interactive chat in the terminal (slash commands: /help)."""
    settings = _settings(workspace, log_level, _models(model, grader_model))
    from sleuth.repl.app import run_repl

    run_repl(settings, resume=resume)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to answer.")],
    workspace: WorkspaceOpt = None,
    thread: Annotated[str | None, typer.Option("--thread", help="Thread id (continue a conversation).")] = None,
    model: ModelOpt = None,
    grader_model: GraderOpt = None,
    log_level: LogLevelOpt = None,
) -> None:
    """Answer one question with cited sources, then exit."""
    settings = _settings(workspace, log_level, _models(model, grader_model))
    from sleuth.ask import run_ask

    raise typer.Exit(run_ask(settings, question, thread_id=thread))


@app.command()
def serve(
    server: Annotated[ServerName, typer.Argument(help="Which server: docs, sql or files.")],
    workspace: WorkspaceOpt = None,
    transport: Annotated[TransportName, typer.Option("--transport", help="stdio or http.")] = TransportName.stdio,
    host: Annotated[str, typer.Option("--host", help="HTTP bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 8000,
    db: Annotated[Path | None, typer.Option("--db", help="sql: DuckDB database file.")] = None,
    data: Annotated[list[Path] | None, typer.Option("--data", help="sql: folder of CSV/Parquet/JSON.")] = None,
    read_write: Annotated[bool | None, typer.Option("--read-write", help="sql: allow writes.")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="sql: per-query timeout (s).")] = None,
    root: Annotated[list[Path] | None, typer.Option("--root", help="files: a sandbox root (repeat).")] = None,
    allow_write: Annotated[bool | None, typer.Option("--allow-write", help="files: enable writes.")] = None,
    log_level: LogLevelOpt = None,
) -> None:
    """Run one MCP server over stdio (default) or Streamable HTTP."""
    overrides = {
        "sql": _section(
            db=db and db.resolve(),
            data_dirs=[p.resolve() for p in data or []],
            read_write=read_write,
            timeout_s=timeout,
        ),
        # As given: load_settings resolves them against the workspace, exactly like sleuth.toml roots.
        "files": _section(roots=list(root or []), allow_write=allow_write),
    }
    settings = _settings(workspace, log_level, overrides)
    from mcp_servers.common.transport import run_server

    if server is ServerName.sql:
        from mcp_servers.sql.server import build_server as build_sql

        # stdio has one client: its queries run on the event loop, with no thread hand-off
        built = build_sql(settings, inline=transport is TransportName.stdio)
    elif server is ServerName.files:
        from mcp_servers.files.server import build_server

        built = build_server(settings)
    else:
        from mcp_servers.docs.server import build_server

        built = build_server(settings)
    run_server(built, transport.value, host, port)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: docs.paths).")] = None,
    workspace: WorkspaceOpt = None,
    embeddings: Annotated[bool | None, typer.Option("--embeddings/--no-embeddings", help="Dense vectors.")] = None,
    log_level: LogLevelOpt = None,
) -> None:
    """Build or refresh the docs index (incremental; crash-safe)."""
    over = {"docs": _section(paths=[p.resolve() for p in paths or []], embeddings=embeddings)}
    settings = _settings(workspace, log_level, over)
    from mcp_servers.docs.cli import run_ingest

    raise typer.Exit(run_ingest(settings))


@app.command(name="eval")
def eval_(
    workspace: WorkspaceOpt = None,
    set_file: Annotated[Path | None, typer.Option("--set", help="Golden set file (YAML/JSONL).")] = None,
    model: ModelOpt = None,
    grader_model: GraderOpt = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Earlier RUN.json to compare.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the JSON report.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Only the no-model tier.")] = False,
    retrieval: Annotated[bool, typer.Option("--retrieval", help="Also run the SciFact retrieval benchmark.")] = False,
    sql_oracle: Annotated[bool, typer.Option("--sql-oracle", help="Also run the defog SQL oracle check.")] = False,
    log_level: LogLevelOpt = None,
) -> None:
    """Score Sleuth on a golden set; exit non-zero on regressions against --baseline."""
    settings = _settings(workspace, log_level, _models(model, grader_model))
    from sleuth.evaluation.cli import run_eval

    raise typer.Exit(
        run_eval(
            settings,
            set_file=set_file,
            baseline=baseline,
            out=out,
            offline=offline,
            retrieval=retrieval,
            sql_oracle=sql_oracle,
        )
    )


@app.command(name="mcp-config")
def mcp_config(
    client: Annotated[Client, typer.Option("--client", help="claude-desktop, vscode or cursor.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Print the JSON that plugs Sleuth's three servers into an MCP host."""
    from sleuth.config import find_workspace
    from sleuth.mcp_config import render

    typer.echo(render(client.value, find_workspace(workspace)))


@app.command()
def doctor(workspace: WorkspaceOpt = None, log_level: LogLevelOpt = None) -> None:
    """Check the environment and say exactly what to fix."""
    from sleuth.doctor import run_doctor

    raise typer.Exit(run_doctor(workspace, log_level))


@app.command()
def version() -> None:
    """Print Sleuth's version."""
    from sleuth import __version__

    typer.echo(f"sleuth {__version__}")


def _report(exc: BaseException) -> int:
    from sleuth.errors import SleuthError

    if isinstance(exc, SleuthError):
        sys.stderr.write(f"error: {exc.message}\n")
        if exc.fix:
            sys.stderr.write(f"  fix: {exc.fix}\n")
        return 2
    import logging

    from sleuth.logs import details_hint

    # To the log file (configured by then, or the error came before any could be) and one line here.
    logging.getLogger("sleuth").debug("unexpected error", exc_info=exc)
    sys.stderr.write(f"error: {type(exc).__name__}: {exc}\n  {details_hint()}\n")
    return 1


def main() -> None:
    """Console-script entry point."""
    try:
        app()  # standalone: usage errors and --help are handled (and exit) inside
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:
        sys.exit(_report(exc))


if __name__ == "__main__":
    main()
