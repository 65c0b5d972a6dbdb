"""Where conversations and remembered facts live: checkpointers, thread helpers, a long-term store.

- Checkpoints (short-term memory, one thread per conversation): SQLite in `<workspace>/.sleuth/
  checkpoints.sqlite` (WAL, one transaction per write, so a killed process leaves the last complete
  checkpoint readable), or Postgres when `agent.checkpoint_url` is a postgresql:// URL, so several
  machines can share threads.
- Long-term memory (facts a user asked Sleuth to remember), namespaced per user in a LangGraph
  `BaseStore`: SQLite in `<workspace>/.sleuth/memory.sqlite`, or Postgres at the same URL.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.base import BaseStore
from langgraph.store.postgres.aio import AsyncPostgresStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from sleuth.config import Settings
from sleuth.errors import ConfigError, SleuthError

INTERRUPT_CHANNEL = "__interrupt__"  # LangGraph's pending-writes channel for interrupt() payloads
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
TITLE_CHARS = 80
MAX_FACTS = 1000


def _postgres_url(settings: Settings) -> str | None:
    url = settings.agent.checkpoint_url
    if url is None:
        return None
    if not url.startswith(POSTGRES_PREFIXES):
        raise ConfigError(
            f"agent.checkpoint_url {url!r} is not a postgresql:// URL",
            fix="use postgresql://user:password@host:5432/dbname, or remove it to use SQLite in .sleuth/",
        )
    return url


def _pg_error(url: str, exc: Exception) -> SleuthError:
    safe = re.sub(r"//[^@/]*@", "//***@", url)
    return SleuthError(
        f"cannot use PostgreSQL at {safe}: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}",
        fix="check that the server is running and the URL, user and database are right (agent.checkpoint_url)",
    )


async def _fast_commits(conn: Any) -> None:
    """WAL with synchronous=NORMAL: a commit no longer waits for fsync. A killed process still loses
    nothing committed and never corrupts the file (the WAL is replayed); only an OS crash or power
    loss can drop the last few commits. Each checkpoint write is a commit, so this is the turn's floor."""
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")


@asynccontextmanager
async def _open_backend(settings: Settings, postgres_cls: Any, sqlite_cls: Any, sqlite: Path) -> AsyncIterator[Any]:
    """Postgres at agent.checkpoint_url when set, else the SQLite file; migrated, and closed on exit.

    Checkpointer and store share this so both pick the same backend the same way; Postgres trouble
    becomes one SleuthError with the fix.
    """
    url = _postgres_url(settings)
    async with AsyncExitStack() as stack:
        if url is None:
            settings.state_dir.mkdir(parents=True, exist_ok=True)
            obj = await stack.enter_async_context(sqlite_cls.from_conn_string(str(sqlite)))
            await obj.setup()
            await _fast_commits(obj.conn)
        else:
            try:
                obj = await stack.enter_async_context(postgres_cls.from_conn_string(url))
                await obj.setup()
            except Exception as exc:
                raise _pg_error(url, exc) from exc
        yield obj


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver]:
    """The checkpointer for this workspace, set up and ready; closed on exit."""
    async with _open_backend(settings, AsyncPostgresSaver, AsyncSqliteSaver, settings.checkpoint_db) as saver:
        yield saver


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[BaseStore]:
    """The long-term store for this workspace (SQLite file, or Postgres at agent.checkpoint_url)."""
    memory_db = settings.state_dir / "memory.sqlite"
    async with _open_backend(settings, AsyncPostgresStore, AsyncSqliteStore, memory_db) as store:
        yield store


# -- threads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadInfo:
    thread_id: str
    updated_at: datetime
    title: str  # the thread's first question, shortened
    pending_approval: bool  # the last run stopped at an interrupt (a tool call awaiting approval)


async def _thread_ids(saver: BaseCheckpointSaver) -> list[str]:
    """Distinct thread ids, straight from the table for the savers we use (no checkpoint decoding)."""
    sql = "SELECT DISTINCT thread_id FROM checkpoints WHERE checkpoint_ns = ''"
    if isinstance(saver, AsyncSqliteSaver):
        async with saver.lock, saver.conn.execute(sql) as cur:
            return [row[0] for row in await cur.fetchall()]
    if isinstance(saver, AsyncPostgresSaver):
        async with saver.lock, saver.conn.cursor() as cur:
            await cur.execute(sql)
            return [row["thread_id"] for row in await cur.fetchall()]
    seen: dict[str, None] = {}
    async for t in saver.alist(None):
        seen.setdefault(t.config["configurable"]["thread_id"], None)
    return list(seen)


def _title(values: dict[str, Any]) -> str:
    messages = values.get("messages") or []
    first = next((m for m in messages if isinstance(m, HumanMessage)), None)
    if first is None:
        return "(no question yet)"
    text = " ".join(_text(first).split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content)


def _info(t: CheckpointTuple) -> ThreadInfo:
    pending = any(w[1] == INTERRUPT_CHANNEL for w in t.pending_writes or [])
    return ThreadInfo(
        thread_id=t.config["configurable"]["thread_id"],
        updated_at=datetime.fromisoformat(t.checkpoint["ts"]),
        title=_title(t.checkpoint.get("channel_values") or {}),
        pending_approval=pending,
    )


async def list_threads(saver: BaseCheckpointSaver) -> list[ThreadInfo]:
    """Every conversation, most recently updated first."""
    infos = []
    for thread_id in await _thread_ids(saver):
        latest = await saver.aget_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
        if latest is not None:
            infos.append(_info(latest))
    return sorted(infos, key=lambda i: i.updated_at, reverse=True)


async def fork_thread(saver: BaseCheckpointSaver, thread_id: str, new_thread_id: str | None = None) -> str:
    """Copy a thread's whole checkpoint chain (and pending writes, so a pending approval carries over)
    under a new id; both threads then continue independently. Returns the new id."""
    new_id = new_thread_id or uuid.uuid4().hex
    chain = [t async for t in saver.alist({"configurable": {"thread_id": thread_id}})]
    if not chain:
        raise SleuthError(f"thread {thread_id!r} does not exist", fix="list threads with /threads and pick one")
    for t in reversed(chain):  # oldest first, so parents exist before children
        ns = t.config["configurable"].get("checkpoint_ns", "")
        parent = (t.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        target = {"configurable": {"thread_id": new_id, "checkpoint_ns": ns, "checkpoint_id": parent}}
        saved = await saver.aput(target, t.checkpoint, t.metadata, dict(t.checkpoint["channel_versions"]))
        by_task: dict[str, list[tuple[str, Any]]] = {}
        for task_id, channel, value in t.pending_writes or []:
            by_task.setdefault(task_id, []).append((channel, value))
        for task_id, writes in by_task.items():
            await saver.aput_writes(saved, writes, task_id)
    return new_id


# -- long-term facts ------------------------------------------------------------------------------


def _namespace(user_id: str) -> tuple[str, ...]:
    return ("users", user_id or "default", "facts")


def _key(fact: str) -> str:
    return hashlib.sha256(" ".join(fact.lower().split()).encode()).hexdigest()[:24]


async def remember(store: BaseStore, user_id: str, fact: str) -> str:
    """Store a fact for this user (idempotent: the same fact, up to case and spacing, is one entry)."""
    fact = " ".join(fact.split())
    if not fact:
        raise ValueError("an empty fact cannot be remembered")
    ns, key = _namespace(user_id), _key(fact)
    if await store.aget(ns, key) is None:  # keep the first wording and its date
        await store.aput(ns, key, {"fact": fact, "created_at": datetime.now(UTC).isoformat()})
    return key


async def forget(store: BaseStore, user_id: str, fact: str) -> bool:
    """Remove a remembered fact; False if it was not there."""
    ns, key = _namespace(user_id), _key(fact)
    if await store.aget(ns, key) is None:
        return False
    await store.adelete(ns, key)
    return True


_WORDS = re.compile(r"\w+")


async def recall(store: BaseStore, user_id: str, query: str | None = None, limit: int = 20) -> list[str]:
    """This user's facts, oldest first; with `query`, only facts sharing a word with it, best first."""
    items = await store.asearch(_namespace(user_id), limit=MAX_FACTS)
    items.sort(key=lambda i: i.value.get("created_at", ""))
    facts = [str(i.value["fact"]) for i in items if "fact" in i.value]
    if query:
        wanted = {w.lower() for w in _WORDS.findall(query)}
        scored = [(len(wanted & {w.lower() for w in _WORDS.findall(f)}), n, f) for n, f in enumerate(facts)]
        facts = [f for score, _, f in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0]
    return facts[:limit]
