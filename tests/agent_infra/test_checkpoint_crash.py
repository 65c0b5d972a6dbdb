"""A process SIGKILLed while writing checkpoints leaves a SQLite file that opens, checks clean, and
still holds every checkpoint that was complete, intact."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from agent.memory import list_threads, open_checkpointer
from sleuth.config import Settings

WRITER = Path(__file__).with_name("checkpoint_writer.py")


def run_and_kill(db: Path, after_steps: int, extra_delay_s: float) -> int:
    """Start the writer, SIGKILL it mid-stream; return the last step it reported complete."""
    proc = subprocess.Popen([sys.executable, str(WRITER), str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    last = 0
    for line in proc.stdout:
        last = int(line)
        if last >= after_steps:
            break
    time.sleep(extra_delay_s)  # land somewhere inside a later write
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    last = max([last, *(int(x) for x in rest.split())])
    assert proc.returncode == -signal.SIGKILL
    return last


async def test_sigkill_mid_write_does_not_corrupt(tmp_path: Path) -> None:
    settings = Settings(workspace=tmp_path)
    settings.state_dir.mkdir()
    for round_no, delay in enumerate([0.0, 0.013, 0.041]):
        last = run_and_kill(settings.checkpoint_db, after_steps=4 * (round_no + 1), extra_delay_s=delay)
        with sqlite3.connect(settings.checkpoint_db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        async with open_checkpointer(settings) as saver:
            latest = await saver.aget_tuple({"configurable": {"thread_id": "crash", "checkpoint_ns": ""}})
            assert latest is not None
            values = latest.checkpoint["channel_values"]
            assert values["n"] >= last  # nothing reported complete was lost
            assert hashlib.sha256(values["blob"].encode()).hexdigest() == values["sha"]  # and it is whole
            assert [t.thread_id for t in await list_threads(saver)] == ["crash"]
