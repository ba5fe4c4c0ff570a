"""Exit handlers and lifecycle hooks (``onExit``, ``hooks``) of the workflow, steps and tasks.

One place for ``GetExitHook``, ``runOnExitNode``, ``executeTmplLifeCycleHook`` and
``executeWfLifeCycleHook``, which steps, DAG tasks and the workflow itself all use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from wfsync.engine import status as st
from wfsync.engine.naming import exit_name, hook_name
from wfsync.engine.nodes import OperationState, Opts
from wfsync.engine.scope import Scope, ScopeError
from wfsync.engine.substitute import substitute
from wfsync.engine.templates import Context
from wfsync.expressions import exprlang
from wfsync.model.kinds import NodeType
from wfsync.model.values import items


def hook_template(hook: Mapping[str, object]) -> dict[str, object]:
    """The ``template`` or ``templateRef`` of a hook: the holder :meth:`execute_template` resolves."""
    return {k: v for k, v in hook.items() if k in ("template", "templateRef")}


def given_arguments(hook: Mapping[str, object]) -> Mapping[str, object]:
    """A workflow hook's arguments as written (no node outputs to put in reach); none unless a map."""
    arguments = hook.get("arguments")
    return arguments if isinstance(arguments, Mapping) else {}


class HooksMixin(OperationState):
    """Running ``<node>.onExit`` and ``<node>.hooks.<name>`` nodes."""

    @staticmethod
    def exit_hook(
        holder: Mapping[str, object], default_args: Mapping[str, object] | None = None
    ) -> dict[str, object] | None:
        """``GetExitHook``: ``onExit`` or ``hooks.exit``, with the workflow arguments by default."""
        hooks = holder.get("hooks") or {}
        if isinstance(hooks, dict) and isinstance(hooks.get("exit"), dict):
            return dict(hooks["exit"])
        if holder.get("onExit"):
            return {"template": holder["onExit"], "arguments": default_args or {}}
        return None

    def run_on_exit(
        self, hook: Mapping[str, object], parent: st.Node, opts: Opts, ctx: Context, prefix: str, scope: Scope
    ) -> st.Node | None:
        """``runOnExitNode``: the ``<node>.onExit`` node, with the parent's outputs in reach."""
        args = self.hook_arguments(hook, parent, prefix, scope)
        name = exit_name(parent.name)
        node = self.execute_template(
            name,
            hook_template(hook),
            ctx,
            args,
            Opts(boundary_id=opts.boundary_id, on_exit=True, hooked=True),
        )
        self.add_child(parent.name, name)
        return node

    def hook_arguments(
        self, hook: Mapping[str, object], parent: st.Node, prefix: str, scope: Scope
    ) -> Mapping[str, object]:
        """``resolveExitTmplArgument``: a hook's arguments with the parent's outputs in reach."""
        outputs = parent.outputs
        if parent.type == NodeType.RETRY:
            last = self.last_child(parent)
            outputs = last.outputs if last is not None else None
        given = hook.get("arguments")
        args: Mapping[str, object] = given if isinstance(given, Mapping) and given else {}
        if args and outputs:
            local = Scope(dict(scope.params), dict(scope.artifacts))
            local.add_outputs(prefix, outputs)
            args = substitute(args, {**self.global_params, **local.params})
            resolved_arts: list[Mapping[str, object]] = []
            for art in items(args.get("artifacts")):
                if art.get("from") or art.get("fromExpression"):
                    try:
                        found = local.resolve_artifact(art, self.global_params)
                    except ScopeError:
                        continue
                    found["name"] = art["name"]
                    resolved_arts.append(found)
                else:
                    resolved_arts.append(art)
            if resolved_arts:
                args = {**args, "artifacts": resolved_arts}
        return args

    def run_lifecycle_hooks(
        self,
        hooks: Mapping[str, object],
        parent: st.Node,
        opts: Opts,
        ctx: Context,
        prefix: str,
        scope: Scope,
    ) -> bool:
        """``executeTmplLifeCycleHook``: a step's or task's hooks, its outputs in their arguments.

        A hook node is ``<node>.hooks.<name>``, a hooked child of the step or task node in the
        same boundary; its expression sees the scope of the step or task.
        """
        return self.fire_hooks(
            hooks,
            parent,
            ctx,
            Opts(boundary_id=opts.boundary_id, hooked=True),
            params=scope.params,
            arguments=lambda hook: self.hook_arguments(hook, parent, prefix, scope),
        )

    def run_workflow_hooks(self, hooks: Mapping[str, object], entry: st.Node) -> bool:
        """``executeWfLifeCycleHook``: ``spec.hooks`` other than exit, over the global scope."""
        return self.fire_hooks(
            hooks, entry, self.root_ctx, Opts(hooked=True), params={}, arguments=given_arguments
        )

    def fire_hooks(
        self,
        hooks: Mapping[str, object],
        parent: st.Node,
        ctx: Context,
        opts: Opts,
        *,
        params: Mapping[str, object],
        arguments: Callable[[Mapping[str, object]], Mapping[str, object]],
    ) -> bool:
        """Fire each non-exit hook whose expression holds, once: the workflow's and a node's alike.

        Once a hook node exists it is driven on every pass whatever the expression says.
        Returns whether every fired hook is fulfilled (the group or dependants wait for them).
        A hook without an expression, or one that does not evaluate to a bool, errors ``parent``;
        Argo would then keep the group waiting forever, here the hook counts as done.
        """
        fired: list[st.Node | None] = []
        env: dict[str, object] | None = None
        for name, hook in hooks.items():
            if name == "exit" or not isinstance(hook, dict):
                continue
            node_name = hook_name(parent.name, name)
            if self.status.by_name(node_name) is None:
                if env is None:  # built once, and only when some hook has not fired yet
                    env = exprlang.build_env({**self.global_params, **params})
                error = self.hook_error(hook, node_name, env)
                if error is not None:
                    if error:
                        self.mark(parent, st.ERROR, error)
                    continue
            node = self.execute_template(node_name, hook_template(hook), ctx, arguments(hook), opts)
            self.add_child(parent.name, node_name)
            fired.append(node)
        return all(n is not None and n.fulfilled for n in fired)

    @staticmethod
    def hook_error(hook: Mapping[str, object], node_name: str, env: Mapping[str, object]) -> str | None:
        """None when the hook fires now; "" when it does not yet; else why it cannot be evaluated."""
        expression = hook.get("expression")
        if not expression:
            return f"Expression required for hook {node_name}"
        try:
            value = exprlang.evaluate(str(expression), env)
        except exprlang.ExprError as exc:
            return f"failed to evaluate hook expression {expression!r}: {exc}"
        if not isinstance(value, bool):
            return f"hook expression {expression!r} must give a bool, got {value!r}"
        return None if value else ""
