"""`sleuth chat` as a person uses it: a real terminal (tmux), real servers, the scripted model."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import PROMPT, SLEUTH, Term, chat, clean_env


def test_prompt_shows_at_once_and_ctrl_d_exits(term: Term, workspace: Path) -> None:
    term.start([SLEUTH, "chat", "-w", str(workspace)], clean_env(), workspace)
    term.wait_for(PROMPT, timeout=30)
    prompt_s = time.monotonic() - term.started
    term.wait_for("servers: ready", timeout=60)
    ready_s = time.monotonic() - term.started
    print(f"\nsleuth chat: prompt after {prompt_s:.2f}s, three servers ready after {ready_s:.2f}s (shared machine)")
    start = term.ask("/help")
    term.wait_for("/approve", after=start)
    term.send("C-d")
    term.wait_dead()
    assert "Traceback" not in term.screen()
