"""Run one Sleuth turn in its own process and print its events as JSON lines (for restart/kill tests).

python turn_runner.py WORKSPACE SCRIPT.json THREAD ask QUESTION
python turn_runner.py WORKSPACE SCRIPT.json THREAD resume
python turn_runner.py WORKSPACE SCRIPT.json THREAD decide approve|reject
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path

from scripting import TemplatedScript

from agent.facade import Sleuth
from sleuth.config import load_settings
from sleuth.logs import configure_logging


async def main(ws: str, script: str, thread: str, mode: str, arg: str = "") -> None:
    configure_logging("warning")  # stdout carries only the event lines
    model = TemplatedScript(steps=json.loads(Path(script).read_text()))
    async with Sleuth(load_settings(Path(ws)), model=model) as sleuth:
        print(json.dumps({"type": "ready"}), flush=True)
        if mode == "ask":
            stream = sleuth.stream(arg, thread)
        elif mode == "resume":
            stream = sleuth.resume(thread)
        else:
            stream = sleuth.decide(thread, arg)  # type: ignore[arg-type]
        async for ev in stream:
            print(json.dumps({"type": type(ev).__name__, **asdict(ev)}, default=str), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
