"""Drive the real `sleuth chat` in a real terminal: tmux (send-keys, capture-pane), fixed size.

Every wait polls the screen with a timeout (no fixed sleeps). Each test gets its own tmux server
(`-L` socket) so tests never see each other's panes, and a copy of the demo workspace whose docs
index was built once per session.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SLEUTH = str(Path(sys.executable).with_name("sleuth"))
DEMO = REPO / "examples" / "demo"
WIDTH, HEIGHT = 110, 40
PROMPT = "sleuth ›"


class Term:
    """One tmux server with one pane running a command."""

    def __init__(self, tmp: Path) -> None:
        self.socket = f"sleuth-test-{uuid.uuid4().hex[:10]}"
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
        self.started = time.monotonic()
        cmd = shlex.join(argv)
        self.tmux("new-session", "-d", "-s", "t", "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(cwd), cmd, env=env)

    def screen(self) -> str:
        """The whole pane including scrollback, wrapped lines joined."""
        lines = self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t").splitlines()
        return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"

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
        """An offset into the screen text: later waits only look at what is printed after it."""
        return len(self.screen().rstrip())

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def ask(self, text: str) -> int:
        """Type a line and press Enter; returns the screen offset before it (for `wait_for(after=)`)."""
        start = self.mark()
        self.type(text)
        self.send("Enter")
        return start

    def dead(self) -> bool:
        return self.tmux("display-message", "-p", "-t", "t", "#{pane_dead}").strip() == "1"

    def wait_dead(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.dead():
                return
            time.sleep(0.05)
        raise AssertionError(f"sleuth chat did not exit within {timeout:.0f}s; screen:\n{self.screen()[-3000:]}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without model keys or SLEUTH_* settings, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLEUTH_", "ANTHROPIC_", "OPENAI_", "TMUX")) and k != "PYTEST_CURRENT_TEST"
    }
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", **extra)
    return env


@pytest.fixture(scope="session")
def indexed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with its docs index built once for the whole session."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (scripts/ci_setup.sh installs it)")
    if not (DEMO / "sleuth.toml").is_file():
        pytest.skip("examples/demo is missing (scripts/make_demo.py builds it)")
    ws = tmp_path_factory.mktemp("demo") / "ws"
    shutil.copytree(DEMO, ws)
    proc = subprocess.run([SLEUTH, "ingest", "-w", str(ws)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return ws


@pytest.fixture
def workspace(indexed_demo: Path, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(indexed_demo, ws, ignore=shutil.ignore_patterns("logs"))
    return ws


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Term]:
    t = Term(tmp_path)
    try:
        yield t
    finally:
        t.close()


def chat(term: Term, workspace: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """Start `sleuth chat` on `workspace` and wait for the prompt."""
    term.start([SLEUTH, "chat", "-w", str(workspace), *args], env or clean_env(), workspace)
    term.wait_for(PROMPT, timeout=30)
