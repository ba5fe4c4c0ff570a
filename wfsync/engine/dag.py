"""DAG templates (``dag.go``): tasks visited from the targets through their dependencies.

The DAG's shape (dependencies, leaves, ancestry) is :mod:`wfsync.engine.dag_graph`; here is
what depends on node state: ``depends`` results, task expansion, ``assessDAGPhase``.
"""

from __future__ import annotations

import collections
import functools
import heapq
from typing import Any

from wfsync.engine import status as st
from wfsync.engine.dag_graph import DagProgress, DagShape
from wfsync.engine.hooks import HooksMixin
from wfsync.engine.naming import child_name
from wfsync.engine.nodes import Opts, continues_on
from wfsync.engine.outputs import OutputsMixin
from wfsync.engine.params import ArgumentError, aggregate_outputs, expand_items, loop_index
from wfsync.engine.scope import Scope, ScopeError
from wfsync.engine.substitute import SubstitutionError
from wfsync.engine.templates import Context, Resolved
from wfsync.expressions.depends import DependsError, TaskResult, evaluate_depends
from wfsync.expressions.govaluate import WhenError, evaluate_when
from wfsync.model.kinds import NodeType


class DagMixin(HooksMixin, OutputsMixin):
    """``executeDAG``."""

    def execute_dag(
        self, node_name: str, tmpl: dict[str, Any], resolved: Resolved, opts: Opts, common: dict[str, Any]
    ) -> st.Node:
        """``executeDAG``: visit the targets (and through them their dependencies), then judge."""
        node = self.open_boundary(node_name, NodeType.DAG, tmpl, opts, common)
        dag = _Dag(self, node, tmpl, resolved.context, opts)
        target = str((tmpl.get("dag") or {}).get("target") or "")
        targets = target.split(" ") if target else dag.shape.leaves()
        for name in targets:
            if name not in dag.tasks:
                return self.mark(node, st.ERROR, f"target {name} does not exist")
        progress = self.dag_progress.get(node.id)
        if progress is None:
            progress = self.dag_progress[node.id] = DagProgress(dag.shape, targets)
        moving = dag.visit(progress)
        dag.exit_hooks(targets, progress)
        # a task still unfinished is a node ``assessDAGPhase`` would reach: Running, without the walk
        phase = st.FAILED if self.shutdown else st.RUNNING if moving else dag.assess(targets)
        if phase == st.RUNNING:
            self.dozed = node.id if progress.dozing else ""
            return node
        if phase in (st.FAILED, st.ERROR):
            node.outbound_nodes = dag.outbound(targets)
            return self.mark(node, phase)
        return self.succeed_boundary(node, tmpl, dag.final_scope(), dag.outbound(targets))


class _Dag:
    """``dagContext`` for one pass over one DAG node."""

    def __init__(self, op: DagMixin, node: st.Node, tmpl: dict[str, Any], ctx: Context, opts: Opts) -> None:
        self.op = op
        self.node = node
        self.tmpl = tmpl
        self.ctx = ctx
        shape = op.dag_shapes.get(node.id)
        if shape is None:
            shape = op.dag_shapes[node.id] = DagShape(tmpl)
        self.shape = shape
        self.tasks = shape.tasks
        self.visited: set[str] = set()
        self.task_opts = Opts(boundary_id=node.id, on_exit=opts.on_exit)

    def task_name(self, task: str) -> str:
        return child_name(self.node.name, task)

    def task_node(self, task: str) -> st.Node | None:
        node_id = self.shape.ids.get(task)
        if node_id is None:
            node_id = self.shape.ids[task] = st.node_id(self.op.name, self.task_name(task))
        return self.op.status.nodes.get(node_id)

    def scope_for(self, task: str) -> Scope:
        """``buildLocalScopeFromTask``: the template inputs plus every ancestor's outputs."""
        scope = Scope.of_template(self.tmpl)
        scope.add_outputs("workflow", self.op.status.outputs)
        nodes = self.op.status.nodes
        for ancestor in self.shape.referenced_ancestors(task):
            node = self.task_node(ancestor)
            if node is None:
                continue
            prefix = f"tasks.{ancestor}"
            if node.type == NodeType.TASK_GROUP:
                # the group's children are its items (``<group>(<i>:<value>)``), in creation order
                loop = [
                    n
                    for n in (nodes.get(c) for c in node.children)
                    if n is not None and not n.retried and not n.hooked
                ]
                scope.params.update(
                    aggregate_outputs(prefix, [(loop_index(n.name), n.outputs, n.phase) for n in loop])
                )
            else:
                self.op.add_node_to_scope(scope, prefix, node, self.tasks[ancestor], self.ctx)
        return scope

    def exit_hooks(self, targets: list[str], progress: DagProgress) -> None:
        """The exit hooks of hooked targets that completed (the visit runs the other tasks' hooks)."""
        for name in targets:
            if name not in progress.hooked:
                continue
            task_node = self.task_node(name)
            if task_node is not None and task_node.completed:
                hook = self.op.exit_hook(self.tasks[name], self.op.spec.get("arguments") or {})
                if hook is not None:
                    self.op.run_on_exit(
                        hook, task_node, self.task_opts, self.ctx, f"tasks.{name}", self.scope_for(name)
                    )

    def final_scope(self) -> Scope:
        """The scope of the finished DAG's outputs: every task's, a loop's items aggregated."""
        scope = Scope.of_template(self.tmpl)
        scope.add_outputs("workflow", self.op.status.outputs)
        nodes = self.op.status.nodes
        for name in self.tasks:
            task_node = self.task_node(name)
            if task_node is None:
                continue
            prefix = f"tasks.{name}"
            if task_node.type == NodeType.TASK_GROUP:
                children = [nodes[c] for c in task_node.children if c in nodes]
                scope.params.update(
                    aggregate_outputs(
                        prefix, [(loop_index(c.name), c.outputs, c.phase) for c in children if not c.hooked]
                    )
                )
            self.op.add_node_to_scope(scope, prefix, task_node, self.tasks[name], self.ctx)
        return scope

    def connect(self, task: str, node_name: str, group: st.Node | None) -> None:
        """Make the new node a child of its dependencies' outbound nodes (or of the DAG)."""
        deps = self.shape.deps(task)
        if not deps or group is not None:
            self.op.add_child(group.name if group is not None else self.node.name, node_name)
            return
        for dep in deps:
            dep_node = self.task_node(dep)
            if dep_node is None:
                continue
            for out in self.op.outbound(dep_node.id):
                self.op.add_child(self.op.status.nodes[out].name, node_name)

    def depends_result(self, task: str) -> tuple[bool, bool]:
        """``evaluateDependsLogic``: (execute, proceed)."""
        if self.task_node(task) is not None:
            return True, True
        results: dict[str, TaskResult] = {}
        for dep in self.shape.deps(task):
            node = self.task_node(dep)
            if node is None or not node.fulfilled or not self.hooks_done(node):
                return False, False
        spec = self.tasks[task]
        if not spec.get("depends"):
            # ``dependencies`` expand to (A.Succeeded || A.Skipped || A.Daemoned [|| continueOn]) && ...;
            # evaluated directly, which is what the expr-lang expansion computes
            return all(self._satisfies(dep) for dep in self.shape.deps(task)), True
        for dep in self.shape.deps(task):
            node = self.task_node(dep)
            assert node is not None
            children = None
            if node.type == NodeType.TASK_GROUP:
                children = tuple(
                    self.op.status.nodes[c].phase for c in node.children if c in self.op.status.nodes
                )
            results[dep] = TaskResult(node.phase, node.daemoned, children)
        continue_on = {n: self.tasks[n].get("continueOn") for n in self.shape.deps(task)}
        return evaluate_depends(str(spec["depends"]), results, continue_on), True

    def _satisfies(self, dep: str) -> bool:
        node = self.task_node(dep)
        if node is None:
            return False
        if node.phase in (st.SUCCEEDED, st.SKIPPED) or node.daemoned:
            return True
        return node.phase in (st.FAILED, st.ERROR) and continues_on(self.tasks[dep], node.phase)

    def hooks_done(self, node: st.Node) -> bool:
        """``CheckAllHooksFullfilled``: every hook child of the node is fulfilled."""
        for child_id in node.children:
            child = self.op.status.nodes.get(child_id)
            if child is not None and child.hooked and not child.fulfilled:
                return False
        return True

    def visit(self, progress: DagProgress) -> bool:
        """Visit the open tasks in ``executeDAGTask``'s order; whether one is still unfinished.

        Argo recurses from each target through its dependencies on every pass; visiting only
        the tasks that can change (in the same order: dependencies first) does the same work
        without walking the finished part or the part not reached yet, and without recursion.
        A task that is fulfilled opens its dependants, visited later in the same pass.
        """
        order = progress.order
        op = self.op
        active = op.active
        heap: list[tuple[int, str]] = []
        running: list[tuple[str, str]] = []
        for task in progress.open:
            node = self.task_node(task)
            if (
                node is not None
                and node.id in active
                and node.type == NodeType.POD
                and not node.fulfilled
                and task not in progress.hooked
            ):
                running.append((task, node.id))  # nothing changes until its result is reconciled
                continue
            heap.append((order[task], task))
        moving = bool(running)
        for task, key in running:
            self.sleep(progress, task, key)
        heapq.heapify(heap)
        queued = {task for _, task in heap}
        while heap:
            _, task = heapq.heappop(heap)
            changes = op.changes
            op.dozed = ""
            self.execute_task(task)
            node = self.task_node(task)
            if node is None:
                continue
            if not node.fulfilled:
                moving = True
                key = "" if task in progress.hooked or op.changes != changes else op.sleep_key(node)
                if key:
                    self.sleep(progress, task, key)
                continue
            if task not in progress.hooked:
                progress.open.discard(task)
                progress.settled.add(task)
            if task in progress.released:
                continue
            progress.released.add(task)
            for dependant in self.shape.dependants(task):
                if dependant in order and dependant not in progress.settled and dependant not in queued:
                    progress.open.add(dependant)
                    queued.add(dependant)
                    heapq.heappush(heap, (order[dependant], dependant))
        return moving or progress.asleep > 0  # a sleeping task is unfinished

    def sleep(self, progress: DagProgress, task: str, key: str) -> None:
        """Let ``task`` sleep until the node ``key`` (or one inside it) is stirred."""
        if self.op.sleep(key, functools.partial(progress.wake, task)):
            progress.open.discard(task)
            progress.asleep += 1

    def execute_task(self, task: str) -> None:
        """``executeDAGTask`` for a task whose dependencies were visited: create or advance it."""
        if task in self.visited:
            return
        self.visited.add(task)
        op = self.op
        spec = self.tasks[task]
        node = self.task_node(task)
        if not self._lifecycle_hooks(task, node):
            return
        hook = op.exit_hook(spec, op.spec.get("arguments") or {})
        if node is not None and node.fulfilled:
            if node.completed and hook is not None:
                op.run_on_exit(hook, node, self.task_opts, self.ctx, f"tasks.{task}", self.scope_for(task))
            return
        if node is not None and node.type == NodeType.POD and node.id in op.active:
            return  # nothing can change until its pod's result is reconciled
        name = self.task_name(task)
        group = node if node is not None and node.type == NodeType.TASK_GROUP else None
        # its dependencies were visited before it (:meth:`visit` goes in dependency order)
        if self.shape.logic(task) and not self._depends_allow(task, name):
            return
        try:
            expanded = expand_items(self.resolve(task))
        except (WhenError, ScopeError, SubstitutionError, ArgumentError) as exc:
            if self.task_node(task) is None:
                self._terminal(task, name, st.ERROR, str(exc))
            return
        if spec.get("withItems") or spec.get("withParam") or spec.get("withSequence") is not None:
            group = self._open_group(task, name, expanded, group)
        for item in expanded:
            if not self._run_item(task, item, group, hook):
                return
        if group is not None:
            phase = st.SUCCEEDED
            for item in expanded:
                item_node = op.status.by_name(self.task_name(item["name"]))
                if item_node is None or not item_node.fulfilled:
                    return
                if item_node.failed_or_error:
                    phase = item_node.phase
            op.mark(group, phase)

    def _lifecycle_hooks(self, task: str, node: st.Node | None) -> bool:
        """Run the task's lifecycle hooks (once it runs or ended); whether the task may go on."""
        hooks = self.tasks[task].get("hooks")
        if node is None or not (node.fulfilled or node.phase == st.RUNNING):
            return True
        if not isinstance(hooks, dict) or not any(name != "exit" for name in hooks):
            return True
        scope = self.scope_for(task)
        scope.params[f"tasks.{task}.status"] = node.phase
        return self.op.run_lifecycle_hooks(hooks, node, self.task_opts, self.ctx, f"tasks.{task}", scope)

    def _depends_allow(self, task: str, name: str) -> bool:
        """Whether ``depends``/``dependencies`` let the task run (else it may get an Omitted node)."""
        try:
            execute, proceed = self.depends_result(task)
        except DependsError as exc:
            self._terminal(task, name, st.ERROR, str(exc))
            return False
        if not proceed:
            return False
        if not execute:
            self._terminal(task, name, st.OMITTED, "omitted: depends condition not met")
            return False
        return True

    def _open_group(
        self, task: str, name: str, expanded: list[dict[str, object]], group: st.Node | None
    ) -> st.Node | None:
        """A looped task's TaskGroup node (created once), or its Skipped node when it has no items."""
        if not expanded:
            if self.task_node(task) is None:
                self._terminal(task, name, st.SKIPPED, "Skipped, empty params")
        elif group is None:
            self.connect(task, name, None)
            group = self.op.init_node(
                name, NodeType.TASK_GROUP, st.RUNNING, self.task_opts, scope=self.ctx.scope
            )
        return group

    def _run_item(
        self, task: str, item: dict[str, Any], group: st.Node | None, hook: dict[str, object] | None
    ) -> bool:
        """Create or advance one item of the task (``when`` judged once); whether to go on."""
        op = self.op
        item_name = self.task_name(item["name"])
        if op.status.by_name(item_name) is None:
            self.connect(task, item_name, group)
            try:
                proceed = evaluate_when(str(item.get("when") or ""))
            except WhenError as exc:
                self._skipped(item_name, st.ERROR, str(exc))
                return True
            if not proceed:
                self._skipped(item_name, st.SKIPPED, f"when '{item.get('when')}' evaluated false")
                return True
        opts = Opts(boundary_id=self.node.id, on_exit=self.task_opts.on_exit, caller=("tasks", task))
        item_node = op.execute_template(item_name, item, self.ctx, item.get("arguments") or {}, opts)
        if item_node is None:
            return False
        if item_node.completed and hook is not None:
            scope = self.scope_for(task)
            exit_node = op.run_on_exit(hook, item_node, self.task_opts, self.ctx, f"tasks.{task}", scope)
            if exit_node is None or not exit_node.fulfilled:
                return False
        return True

    def _skipped(self, name: str, phase: str, message: str) -> st.Node:
        """A node that does not run (Skipped type): errored, skipped or omitted, with why."""
        return self.op.init_node(
            name, NodeType.SKIPPED, phase, self.task_opts, scope=self.ctx.scope, message=message
        )

    def _terminal(self, task: str, name: str, phase: str, message: str) -> None:
        """The task's own node that does not run, linked under its dependencies."""
        self._skipped(name, phase, message)
        self.connect(task, name, None)

    def resolve(self, task: str) -> dict[str, object]:
        """``resolveDependencyReferences``."""
        scope = self.scope_for(task)
        return self.op.resolve_step(self.tasks[task], scope)

    def assess(self, targets: list[str]) -> str:
        """``assessDAGPhase``."""
        if self.op.shutdown:
            return st.FAILED
        nodes = self.op.status.nodes
        target_ids = {st.node_id(self.op.name, self.task_name(t)): t for t in targets}
        target_phase: dict[str, str] = dict.fromkeys(target_ids, "")
        queue_: collections.deque[tuple[str, str]] = collections.deque(
            (c, st.SUCCEEDED) for c in self.node.children
        )
        seen: set[tuple[str, str]] = set()
        while queue_:
            item = queue_.popleft()
            if item in seen:
                continue
            seen.add(item)
            node_id, branch = item
            node = nodes.get(node_id)
            if node is None or not node.fulfilled:
                return st.RUNNING
            if node.completed:
                branch = node.phase
            if node_id in target_phase and target_phase[node_id] not in (st.FAILED, st.ERROR):
                target_phase[node_id] = branch
            children = (
                [c for c in node.children if not (nodes.get(c) and nodes[c].hooked)]
                if node.type == NodeType.RETRY
                else node.children
            )
            queue_.extend((c, branch) for c in children)
        fail_fast = (self.tmpl.get("dag") or {}).get("failFast")
        fail_fast = fail_fast is None or fail_fast is True
        result = st.SUCCEEDED
        for task in targets:
            phase = target_phase[st.node_id(self.op.name, self.task_name(task))]
            if phase == "":
                result = st.RUNNING
                if not fail_fast:
                    break
            elif phase in (st.FAILED, st.ERROR):
                if continues_on(self.tasks[task], phase):
                    continue
                result = phase
                if fail_fast:
                    break
        return result

    def outbound(self, targets: list[str]) -> list[str]:
        """``updateOutboundNodesForTargetTasks``."""
        out: list[str] = []
        for task in targets:
            node = self.task_node(task)
            if node is not None:
                out.extend(self.op.outbound(node.id))
        return out
