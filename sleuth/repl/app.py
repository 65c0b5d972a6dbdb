"""The REPL loop: prompt (prompt_toolkit) and agent (background task) share one asyncio loop.

The prompt shows at once; the agent and its three servers start in the background (`AgentHost`).
Each input (question or slash command) runs as a task: Ctrl-C cancels that task only, the thread
and the REPL stay. Ctrl-D (or /quit) leaves. Errors are one line plus the fix; tracebacks go to the
log file, and console logging is silenced so it cannot scribble over the screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import HTML
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.patch_stdout import patch_stdout
from rich.console import Console
from rich.text import Text

from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.logs import get_logger
from sleuth.repl import commands, turns
from sleuth.repl.completion import SleuthCompleter
from sleuth.repl.host import AgentHost, as_sleuth_error
from sleuth.repl.render import error_text, one_line
from sleuth.repl.state import ReplState

log = get_logger(__name__)
PROMPT = HTML("<ansicyan><b>sleuth</b></ansicyan> <b>›</b> ")
EXIT_GRACE_S = 15.0  # after quitting, the longest the process may linger (see _exit_watchdog)


def run_repl(settings: Settings, resume: str | None = None) -> None:
    """Entry point of `sleuth chat`."""
    _silence_console_logging()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(settings, resume))


def _exit_watchdog(grace_s: float) -> None:
    """Once the user has quit, the process must end: if some library thread still holds it after
    `grace_s` (a stuck import or an unclosed connection), log who and leave anyway."""

    def watch() -> None:
        time.sleep(grace_s)
        alive = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        log.warning("forced exit: threads still running after quit", threads=alive)
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watch, name="sleuth-exit-watchdog", daemon=True).start()


def _silence_console_logging() -> None:
    """Logs (and Python warnings) go to the JSON file only while the REPL owns the terminal."""
    logging.captureWarnings(True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)


def key_bindings() -> KeyBindings:
    """Enter sends; Esc Enter or a trailing backslash make a new line.

    Ctrl-J sends too: keys typed while a turn runs reach us through the tty's cooked mode, which
    turns Enter into a line feed (ICRNL), and those lines must still be sent, not joined.
    """
    kb = KeyBindings()

    @kb.add("enter")
    @kb.add("c-j")
    def _enter(event: KeyPressEvent) -> None:
        buf = event.current_buffer
        state = buf.complete_state
        if state is not None and state.current_completion is not None:
            buf.apply_completion(state.current_completion)
            return
        if buf.document.text_before_cursor.endswith("\\"):
            buf.delete_before_cursor(1)
            buf.insert_text("\n")
            return
        buf.validate_and_handle()

    @kb.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return kb


def _session(ctx: commands.Ctx) -> PromptSession[str]:
    settings = ctx.settings
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    completer = SleuthCompleter(
        {name: cmd.help for name, cmd in commands.COMMANDS.items()}, lambda: ctx.thread_ids, settings.workspace
    )

    def toolbar() -> list[tuple[str, str]]:
        provider, _, name = ctx.settings.agent.model.partition(":")
        model = f"{provider}:{Path(name).name}" if provider == "scripted" else one_line(ctx.settings.agent.model, 40)
        thread = ctx.state.thread_id or "new"
        parts = [("", f" servers: {ctx.host.status()} · thread {thread} · {model}")]
        if ctx.state.pending:
            parts.append(("bold", " · approval pending"))
        return [*parts, ("", " · /help")]

    return PromptSession(
        history=FileHistory(str(settings.state_dir / "history")),
        completer=completer,
        key_bindings=key_bindings(),
        multiline=True,
        prompt_continuation=lambda width, line, wrap: "… ".rjust(width),
        bottom_toolbar=toolbar,
        refresh_interval=0.5,
        complete_while_typing=True,
    )


class Interrupts:
    """SIGINT (Ctrl-C while a turn runs, the tty in cooked mode) cancels that input's task only.

    Installed anew for every input, because the prompt (prompt_toolkit's handle_sigint) replaces the
    loop's SIGINT handler while it runs and removes it afterwards. Left installed after the input,
    so a late Ctrl-C before the next prompt is ignored instead of killing the REPL.
    """

    def __init__(self) -> None:
        self.task: asyncio.Future[bool | None] | None = None

    def install(self) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # no signal handlers off the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self._fire)

    def _fire(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def run(self, console: Console, job: Awaitable[bool | None]) -> bool | None:
        """Run one input as a cancellable task; its errors become one line plus the fix."""
        self.install()
        task = self.task = asyncio.ensure_future(job)
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # the REPL itself is being cancelled
            console.print(Text("cancelled: the thread is kept; ask again or continue", style="yellow"))
        except SleuthError as exc:
            console.print(error_text(exc.message, exc.fix or ""))
        except Exception as exc:
            err = as_sleuth_error(exc, "this command")
            console.print(error_text(err.message, err.fix or ""))
        finally:
            self.task = None
            sys.stdout.flush()
        return None


async def _main(settings: Settings, resume: str | None) -> None:
    console = Console(highlight=False)
    ctx = commands.Ctx(console, ReplState(thread_id=resume), AgentHost(settings), settings)
    session = _session(ctx)

    def start_agent(_: object) -> None:  # after the first paint: its imports must not delay the prompt
        session.app.after_render -= start_agent
        ctx.host.start()

    session.app.after_render += start_agent
    interrupts = Interrupts()
    console.print(
        Text.assemble(
            ("Sleuth", "bold cyan"),
            f" · workspace {settings.workspace} · model {settings.agent.model}\n",
            ("Ask a question, or /help for commands. Ctrl-C cancels a turn, Ctrl-D quits.", "dim"),
        )
    )
    background = [asyncio.create_task(_after_start(ctx, resume))]
    try:
        while True:
            try:
                with patch_stdout(raw=True):
                    line = await session.prompt_async(PROMPT)
            except KeyboardInterrupt:
                continue  # Ctrl-C at the prompt clears the line
            except EOFError:
                break
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                keep = await interrupts.run(console, commands.dispatch(ctx, text))
            else:
                keep = await interrupts.run(console, turns.ask(console, ctx.state, ctx.host, text))
            if keep is False:
                break
            background = [t for t in background if not t.done()]
            background.append(asyncio.create_task(_refresh_threads(ctx)))
    finally:
        _exit_watchdog(EXIT_GRACE_S)
        for task in background:
            task.cancel()
        await ctx.host.close()
        if ctx.state.thread_id:
            console.print(Text(f"resume with: sleuth chat --resume {ctx.state.thread_id}", style="dim"))


async def _after_start(ctx: commands.Ctx, resume: str | None) -> None:
    """As things come up: report server problems, then load thread ids or show a resumed approval."""
    try:
        bridge = await ctx.host.bridge()
        for problem in bridge.problems.values():
            ctx.console.print(error_text(problem, "/servers shows the state; `sleuth doctor` checks the setup"))
        await ctx.host.ready()
        if resume:
            await commands.resume_thread(ctx, resume)
        else:
            await _refresh_threads(ctx)
    except SleuthError as exc:
        ctx.console.print(error_text(exc.message, exc.fix or ""))


async def _refresh_threads(ctx: commands.Ctx) -> None:
    """Keep the completion cache of thread ids fresh without blocking the prompt."""
    if ctx.host.sleuth is None:
        return
    with contextlib.suppress(Exception):
        ctx.thread_ids[:] = [t.thread_id for t in await ctx.host.sleuth.threads()]
