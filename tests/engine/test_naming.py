"""Argo's node names, checked against the names Argo gives (``argo-semantics.md``, node names)."""

from __future__ import annotations

from wfsync.engine.naming import attempt_name, child_name, exit_name, hook_name, loop_base, step_group_name


def test_steps_and_dag_names() -> None:
    group = step_group_name("wf", 1)
    assert group == "wf[1]"
    assert child_name(group, "build") == "wf[1].build"
    assert child_name("wf.main", "task") == "wf.main.task"


def test_retry_exit_and_hook_names() -> None:
    assert attempt_name("wf[0].flaky", 0) == "wf[0].flaky(0)"
    assert exit_name("wf") == "wf.onExit"
    assert exit_name("wf[0].step") == "wf[0].step.onExit"
    assert hook_name("wf[0].step", "running") == "wf[0].step.hooks.running"


def test_loop_base_strips_the_item_suffix() -> None:
    assert loop_base("gen(0:a)") == "gen"
    assert loop_base("print(1:a:1,b:x)") == "print"
    assert loop_base("plain") == "plain"
