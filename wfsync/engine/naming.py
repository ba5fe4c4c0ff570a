"""Argo's node names, which are the nodes' identity: IDs, display names and lookups derive from them.

One place for the scheme (``<steps>[<i>].<step>``, ``<dag>.<task>``, ``<retry>(<n>)``,
``<node>.onExit``, ``<node>.hooks.<name>``); loop items' ``(<i>:<desc>)`` suffixes come from
:func:`wfsync.engine.params.expand_items`.
"""

from __future__ import annotations


def step_group_name(steps_name: str, index: int) -> str:
    """``<steps node>[<index>]``: a StepGroup."""
    return f"{steps_name}[{index}]"


def child_name(parent: str, name: str) -> str:
    """``<parent>.<name>``: a step in its group, a task in its DAG, a container in its pod."""
    return f"{parent}.{name}"


def attempt_name(retry_name: str, attempt: int) -> str:
    """``<retry node>(<attempt>)``: an attempt (counted from 0) under a Retry node."""
    return f"{retry_name}({attempt})"


def exit_name(parent: str) -> str:
    """``<parent>.onExit``: the exit handler of a node, or of the workflow (named as the workflow)."""
    return f"{parent}.onExit"


def hook_name(parent: str, hook: str) -> str:
    """``<parent>.hooks.<hook>``: a lifecycle hook of a node, or of the workflow."""
    return f"{parent}.hooks.{hook}"


def loop_base(name: str) -> str:
    """A step's or task's name without its loop item suffix (``gen(0:a)`` -> ``gen``)."""
    return name.split("(", 1)[0]
