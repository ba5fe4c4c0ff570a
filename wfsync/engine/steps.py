"""Steps templates (``steps.go``): step groups in order, each step expanded, judged, hooked."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from typing import Any

from wfsync.engine import status as st
from wfsync.engine.hooks import HooksMixin
from wfsync.engine.naming import child_name, loop_base, step_group_name
from wfsync.engine.nodes import GroupProgress, Opts, StepsProgress, continues_on
from wfsync.engine.outputs import AbsentOutputError, OutputsMixin
from wfsync.engine.params import ArgumentError, aggregate_outputs, expand_items, loop_index
from wfsync.engine.scope import Scope, ScopeError
from wfsync.engine.substitute import SubstitutionError
from wfsync.engine.templates import Context, Resolved
from wfsync.expressions.govaluate import WhenError, evaluate_when
from wfsync.model.kinds import NodeType


class StepsMixin(HooksMixin, OutputsMixin):
    """``executeSteps`` and ``executeStepGroup``."""

    def execute_steps(
        self, node_name: str, tmpl: dict[str, Any], resolved: Resolved, opts: Opts, common: dict[str, Any]
    ) -> st.Node:
        """``executeSteps``: step groups in order, each waiting for the previous one."""
        node = self.open_boundary(node_name, NodeType.STEPS, tmpl, opts, common)
        progress = self.steps_progress.get(node.id)
        if progress is None:
            progress = self.steps_progress[node.id] = StepsProgress(Scope.of_template(tmpl))
        scope = progress.scope
        scope.add_outputs("workflow", self.status.outputs)
        ctx = resolved.context
        step_opts = Opts(boundary_id=node.id, on_exit=opts.on_exit)
        groups = tmpl.get("steps") or []
        for index in range(progress.next_group, len(groups)):
            group = groups[index]
            sg_name = step_group_name(node_name, index)
            sg = self.status.by_name(sg_name)
            if sg is None:
                sg = self.init_node(sg_name, NodeType.STEP_GROUP, st.RUNNING, step_opts, scope=ctx.scope)
                self.link_group(node_name, index, sg_name)
            steps = list(group) if isinstance(group, list) else list((group or {}).get("steps") or [])
            sg = self.execute_step_group(steps, sg, scope, ctx, step_opts)
            if not sg.fulfilled:
                group_progress = self.group_progress.get(sg.id)
                dozes = group_progress is not None and group_progress.dozing
                self.dozed = node.id if dozes else ""
                return node
            if sg.failed_or_error:
                self.update_outbound(node, len(groups))
                return self.mark(node, st.FAILED, sg.message)
            self._add_group_to_scope(steps, sg, scope, ctx)
            progress.next_group = index + 1  # this group is final: later passes start after it
        self.update_outbound(node, len(groups))
        return self.succeed_boundary(node, tmpl, scope)

    def _add_group_to_scope(
        self, steps: list[dict[str, Any]], sg: st.Node, scope: Scope, ctx: Context
    ) -> None:
        """A finished group's ``steps.<name>.*`` in the scope (a loop's items aggregated)."""
        for step in steps:
            child = self.status.by_name(child_name(sg.name, step["name"]))
            prefix = f"steps.{step['name']}"
            if child is None:
                # a loop's items (``<group>.<step>(<i>:<value>)``) are children of the group
                items = (self.status.nodes.get(c) for c in sg.children)
                stem = child_name(sg.name, step["name"]) + "("
                loop = [
                    n
                    for n in items
                    if n is not None and n.name.startswith(stem) and not n.hooked and not n.retried
                ]
                if loop:
                    scope.params.update(
                        aggregate_outputs(prefix, [(loop_index(n.name), n.outputs, n.phase) for n in loop])
                    )
                continue
            self.add_node_to_scope(scope, prefix, child, step, ctx)

    def link_group(self, node_name: str, index: int, sg_name: str) -> None:
        """A new step group is a child of the Steps node, or of the previous group's outbound nodes.

        Done once, when the group is created: the previous group is final by then.
        """
        if index == 0:
            self.add_child(node_name, sg_name)
            return
        prev = self.status.by_name(step_group_name(node_name, index - 1))
        if prev is not None and not prev.children:
            self.add_child(prev.name, sg_name)
        elif prev is not None:
            for child_id in prev.children:
                for out_id in self.outbound(child_id):
                    self.add_child(self.status.nodes[out_id].name, sg_name)

    def update_outbound(self, node: st.Node, groups: int) -> None:
        """``updateOutboundNodes``: the outbound nodes of the last created step group."""
        for index in range(groups - 1, -1, -1):
            sg = self.status.by_name(step_group_name(node.name, index))
            if sg is not None:
                node.outbound_nodes = [o for child in sg.children for o in self.outbound(child)]
                return

    def execute_step_group(
        self, steps: list[dict[str, object]], sg: st.Node, scope: Scope, ctx: Context, opts: Opts
    ) -> st.Node:
        """``executeStepGroup``: start every step of the group, then judge the group.

        Until every step has its node, each pass expands the group and visits every unsettled
        step (as Argo does). Then the expansion is kept and a pass visits only the awake steps:
        one whose child can change only when a worker reports sleeps (:meth:`sleep_key`) until
        that node, or one inside it, is stirred. Sleeping steps are unfinished, so the group is.
        """
        if sg.fulfilled:
            return sg
        progress = self.group_progress.get(sg.id)
        if progress is None:
            progress = self.group_progress[sg.id] = GroupProgress()
        expanded = progress.expanded
        kept = expanded is not None
        if expanded is None:
            fresh = self._expand_group(steps, sg, scope, ctx, opts)
            if isinstance(fresh, st.Node):
                return fresh
            expanded = fresh
        indexes: Iterable[int] = sorted(progress.awake) if kept else range(len(expanded))
        progress.awake = set()  # refilled below, and by any step stirred meanwhile
        visit = _Pass(_Owners(progress.ran))
        for index in indexes:
            errored = self._visit_step(progress, visit, index, expanded[index], sg, ctx, opts)
            if errored is not None:
                return errored
        if visit.created or kept:
            # every item has its node: its arguments no longer matter, so the expansion is kept
            # and later passes go over the awake steps only
            progress.expanded = expanded
            progress.awake.update(visit.awake)
            if progress.position is None:
                progress.position = {child_id: i for i, child_id in enumerate(sg.children)}
        else:  # expanded again next pass, every unsettled step visited: nothing sleeps
            for key in visit.slept:
                if self.sleepers.pop(key, None) is not None:
                    progress.asleep -= 1
        if not self._group_settled(progress, visit, sg, scope, ctx, opts):
            return sg
        for child_id in sg.children:
            child = self.status.nodes[child_id]
            step = visit.owners.get(child.name) or {}
            if child.failed_or_error and not continues_on(step, child.phase):
                return self.mark(sg, st.FAILED, f"child '{child_id}' failed")
        return self.mark(sg, st.SUCCEEDED)

    def _visit_step(
        self,
        progress: GroupProgress,
        visit: _Pass,
        index: int,
        step: dict[str, Any],
        sg: st.Node,
        ctx: Context,
        opts: Opts,
    ) -> st.Node | None:
        """Judge ``when`` and run the step at ``index``; the errored group if ``when`` is invalid."""
        node_name = child_name(sg.name, step["name"])
        if node_name in progress.settled:  # fulfilled, no hooks: nothing about it can change
            return None
        try:
            proceed = evaluate_when(str(step.get("when") or ""))
        except WhenError as exc:
            if self.status.by_name(node_name) is None:
                self.init_node(node_name, NodeType.SKIPPED, st.ERROR, opts, scope=ctx.scope, message=str(exc))
            self.add_child(sg.name, node_name)
            return self.mark(sg, st.ERROR, str(exc))
        if not proceed:
            skipped = self.status.by_name(node_name)
            if skipped is None:
                message = f"when '{step.get('when')}' evaluated false"
                skipped = self.init_node(
                    node_name, NodeType.SKIPPED, st.SKIPPED, opts, scope=ctx.scope, message=message
                )
            self.add_child(sg.name, node_name)
            if skipped.fulfilled:
                progress.settle(node_name, skipped.id)
            else:
                visit.awake.append(index)
                visit.visited.append(skipped.id)
            return None
        changes = self.changes
        self.dozed = ""
        caller = ("steps", loop_base(step["name"]))
        child_opts = Opts(boundary_id=opts.boundary_id, on_exit=opts.on_exit, caller=caller)
        child = self.execute_template(node_name, step, ctx, step.get("arguments") or {}, child_opts)
        if child is None:
            visit.created = False
            visit.awake.append(index)
            return None
        visit.owners[node_name] = step
        self.add_child(sg.name, node_name)
        hooked = bool(step.get("hooks") or step.get("onExit"))
        if child.fulfilled and not child.daemoned and not hooked:
            progress.settle(node_name, child.id)
            progress.ran[node_name] = step
            return None
        key = "" if hooked or self.changes != changes else self.sleep_key(child)
        if key and self.sleep(key, functools.partial(progress.wake, index)):
            progress.asleep += 1
            visit.slept.append(key)
        else:
            visit.awake.append(index)
            visit.visited.append(child.id)
        return None

    def _group_settled(
        self, progress: GroupProgress, visit: _Pass, sg: st.Node, scope: Scope, ctx: Context, opts: Opts
    ) -> bool:
        """Run the visited children's hooks; whether every child (and its hooks) is fulfilled."""
        completed = progress.asleep == 0
        if progress.position is not None:
            position = progress.position
            children: Iterable[str] = sorted(visit.visited, key=lambda c: position.get(c, len(position)))
        else:
            children = (c for c in sg.children if c not in progress.settled_ids)
        for child_id in children:
            child = self.status.nodes.get(child_id)
            if child is None:
                completed = False
                continue
            owner = visit.owners.get(child.name)
            if owner is not None and not self._step_hooks_done(owner, child, scope, ctx, opts):
                completed = False
            if not child.fulfilled:
                completed = False
        return completed

    def _step_hooks_done(
        self, owner: dict[str, Any], child: st.Node, scope: Scope, ctx: Context, opts: Opts
    ) -> bool:
        """Run the step's lifecycle hooks, and its exit hook once the child completed; whether done."""
        done = True
        base = loop_base(owner["name"])
        hooks = owner.get("hooks")
        if isinstance(hooks, dict) and any(name != "exit" for name in hooks):
            scope.params[f"steps.{child.display_name}.status"] = child.phase
            if not self.run_lifecycle_hooks(hooks, child, opts, ctx, f"steps.{base}", scope):
                done = False
        if child.fulfilled and child.completed:
            hook = self.exit_hook(owner, self.spec.get("arguments") or {})
            if hook is not None:
                exit_node = self.run_on_exit(hook, child, opts, ctx, f"steps.{base}", scope)
                if exit_node is None or not exit_node.fulfilled:
                    done = False
        return done

    def _expand_group(
        self, steps: list[dict[str, Any]], sg: st.Node, scope: Scope, ctx: Context, opts: Opts
    ) -> list[dict[str, object]] | st.Node:
        """The group's steps resolved against the scope and expanded (loops), or the errored group."""
        resolved_steps = []
        for step in steps:
            try:
                resolved_steps.append(self.resolve_step(step, scope))
            except AbsentOutputError as exc:  # ``initTerminalErrorNode``: the step's own node
                node_name = child_name(sg.name, step["name"])
                if self.status.by_name(node_name) is None:
                    self.init_node(
                        node_name, NodeType.SKIPPED, st.ERROR, opts, scope=ctx.scope, message=str(exc)
                    )
                self.add_child(sg.name, node_name)
            except (WhenError, ScopeError, SubstitutionError) as exc:
                return self.mark(sg, st.ERROR, str(exc))
        expanded: list[dict[str, object]] = []
        try:
            for step in resolved_steps:
                items = expand_items(step)
                looped = bool(
                    step.get("withItems") or step.get("withParam") or step.get("withSequence") is not None
                )
                if looped and not items:
                    node_name = child_name(sg.name, step["name"])
                    if self.status.by_name(node_name) is None:
                        self.init_node(
                            node_name,
                            NodeType.SKIPPED,
                            st.SKIPPED,
                            opts,
                            scope=ctx.scope,
                            message="Skipped, empty params",
                        )
                        self.add_child(sg.name, node_name)
                expanded.extend(items)
        except (ArgumentError, SubstitutionError) as exc:
            return self.mark(sg, st.ERROR, str(exc))
        return expanded


@dataclasses.dataclass
class _Pass:
    """What one pass over a step group saw: steps to visit again, children to judge, sleepers."""

    owners: _Owners
    created: bool = True
    """Every visited step has its node (its expansion can be kept)."""
    awake: list[int] = dataclasses.field(default_factory=list)
    visited: list[str] = dataclasses.field(default_factory=list)
    """The unsettled children seen this pass, for the judgement of the group."""
    slept: list[str] = dataclasses.field(default_factory=list)


class _Owners(dict[str, dict[str, object]]):
    """The step of each child visited this pass, falling back to the settled children's steps."""

    def __init__(self, settled: dict[str, dict[str, object]]) -> None:
        super().__init__()
        self.settled = settled

    def get(self, name: str, default: object = None) -> Any:
        """The step that made the child ``name``."""
        found = super().get(name)
        return found if found is not None else self.settled.get(name, default)
