"""Tab completion: slash commands, thread ids after `/resume`, workspace paths after `/read` `/ingest`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

PATH_COMMANDS = frozenset({"read", "ingest"})
THREAD_COMMANDS = frozenset({"resume"})


class SleuthCompleter(Completer):
    """`commands` maps a name to its help; `thread_ids` is read at completion time (a live cache)."""

    def __init__(self, commands: Mapping[str, str], thread_ids: Callable[[], list[str]], workspace: Path):
        self.commands = commands
        self.thread_ids = thread_ids
        self.paths = PathCompleter(get_paths=lambda: [str(workspace)], expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or "\n" in text:
            return
        name, space, arg = text[1:].partition(" ")
        if not space:
            for cmd, help_text in self.commands.items():
                if cmd.startswith(name.lower()):
                    yield Completion(cmd, start_position=-len(name), display=f"/{cmd}", display_meta=help_text)
        elif name in THREAD_COMMANDS:
            for tid in self.thread_ids():
                if tid.startswith(arg):
                    yield Completion(tid, start_position=-len(arg))
        elif name in PATH_COMMANDS:
            yield from self.paths.get_completions(Document(arg, len(arg)), complete_event)
