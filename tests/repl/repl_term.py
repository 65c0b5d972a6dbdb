"""Drive the real `sleuth chat` in a real terminal: tmux (send-keys, capture-pane), fixed size.

Every wait polls the screen with a timeout (no fixed sleeps). Each test gets its own tmux server
(`-L` socket), so tests never see each other's panes. Scripts for the scripted model (the only
fake) are written per test.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SLEUTH = str(Path(sys.executable).with_name("sleuth"))
DEMO = REPO / "examples" / "demo"
WIDTH, HEIGHT = 110, 40
PROMPT = "sleuth ›"
TOOLBAR = re.compile(r"^ servers: .* · thread \S+ · ")


class Term:
    """One tmux server with one pane running a command."""

    def __init__(self, tmp: Path) -> None:
        self.socket = ""
        self.conf = tmp / "tmux.conf"
        self.conf.write_text("set -g remain-on-exit on\nset -g history-limit 20000\nset -g status off\n")
        self.started = 0.0

    def tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["tmux", "-u", "-L", self.socket, "-f", str(self.conf), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=20,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {proc.stderr.strip()}")
        return proc.stdout

    def start(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        """Start `argv` in a new tmux server (a fresh socket each time: a restart never races the old one)."""
        self.close()
        self.socket = f"sleuth-test-{uuid.uuid4().hex[:10]}"
        self.started = time.monotonic()
        cmd = shlex.join(argv)
        self.tmux("new-session", "-d", "-s", "t", "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(cwd), cmd, env=env)

    def _capture(self) -> tuple[str, str]:
        """(the pane with scrollback, wrapped lines joined, without the toolbar; the toolbar line)."""
        lines = [line.rstrip() for line in self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t").splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        toolbar = lines.pop() if lines and TOOLBAR.match(lines[-1]) else ""
        return "\n".join(lines).rstrip() + "\n", toolbar

    def screen(self) -> str:
        return self._capture()[0]

    def toolbar(self) -> str:
        """The prompt's bottom toolbar (thread, model, server state), or "" while a turn runs."""
        return self._capture()[1]

    def wait_for(self, pattern: str, timeout: float = 30.0, after: int = 0, regex: bool = False) -> str:
        """Poll until `pattern` appears in the screen text after character offset `after`."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            tail = screen[after:]
            if re.search(pattern, tail) if regex else pattern in tail:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} did not appear within {timeout:.0f}s; screen:\n{screen[-4000:]}")

    def mark(self) -> int:
        """Where the current prompt line starts: waits with `after=` look at what follows it."""
        return max(0, self.screen().rfind(PROMPT))

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def wait_prompt(self, timeout: float = 60.0) -> None:
        """Wait until the prompt is accepting input (its toolbar is drawn only then): keys sent during
        a turn go through the tty's cooked mode, where Ctrl-D, for one, is swallowed as end-of-file."""
        self.wait_until(lambda: bool(self.toolbar()), "the prompt", timeout)

    def ask(self, text: str) -> int:
        """At the prompt, type a line and press Enter; returns the screen offset of that prompt line."""
        self.wait_prompt()
        start = self.mark()
        self.type(text)
        self.send("Enter")
        return start

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise AssertionError(f"{what}: not within {timeout:.0f}s; screen:\n{self.screen()[-3000:]}")

    def dead(self) -> bool:
        return self.tmux("display-message", "-p", "-t", "t", "#{pane_dead}").strip() == "1"

    def quit(self) -> None:
        """Ctrl-D at the prompt, then wait for the process to end."""
        self.wait_prompt()
        self.send("C-d")
        self.wait_dead()

    def wait_dead(self, timeout: float = 60.0) -> None:
        self.wait_until(self.dead, "sleuth chat exits", timeout)

    def close(self) -> None:
        """Stop the tmux server (the pane's process gets SIGHUP) and remove its socket file."""
        if not self.socket:
            return
        path = self.tmux("display-message", "-p", "#{socket_path}").strip() if self._alive() else ""
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)
        if path:
            Path(path).unlink(missing_ok=True)
        self.socket = ""

    def _alive(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "ls"], capture_output=True, timeout=20).returncode == 0


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without model keys or SLEUTH_* settings, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLEUTH_", "ANTHROPIC_", "OPENAI_", "TMUX")) and k != "PYTEST_CURRENT_TEST"
    }
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", **extra)
    return env


def write_script(path: Path, steps: list[dict[str, Any]]) -> dict[str, str]:
    """Write a scripted-model script; returns the environment that makes agent and grader use it."""
    path.write_text(yaml.safe_dump(steps, sort_keys=False), encoding="utf-8")
    spec = f"scripted:{path}"
    return clean_env(SLEUTH_AGENT__MODEL=spec, SLEUTH_AGENT__GRADER_MODEL=spec)


def plan(*sources: str) -> dict[str, Any]:
    return {"structured": {"sources": list(sources), "subquestions": [], "needs_tools": True, "remember": []}}


PASS = {"structured": {"supported": ["all"], "unsupported": [], "missing": [], "verdict": "pass"}}


def chat(term: Term, workspace: Path, *args: str, env: dict[str, str] | None = None, ready: bool = True) -> None:
    """Start `sleuth chat` on `workspace`, wait for the prompt and (by default) for the agent."""
    term.start([SLEUTH, "chat", "-w", str(workspace), *args], env or clean_env(), workspace)
    term.wait_for(PROMPT, timeout=30)
    if ready:
        term.wait_until(lambda: term.toolbar().startswith(" servers: ready ·"), "servers ready", timeout=90)


def thread_id(screen: str) -> str:
    """The last thread id the screen mentions (answer footers and the toolbar show it)."""
    ids = re.findall(r"thread ([0-9a-f]{16})\b", screen)
    assert ids, f"no thread id on screen:\n{screen[-2000:]}"
    return ids[-1]
