"""Time `sleuth chat` start-up in a pseudo-terminal: prompt ready, and the three servers ready.

    uv run python scripts/bench_repl.py [--runs 5] [--workspace DIR]

Copies examples/demo to a temporary folder (index built once, not timed), starts `sleuth chat`
in a pty of 110x40, and measures wall time until the prompt is drawn, and until `/threads` (typed at
once; it waits for the three servers and the agent) answers. Prints a table and writes
bench-results/repl_startup.json.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLEUTH = str(Path(sys.executable).with_name("sleuth"))
PROMPT = "›".encode()  # only the prompt draws this character
READY = b"no threads yet"  # the answer to /threads, which waits for the servers and the agent


def start_once(workspace: Path, timeout: float = 60.0) -> tuple[float, float]:
    """(seconds to the prompt, seconds to servers ready) for one start of `sleuth chat`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLEUTH_", "ANTHROPIC_", "OPENAI_"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8")
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(SLEUTH, [SLEUTH, "chat", "-w", str(workspace)], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 110, 0, 0))
    seen, prompt_s, ready_s = b"", None, None
    try:
        while ready_s is None and time.perf_counter() - t0 < timeout:
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
            if prompt_s is None and PROMPT in seen:
                prompt_s = time.perf_counter() - t0
                os.write(fd, b"/threads\r")
            if READY in seen:
                ready_s = time.perf_counter() - t0
        os.write(fd, b"\x04")  # Ctrl-D
        _wait(pid, 15)
    finally:
        os.close(fd)
    if prompt_s is None or ready_s is None:
        raise SystemExit(f"sleuth chat did not get ready; output tail:\n{seen[-2000:].decode(errors='replace')}")
    return prompt_s, ready_s


def _wait(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workspace", type=Path, help="use this workspace instead of a demo copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = args.workspace
        if ws is None:
            ws = Path(tmp) / "demo"
            shutil.copytree(REPO / "examples" / "demo", ws)
            subprocess.run([SLEUTH, "ingest", "-w", str(ws)], check=True, capture_output=True)
        start_once(ws)  # warm-up: bytecode caches
        runs = [start_once(ws) for _ in range(args.runs)]
    prompt = [p for p, _ in runs]
    ready = [r for _, r in runs]
    print(f"sleuth chat start-up, {args.runs} runs (shared machine: timings are noisy)")
    print(f"{'':16}{'median':>8}{'min':>8}{'max':>8}")
    for name, xs in (("prompt ready s", prompt), ("servers ready s", ready)):
        print(f"{name:16}{statistics.median(xs):8.2f}{min(xs):8.2f}{max(xs):8.2f}")
    out = REPO / "bench-results" / "repl_startup.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": args.runs, "prompt_ready_s": prompt, "servers_ready_s": ready}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
