"""The graph's nodes, one module each; `make_*` closes a node over its `Deps` (never checkpointed)."""

from agent.nodes.act import make_act, over_budget
from agent.nodes.answer import make_answer
from agent.nodes.common import Deps, traced
from agent.nodes.plan import make_plan
from agent.nodes.reflect import make_reflect
from agent.nodes.requery import make_requery
from agent.nodes.summarize import make_summarize, needs_summary
from agent.nodes.toolbox import Toolbox
from agent.nodes.tools import make_tools

__all__ = [
    "Deps",
    "Toolbox",
    "make_act",
    "make_answer",
    "make_plan",
    "make_reflect",
    "make_requery",
    "make_summarize",
    "make_tools",
    "needs_summary",
    "over_budget",
    "traced",
]
