"""Steps templates (``steps.go``): step groups in order, each step expanded, judged, hooked."""

from __future__ import annotations

from typing import Any

from wfsync.engine import status as st
from wfsync.engine.hooks import HooksMixin
from wfsync.engine.naming import child_name, loop_base, step_group_name
from wfsync.engine.nodes import Opts, continues_on, node_inputs
from wfsync.engine.outputs import AbsentOutputError, OutputsMixin
from wfsync.engine.params import ArgumentError, aggregate_outputs, expand_items, loop_index
from wfsync.engine.scope import Scope, ScopeError
from wfsync.engine.substitute import SubstitutionError
from wfsync.engine.templates import Context, Resolved
from wfsync.expressions.govaluate import WhenError, evaluate_when
from wfsync.model.kinds import NodeType


class StepsMixin(HooksMixin, OutputsMixin):
    """``executeSteps`` and ``executeStepGroup``."""

    def execute_steps(  # noqa: C901, PLR0912
        self, node_name: str, tmpl: dict[str, Any], resolved: Resolved, opts: Opts, common: dict[str, Any]
    ) -> st.Node:
        """``executeSteps``: step groups in order, each waiting for the previous one."""
        node = self.status.by_name(node_name)
        if node is None:
            node = self.init_node(
                node_name, NodeType.STEPS, st.RUNNING, opts, inputs=node_inputs(tmpl), **common
            )
        self.boundary_templates[node.id] = tmpl
        scope = Scope.of_template(tmpl)
        scope.add_outputs("workflow", self.status.outputs)
        ctx = resolved.context
        step_opts = Opts(boundary_id=node.id, on_exit=opts.on_exit)
        groups = tmpl.get("steps") or []
        for index, group in enumerate(groups):
            sg_name = step_group_name(node_name, index)
            sg = self.status.by_name(sg_name)
            if sg is None:
                sg = self.init_node(sg_name, NodeType.STEP_GROUP, st.RUNNING, step_opts, scope=ctx.scope)
            if index == 0:
                self.add_child(node_name, sg_name)
            else:
                prev = self.status.by_name(step_group_name(node_name, index - 1))
                if prev is not None and not prev.children:
                    self.add_child(prev.name, sg_name)
                elif prev is not None:
                    for child_id in prev.children:
                        for out_id in self.outbound(child_id):
                            self.add_child(self.status.nodes[out_id].name, sg_name)
            steps = list(group) if isinstance(group, list) else list((group or {}).get("steps") or [])
            sg = self.execute_step_group(steps, sg, scope, ctx, step_opts)
            if not sg.fulfilled:
                return node
            if sg.failed_or_error:
                self.update_outbound(node, len(groups))
                return self.mark(node, st.FAILED, sg.message)
            for step in steps:
                child = self.status.by_name(child_name(sg_name, step["name"]))
                prefix = f"steps.{step['name']}"
                if child is None:
                    loop = [
                        n
                        for n in self.status.nodes.values()
                        if n.name.startswith(child_name(sg_name, step["name"]) + "(")
                        and n.boundary_id == node.id
                    ]
                    loop = [n for n in loop if not n.hooked and not n.retried]
                    if loop:
                        scope.params.update(
                            aggregate_outputs(
                                prefix, [(loop_index(n.name), n.outputs, n.phase) for n in loop]
                            )
                        )
                    continue
                self.add_node_to_scope(scope, prefix, child, step, ctx)
        self.update_outbound(node, len(groups))
        try:
            outputs = self.template_outputs(tmpl, scope)
        except ScopeError as exc:
            return self.mark(node, st.ERROR, str(exc))
        if outputs is not None:
            node.outputs = outputs
            self.add_outputs_to_global_scope(outputs)
        return self.mark(node, st.SUCCEEDED)

    def update_outbound(self, node: st.Node, groups: int) -> None:
        """``updateOutboundNodes``: the outbound nodes of the last created step group."""
        for index in range(groups - 1, -1, -1):
            sg = self.status.by_name(step_group_name(node.name, index))
            if sg is not None:
                node.outbound_nodes = [o for child in sg.children for o in self.outbound(child)]
                return

    def execute_step_group(  # noqa: C901, PLR0911, PLR0912
        self, steps: list[dict[str, Any]], sg: st.Node, scope: Scope, ctx: Context, opts: Opts
    ) -> st.Node:
        """``executeStepGroup``: start every step of the group, then judge the group."""
        if sg.fulfilled:
            return sg
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
        expanded: list[dict[str, Any]] = []
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
        node_steps: dict[str, dict[str, Any]] = {}
        for step in expanded:
            node_name = child_name(sg.name, step["name"])
            try:
                proceed = evaluate_when(str(step.get("when") or ""))
            except WhenError as exc:
                if self.status.by_name(node_name) is None:
                    self.init_node(
                        node_name, NodeType.SKIPPED, st.ERROR, opts, scope=ctx.scope, message=str(exc)
                    )
                self.add_child(sg.name, node_name)
                return self.mark(sg, st.ERROR, str(exc))
            if not proceed:
                if self.status.by_name(node_name) is None:
                    self.init_node(
                        node_name,
                        NodeType.SKIPPED,
                        st.SKIPPED,
                        opts,
                        scope=ctx.scope,
                        message=f"when '{step.get('when')}' evaluated false",
                    )
                self.add_child(sg.name, node_name)
                continue
            base = loop_base(step["name"])
            child = self.execute_template(
                node_name,
                step,
                ctx,
                step.get("arguments") or {},
                Opts(boundary_id=opts.boundary_id, on_exit=opts.on_exit, caller=("steps", base)),
            )
            if child is not None:
                node_steps[node_name] = step
                self.add_child(sg.name, node_name)
        completed = True
        for child_id in sg.children:
            child = self.status.nodes.get(child_id)
            if child is None:
                completed = False
                continue
            owner = node_steps.get(child.name)
            hooks = owner.get("hooks") if owner is not None else None
            if owner is not None and isinstance(hooks, dict) and any(name != "exit" for name in hooks):
                scope.params[f"steps.{child.display_name}.status"] = child.phase
                base = loop_base(owner["name"])
                if not self.run_lifecycle_hooks(hooks, child, opts, ctx, f"steps.{base}", scope):
                    completed = False
            if not child.fulfilled:
                completed = False
            elif child.completed:
                if owner is not None:
                    hook = self.exit_hook(owner, self.spec.get("arguments") or {})
                    if hook is not None:
                        base = loop_base(owner["name"])
                        exit_node = self.run_on_exit(hook, child, opts, ctx, f"steps.{base}", scope)
                        if exit_node is None or not exit_node.fulfilled:
                            completed = False
        if not completed:
            return sg
        for child_id in sg.children:
            child = self.status.nodes[child_id]
            step = node_steps.get(child.name) or {}
            if child.failed_or_error and not continues_on(step, child.phase):
                return self.mark(sg, st.FAILED, f"child '{child_id}' failed")
        return self.mark(sg, st.SUCCEEDED)
