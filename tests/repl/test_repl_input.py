"""Input side of the REPL: completion, key bindings (multi-line) and slash-command parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from sleuth.errors import SleuthError
from sleuth.repl import commands
from sleuth.repl.app import key_bindings
from sleuth.repl.completion import SleuthCompleter


def complete(completer: SleuthCompleter, text: str) -> list[str]:
    return [c.text for c in completer.get_completions(Document(text, len(text)), CompleteEvent(True))]


def test_completion_of_commands_threads_and_paths(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "handbook.md").write_text("# H\n")
    helps = {name: cmd.help for name, cmd in commands.COMMANDS.items()}
    threads = ["a1b2c3", "a1ffff", "zz9"]
    comp = SleuthCompleter(helps, lambda: threads, tmp_path)
    assert set(complete(comp, "/re")) == {"resume", "reject", "read"}
    assert complete(comp, "/resume a1f") == ["a1ffff"]
    assert complete(comp, "/resume ") == threads
    assert complete(comp, "/read do") == ["cs"]
    assert complete(comp, "/read docs/ha") == ["ndbook.md"]
    assert complete(comp, "how many /re") == []  # only at the start of the input


def test_every_spec_command_is_registered() -> None:
    wanted = (
        "help tools servers threads resume new history trace cost model sql search read ingest approve reject edit quit"
    )
    assert set(wanted.split()) <= set(commands.COMMANDS)
    assert commands.parse("/SQL  SELECT 1 ") == ("sql", "SELECT 1")
    assert commands.parse("/exit") == ("quit", "")


async def test_unknown_command_is_one_error_with_a_fix() -> None:
    with pytest.raises(SleuthError) as info:
        await commands.dispatch(None, "/serch refunds")  # type: ignore[arg-type]
    assert info.value.message == "unknown command /serch" and "/search" in (info.value.fix or "")


async def _typed(keys: str) -> str:
    with create_pipe_input() as pipe:
        session: PromptSession[str] = PromptSession(
            input=pipe, output=DummyOutput(), key_bindings=key_bindings(), multiline=True
        )
        pipe.send_text(keys)
        return await session.prompt_async("> ")


async def test_enter_sends_and_newline_keys_make_multiline_input() -> None:
    assert await _typed("one line\r") == "one line"
    assert await _typed("first\\\rsecond\r") == "first\nsecond"  # trailing backslash
    assert await _typed("first\x1b\rsecond\r") == "first\nsecond"  # Esc Enter
    assert await _typed("typed ahead\n") == "typed ahead"  # a cooked-mode Enter (LF) still sends


async def test_edit_needs_a_json_object_before_anything_runs() -> None:
    for bad, why in (("/edit", "needs an argument"), ("/edit {path: x}", "JSON object"), ("/edit [1]", "JSON object")):
        with pytest.raises(SleuthError) as info:
            await commands.dispatch(None, bad)  # type: ignore[arg-type]
        assert why in info.value.message and info.value.fix
