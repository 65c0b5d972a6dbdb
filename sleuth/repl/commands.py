"""Slash commands: a registry (name, argument hint, help) and one small async handler per command.

Handlers get a `Ctx` and the text after the command name. They raise `SleuthError` for anything
the user can fix; the app prints it as one line. `dispatch` returns False when the REPL should end.
"""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.repl import turns
from sleuth.repl.host import AgentHost
from sleuth.repl.render import approval_panel, error_text, one_line
from sleuth.repl.state import ReplState

Handler = Callable[["Ctx", str], Awaitable[bool | None]]


@dataclass
class Ctx:
    console: Console
    state: ReplState
    host: AgentHost
    settings: Settings
    thread_ids: list[str] = field(default_factory=list)  # completion cache, refreshed after turns


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str
    handler: Handler


COMMANDS: dict[str, Command] = {}
ALIASES = {"exit": "quit", "q": "quit", "?": "help"}


def command(name: str, args: str, help: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = Command(name, args, help, fn)
        return fn

    return register


def parse(line: str) -> tuple[str, str]:
    """`/sql SELECT 1` -> ("sql", "SELECT 1"). The name is lower-cased; aliases resolved."""
    head, _, rest = line.strip()[1:].partition(" ")
    name = head.lower()
    return ALIASES.get(name, name), rest.strip()


async def dispatch(ctx: Ctx, line: str) -> bool:
    """Run one slash command. False means quit."""
    name, arg = parse(line)
    cmd = COMMANDS.get(name)
    if cmd is None:
        near = difflib.get_close_matches(name, COMMANDS, n=1, cutoff=0.6)
        hint = f"did you mean /{near[0]}? " if near else ""
        raise SleuthError(f"unknown command /{name}", fix=f"{hint}type /help for the list")
    return await cmd.handler(ctx, arg) is not False


def _need(arg: str, usage: str) -> str:
    if not arg:
        raise SleuthError("this command needs an argument", fix=f"usage: {usage}")
    return arg


# -- general ---------------------------------------------------------------------------------------
@command("help", "", "this list")
async def _help(ctx: Ctx, arg: str) -> None:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    for cmd in COMMANDS.values():
        table.add_row(Text(f"/{cmd.name}", style="bold cyan"), Text(cmd.args, style="dim"), cmd.help)
    ctx.console.print(table)
    ctx.console.print(
        Text(
            "Enter sends · Esc Enter (or a trailing \\) adds a line · Tab completes · "
            "Ctrl-C cancels the running turn · Ctrl-D quits\n"
            f"log file: {ctx.settings.logs_dir / 'sleuth.jsonl'}",
            style="dim",
        )
    )


@command("quit", "", "leave (Ctrl-D works too)")
async def _quit(ctx: Ctx, arg: str) -> bool:
    return False


@command("model", "[SPEC]", "the model in use; /model provider:model switches (the agent restarts)")
async def _model(ctx: Ctx, arg: str) -> None:
    if arg:
        await switch_model(ctx, arg)
    agent = ctx.settings.agent
    ctx.console.print(Text(f"model: {agent.model}\ngrader: {agent.grader_model}"))
    if agent.base_url:
        ctx.console.print(Text(f"endpoint: {agent.base_url}"))
    sleuth = ctx.host.sleuth
    if sleuth is not None and sleuth.model_problem:
        turns.model_missing(ctx.console, sleuth.model_problem)


async def switch_model(ctx: Ctx, spec: str) -> None:
    """Restart the agent (and its servers) on another model; the thread carries on.

    The grader follows when it is on another provider (a local model should not need an Anthropic
    key just for reflection); on the same provider it is kept (e.g. a cheaper grader).
    """
    from agent.models.providers import parse_spec  # raises ConfigError with the fix for a bad spec

    provider = parse_spec(spec)[0]
    update = {"model": spec}
    if parse_spec(ctx.settings.agent.grader_model)[0] != provider:
        update["grader_model"] = spec
    agent = ctx.settings.agent.model_copy(update=update)
    ctx.settings = ctx.settings.model_copy(update={"agent": agent})
    await ctx.host.close()
    ctx.host = AgentHost(ctx.settings)
    ctx.host.start()
    await ctx.host.ready()
    ctx.console.print(Text(f"switched to {spec} (grader {agent.grader_model}); the thread carries on", style="dim"))


@command("cost", "", "tokens and cost of the last answer and of this session")
async def _cost(ctx: Ctx, arg: str) -> None:
    if not ctx.state.turns:
        ctx.console.print("no answers yet in this session")
        return
    table = Table("", "last answer", f"session ({ctx.state.turns} answers)", box=None)
    for key in sorted(set(ctx.state.last_usage) | set(ctx.state.totals)):
        table.add_row(key, _num(ctx.state.last_usage.get(key, "")), _num(ctx.state.totals.get(key, "")))
    ctx.console.print(table)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# -- threads ---------------------------------------------------------------------------------------
@command("new", "", "start a new thread")
async def _new(ctx: Ctx, arg: str) -> None:
    ctx.state.new_thread()
    ctx.console.print(Text("new thread: the next question starts a fresh conversation", style="dim"))


@command("threads", "", "the saved threads (newest first)")
async def _threads(ctx: Ctx, arg: str) -> None:
    infos = await (await ctx.host.ready()).threads()
    ctx.thread_ids[:] = [t.thread_id for t in infos]
    if not infos:
        ctx.console.print("no threads yet")
        return
    table = Table("thread", "updated (UTC)", "first question", "", box=None)
    for info in infos:
        current = Text(" (current)", style="dim") if info.thread_id == ctx.state.thread_id else ""
        waiting = Text("approval pending", style="yellow") if info.pending_approval else ""
        updated = info.updated_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(Text(info.thread_id) + current, updated, Text(one_line(info.title, 50)), waiting)
    ctx.console.print(table)


@command("resume", "ID", "continue a saved thread (pending approvals included)")
async def _resume(ctx: Ctx, arg: str) -> None:
    await resume_thread(ctx, _need(arg, "/resume ID"))


async def resume_thread(ctx: Ctx, wanted: str) -> None:
    """Switch to a thread (an unambiguous id prefix is enough) and show a pending approval."""
    sleuth = await ctx.host.ready()
    known = [t.thread_id for t in await sleuth.threads()]
    ctx.thread_ids[:] = known
    matches = [t for t in known if t == wanted] or [t for t in known if t.startswith(wanted)]
    if len(matches) != 1:
        if ctx.state.thread_id == wanted:  # `--resume` of an unknown id: do not start a thread under it
            ctx.state.thread_id = None
        what = "no thread" if not matches else f"{len(matches)} threads"
        raise SleuthError(f"{what} matches '{wanted}'", fix="/threads lists the saved threads")
    ctx.state.thread_id = matches[0]
    ctx.state.pending = None if sleuth.model_problem else await sleuth.pending_approval(matches[0])
    ctx.console.print(Text(f"resumed thread {matches[0]}", style="dim"))
    if ctx.state.pending is not None:
        ctx.console.print(approval_panel(ctx.state.pending))


@command("history", "", "the questions and answers of the current thread")
async def _history(ctx: Ctx, arg: str) -> None:
    if ctx.state.thread_id is None:
        raise SleuthError("no thread is open", fix="ask a question, or /resume ID")
    items = await (await ctx.host.ready()).history(ctx.state.thread_id)
    if not items:
        ctx.console.print("this thread has no messages yet")
    for role, text in items:
        style = "bold cyan" if role == "user" else "bold"
        ctx.console.print(Text.assemble((f"{role}: ", style), one_line(text, 300)))


@command("trace", "", "the last turn: steps, timings, tokens, corrections")
async def _trace(ctx: Ctx, arg: str) -> None:
    if ctx.state.thread_id is None:
        raise SleuthError("no turn yet", fix="ask a question first")
    trace = (await ctx.host.ready()).last_trace(ctx.state.thread_id)
    table = Table("#", "step", "detail", "ms", box=None)
    for i, step in enumerate(trace.steps, 1):
        table.add_row(str(i), str(step.get("node", "")), Text(_step_detail(step)), f"{step.get('elapsed_ms', 0):.0f}")
    ctx.console.print(table)
    summary = [
        f"{trace.elapsed_ms / 1000:.1f} s",
        f"{trace.model_calls} model calls",
        f"{trace.tokens_in:,} in / {trace.tokens_out:,} out tokens",
        f"${trace.cost_usd:.4f}",
        f"{trace.corrections} correction(s)",
    ]
    if trace.stop_reason:
        summary.append(f"stopped: {trace.stop_reason}")
    ctx.console.print(Text(" · ".join(summary), style="dim"))
    for problem in trace.problems:
        ctx.console.print(Text(f"  reflection problem: {problem}", style="yellow"))


def _step_detail(step: dict[str, Any]) -> str:
    """The interesting fields of a trace step other than its node and time, on one line."""
    skip = {"node", "elapsed_ms", "server", "tool"}
    head = f"{step.get('server', '')}.{step['tool']}" if step.get("tool") else ""
    tail = ", ".join(f"{k}={v}" for k, v in step.items() if k not in skip)
    return one_line(" ".join(x for x in (head, tail) if x), 80)


@command("expand", "N", "show tool call N in full (arguments and output)")
async def _expand(ctx: Ctx, arg: str) -> None:
    if not ctx.state.tool_log:
        raise SleuthError("no tool calls yet", fix="ask a question first")
    raw = arg or str(len(ctx.state.tool_log))
    rec = ctx.state.tool(int(raw)) if raw.isdigit() else None
    if rec is None:
        raise SleuthError(f"no tool call [{raw}]", fix=f"use a number from 1 to {len(ctx.state.tool_log)}")
    ctx.console.print(Text(f"[{rec.number}] {rec.started.server}.{rec.started.tool}", style="bold cyan"))
    ctx.console.print(json.dumps(rec.started.args, indent=2, ensure_ascii=False), markup=False)
    if rec.finished is not None:
        style = "red" if rec.finished.is_error else ""
        ctx.console.print(Text(rec.finished.text, style=style))
        ctx.console.print(Text(f"{rec.finished.elapsed_ms:.0f} ms", style="dim"))


# -- approvals -------------------------------------------------------------------------------------
@command("approve", "", "run the tool call waiting for approval")
async def _approve(ctx: Ctx, arg: str) -> None:
    await turns.decide(ctx.console, ctx.state, ctx.host, "approve")


@command("reject", "", "refuse the tool call waiting for approval")
async def _reject(ctx: Ctx, arg: str) -> None:
    await turns.decide(ctx.console, ctx.state, ctx.host, "reject")


@command("edit", "JSON", "run the waiting tool call with these arguments instead")
async def _edit(ctx: Ctx, arg: str) -> None:
    raw = _need(arg, '/edit {"path": "notes.md", "content": "…"}')
    try:
        edited = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SleuthError(f"/edit needs a JSON object: {exc.msg}", fix='e.g. /edit {"path": "a.md"}') from None
    if not isinstance(edited, dict):
        raise SleuthError("/edit needs a JSON object", fix='e.g. /edit {"path": "a.md"}')
    await turns.decide(ctx.console, ctx.state, ctx.host, "edit", edited)


# -- direct tool calls (work without a model) -------------------------------------------------------
@command("tools", "", "the tools of every connected server")
async def _tools(ctx: Ctx, arg: str) -> None:
    bridge = await ctx.host.bridge()
    table = Table("tool", "", "description", box=None)
    approve = set(ctx.settings.agent.approve_tools)
    for tool in bridge.tools:
        gated = tool.destructive or bool({tool.name, f"{tool.server}.{tool.name}"} & approve)
        kind = Text("needs approval", style="yellow") if gated else Text("read-only" if tool.read_only else "")
        table.add_row(Text(f"{tool.server}.{tool.name}", style="cyan"), kind, Text(one_line(tool.description, 80)))
    ctx.console.print(table)


@command("servers", "", "the MCP servers and their state")
async def _servers(ctx: Ctx, arg: str) -> None:
    bridge = await ctx.host.bridge()
    for status in bridge.servers.values():
        mark = Text("● ", style="green" if status.connected else "red")
        line = Text.assemble(mark, (status.name, "bold"), f"  {status.transport} · {status.tools} tools")
        if status.restarts:
            line.append(f" · {status.restarts} restart(s)", style="yellow")
        ctx.console.print(line)
        if status.error:
            ctx.console.print(error_text(status.error, "see `sleuth doctor` and the log file"))


async def call_tool(ctx: Ctx, server: str, tool: str, text: str) -> None:
    """Call one tool with `text` as its first required argument and print the outcome."""
    bridge = await ctx.host.bridge()
    spec = next((t for t in bridge.tools if t.server == server and t.name == tool), None)
    if spec is None:
        raise SleuthError(f"the {server} server has no tool {tool}", fix="see /servers and /tools")
    outcome = await bridge.call(server, tool, {_first_param(spec): text})
    if outcome.is_error:
        ctx.console.print(error_text(outcome.text.strip() or f"{server}.{tool} failed"))
        return
    ctx.console.print(Text(outcome.text))
    ctx.console.print(Text(f"{server}.{tool}({one_line(text, 60)}) · {outcome.elapsed_ms:.0f} ms", style="dim"))


def _first_param(spec: Any) -> str:
    schema = spec.input_schema
    required = schema.get("required") or list(schema.get("properties") or {})
    if not required:
        raise SleuthError("this tool takes no text argument", fix="ask the agent instead")
    return required[0]


@command("sql", "QUERY", "run a read-only SQL query on the sql server")
async def _sql(ctx: Ctx, arg: str) -> None:
    await call_tool(ctx, "sql", "run_query", _need(arg, "/sql SELECT …"))


@command("search", "QUERY", "search the documents (docs server)")
async def _search(ctx: Ctx, arg: str) -> None:
    await call_tool(ctx, "docs", "search_docs", _need(arg, "/search refund policy"))


@command("read", "PATH", "read a file in the workspace (files server)")
async def _read(ctx: Ctx, arg: str) -> None:
    await call_tool(ctx, "files", "read_file", _need(arg, "/read docs/handbook.md"))


@command("ingest", "[PATH]", "index a file or folder too (no PATH: refresh docs.paths)")
async def _ingest(ctx: Ctx, arg: str) -> None:
    paths = list(ctx.settings.docs.paths)
    if arg:
        path = (ctx.settings.workspace / arg).expanduser().resolve()
        if not path.exists():
            raise SleuthError(f"{path} does not exist", fix="give a file or folder inside the workspace")
        paths.append(path)
    settings = ctx.settings.model_copy(update={"docs": ctx.settings.docs.model_copy(update={"paths": paths})})
    from mcp_servers.docs.ingest import ingest  # heavy (DuckDB, bm25s): only when asked
    from mcp_servers.docs.parsers import FORMATS

    ctx.console.print(Text("indexing…", style="dim"))
    report = await asyncio.to_thread(ingest, settings)
    for path, why in report.failed:
        ctx.console.print(Text(f"  skipped {path}: {why}", style="yellow"))
    if not report.ok:
        raise SleuthError("nothing could be indexed", fix=f"point /ingest at {FORMATS} files")
    changes = f"{len(report.new)} new, {len(report.changed)} changed, {len(report.deleted)} removed"
    ctx.console.print(f"index {report.generation}: {report.sources} files, {report.chunks} chunks ({changes})")
    if arg:
        ctx.console.print(Text("add it to docs.paths in sleuth.toml to keep it on the next full ingest", style="dim"))
