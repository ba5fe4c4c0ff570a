"""Workflow and template ``synchronization``: mutexes and semaphores taken before a node runs.

The lock bookkeeping itself is :class:`~wfsync.engine.locks.LockManager`; this is where the
controller's side lives (``TryAcquire`` in ``operate`` and ``executeTemplate``): waiting nodes,
Argo's waiting messages, timeouts, and naming a deadlock instead of hanging.
"""

from __future__ import annotations

import time
from typing import Any

from wfsync.engine import status as st
from wfsync.engine.durations import parse_duration
from wfsync.engine.locks import LockError, lock_refs
from wfsync.engine.nodes import DEADLINE_MESSAGE, OperationState, Opts, node_inputs
from wfsync.engine.templates import Resolved, template_type
from wfsync.model.kinds import NodeType

_NODE_TYPES = {
    "steps": NodeType.STEPS,
    "dag": NodeType.DAG,
    "suspend": NodeType.SUSPEND,
    "http": NodeType.HTTP,
    "plugin": NodeType.PLUGIN,
}
"""``GetNodeType`` for templates that do not make a Pod node."""


class SynchronizationMixin(OperationState):
    """Taking and waiting for the locks of the workflow and of its templates."""

    def acquire_workflow_lock(self) -> bool:
        """Workflow-level ``synchronization``: Pending with the waiting message until acquired."""
        sync = self.spec.get("synchronization")
        if self.wf_locked or not isinstance(sync, dict) or not sync:
            return True
        try:
            acquired, message, _ = self.locks.try_acquire(
                self.holder_key(""), lock_refs(sync, self.namespace)
            )
        except LockError as exc:
            self.finish(st.FAILED, f"Failed to acquire the synchronization lock. {exc}")
            return False
        if not acquired:
            self.status.phase = st.PENDING
            self.status.message = message
            return False
        self.wf_locked = True
        self.status.phase = st.RUNNING
        self.status.message = ""
        return True

    def acquire_locks(
        self, node_name: str, node: st.Node | None, tmpl: dict[str, Any], resolved: Resolved, opts: Opts
    ) -> tuple[st.Node | None, bool]:
        """Template ``synchronization`` (``TryAcquire`` in ``executeTemplate``).

        A node that cannot take every lock is created Pending, with Argo's waiting message and
        ``synchronizationStatus.waiting``, and asks again on every pass; past the workflow
        deadline or its own ``timeout`` it fails instead.
        """
        node_id = st.node_id(self.name, node_name)
        try:
            refs = lock_refs(tmpl["synchronization"], self.namespace)
            acquired, message, lock_name = self.locks.try_acquire(self.holder_key(node_id), refs)
        except LockError as exc:
            return self.mark_error(node_name, str(exc), opts), False
        if acquired:
            if node is not None and node.sync_waiting:
                node.sync_waiting = ""
                node.message = ""
                if (
                    node.type not in (NodeType.POD, NodeType.HTTP, NodeType.SUSPEND)
                    and node.phase == st.PENDING
                ):
                    node.phase = st.RUNNING
                self.changes += 1
            return node, True
        if node is None:
            kind = template_type(tmpl)
            retry = tmpl.get("retryStrategy", self.spec.get("retryStrategy"))
            node_type = NodeType.RETRY if retry is not None else _NODE_TYPES.get(kind, NodeType.POD)
            tref = resolved.template_ref
            node = self.init_node(
                node_name,
                node_type,
                st.PENDING,
                opts,
                template_name="" if tref else str(tmpl.get("name") or ""),
                template_ref=tref,
                scope=resolved.context.scope,
                inputs=node_inputs(tmpl),
            )
        node.sync_waiting = lock_name
        node.message = message
        now = time.time()
        if self.deadline is not None and now >= self.deadline and not opts.on_exit:
            return self.mark(node, st.FAILED, DEADLINE_MESSAGE), False
        timeout = tmpl.get("timeout")
        if timeout is not None and str(timeout).strip():
            until = node.started + parse_duration(timeout)
            if now >= until:
                return self.mark(node, st.FAILED, "timeout"), False
            if until not in self.wakeups:
                self.wakeups.append(until)
        return node, False

    def lock_deadlock(self) -> str:
        """The message for a run where nothing runs and something waits for a lock (else "")."""
        holders: dict[str, list[str]] = {}
        for holder, names in self.locks.held.items():
            node_id = holder.removeprefix(f"{self.namespace}/{self.name}").lstrip("/")
            node = self.status.nodes.get(node_id)
            who = "the workflow itself" if not node_id else (node.name if node is not None else node_id)
            for name in names:
                holders.setdefault(name, []).append(who)
        waiting = [n for n in self.status.nodes.values() if n.sync_waiting and not n.fulfilled]
        if waiting:
            node = waiting[0]
            held_by = ", ".join(holders.get(node.sync_waiting) or ["nothing"])
            return (
                f"deadlock: node {node.name} waits for lock {node.sync_waiting}, held by {held_by}, "
                "and nothing running will release it"
            )
        if self.status.phase == st.PENDING and self.status.message:
            return f"deadlock: the workflow waits for its synchronization lock ({self.status.message})"
        return ""
