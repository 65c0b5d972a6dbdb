"""Checkpointers, thread helpers and the long-term store, on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.types import Command, interrupt

from agent.memory import forget, fork_thread, list_threads, open_checkpointer, open_store, recall, remember
from sleuth.config import Settings
from sleuth.errors import ConfigError, SleuthError

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        return Settings(workspace=tmp_path, agent={"checkpoint_url": url})
    return Settings(workspace=tmp_path)


def build_graph(saver):
    """A tiny real graph: answers by echoing, and asks for approval (interrupt) before 'delete'."""

    async def reply(state: MessagesState) -> dict:
        question = state["messages"][-1].content
        if "delete" in question:
            decision = interrupt({"tool": "wipe", "args": {"target": question}})
            return {"messages": [AIMessage(f"approved={decision}")]}
        return {"messages": [AIMessage(f"answer {len(state['messages'])}: {question}")]}

    g = StateGraph(MessagesState)
    g.add_node("reply", reply)
    g.add_edge(START, "reply")
    return g.compile(checkpointer=saver)


def cfg(thread_id: str) -> dict:
    return {"configurable": {"thread_id": thread_id}}


async def test_save_resume_list_and_fork(settings: Settings) -> None:
    async with open_checkpointer(settings) as saver:
        graph = build_graph(saver)
        await graph.ainvoke({"messages": [HumanMessage("How many customers are there?")]}, cfg("t1"))
        await graph.ainvoke({"messages": [HumanMessage("And in 2024?")]}, cfg("t1"))
        out = await graph.ainvoke({"messages": [HumanMessage("please delete the old rows")]}, cfg("t2"))
        assert out["__interrupt__"][0].value["tool"] == "wipe"

    async with open_checkpointer(settings) as saver:  # a new connection: everything was persisted
        graph = build_graph(saver)
        t1 = (await graph.aget_state(cfg("t1"))).values["messages"]
        assert [m.content for m in t1][-1] == "answer 3: And in 2024?"
        threads = await list_threads(saver)
        assert [(t.thread_id, t.title, t.pending_approval) for t in threads] == [
            ("t2", "please delete the old rows", True),
            ("t1", "How many customers are there?", False),
        ]
        assert threads[0].updated_at >= threads[1].updated_at

        fork = await fork_thread(saver, "t1")
        assert fork not in ("t1", "t2")
        assert (await graph.aget_state(cfg(fork))).values["messages"] == t1
        await graph.ainvoke({"messages": [HumanMessage("Only in Canada?")]}, cfg(fork))
        assert len((await graph.aget_state(cfg(fork))).values["messages"]) == 6
        assert len((await graph.aget_state(cfg("t1"))).values["messages"]) == 4  # the original is untouched

        pending_fork = await fork_thread(saver, "t2", "t2-copy")
        assert pending_fork == "t2-copy"
        resumed = await graph.ainvoke(Command(resume="yes"), cfg("t2-copy"))
        assert resumed["messages"][-1].content == "approved=yes"
        by_id = {t.thread_id: t for t in await list_threads(saver)}
        assert by_id["t2"].pending_approval and not by_id["t2-copy"].pending_approval
        assert set(by_id) == {"t1", "t2", fork, "t2-copy"}

        with pytest.raises(SleuthError, match="thread 'nope' does not exist"):
            await fork_thread(saver, "nope")


async def test_long_term_facts_per_user(settings: Settings) -> None:
    async with open_store(settings) as store:
        await remember(store, "ana", "Fiscal year starts in April")
        await remember(store, "ana", "fiscal  year starts in april")  # same fact: one entry
        await remember(store, "ana", "Prefers revenue in EUR")
        await remember(store, "bo", "Works on the EMEA team")
        assert await recall(store, "ana") == ["Fiscal year starts in April", "Prefers revenue in EUR"]
        assert await recall(store, "ana", query="which currency for revenue?") == ["Prefers revenue in EUR"]
        assert await recall(store, "bo") == ["Works on the EMEA team"]
        assert await forget(store, "ana", "Prefers revenue in EUR") is True
        assert await forget(store, "ana", "Prefers revenue in EUR") is False
    async with open_store(settings) as store:  # persisted across connections
        assert await recall(store, "ana") == ["Fiscal year starts in April"]
        with pytest.raises(ValueError, match="empty fact"):
            await remember(store, "ana", "   ")


async def test_sqlite_files_live_in_the_state_dir(tmp_path: Path) -> None:
    settings = Settings(workspace=tmp_path)
    async with open_checkpointer(settings) as saver, open_store(settings) as store:
        assert await list_threads(saver) == []
        assert await recall(store, "x") == []
    assert settings.checkpoint_db.is_file() and (tmp_path / ".sleuth" / "memory.sqlite").is_file()


async def test_bad_checkpoint_urls_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a postgresql:// URL"):
        async with open_checkpointer(Settings(workspace=tmp_path, agent={"checkpoint_url": "mysql://x/y"})):
            pass
    from sleuth_testkit import free_port

    url = f"postgresql://sleuth:secret@127.0.0.1:{free_port()}/db_{uuid.uuid4().hex[:6]}"
    with pytest.raises(SleuthError, match=r"cannot use PostgreSQL at postgresql://\*\*\*@127\.0\.0\.1") as info:
        async with open_store(Settings(workspace=tmp_path, agent={"checkpoint_url": url})):
            pass
    assert "secret" not in str(info.value) and "agent.checkpoint_url" in info.value.fix
