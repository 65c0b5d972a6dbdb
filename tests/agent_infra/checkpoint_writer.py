"""Child process for the crash test: writes big checkpoints forever through AsyncSqliteSaver.

    python checkpoint_writer.py DB_PATH

After each `aput` returns it prints the step number, so the parent knows which checkpoints were
complete before it SIGKILLs this process in the middle of a later write.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys

from langgraph.checkpoint.base import empty_checkpoint
from langgraph.checkpoint.base.id import uuid6
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

BLOB_BYTES = 512 * 1024


async def main(path: str) -> None:
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        await saver.setup()
        config = {"configurable": {"thread_id": "crash", "checkpoint_ns": ""}}
        step = 0
        while True:
            step += 1
            blob = os.urandom(BLOB_BYTES).hex()
            cp = empty_checkpoint()
            cp["id"] = str(uuid6(clock_seq=step))
            cp["channel_values"] = {"n": step, "blob": blob, "sha": hashlib.sha256(blob.encode()).hexdigest()}
            cp["channel_versions"] = {"n": step, "blob": step, "sha": step}
            config = await saver.aput(config, cp, {"step": step, "source": "loop"}, cp["channel_versions"])
            print(step, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
